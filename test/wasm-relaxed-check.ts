// Run by wasm-matmul.test.ts in a child process with --experimental-wasm-relaxed-simd: the
// relaxed (fused multiply-add) matrix products in every form, checked as the plain ones are.
// Prints {"relaxed": <engine has it>, "worst": <worst error in tolerance units>}.
import { hasRelaxedSimd } from "../src/codegen/wasm/features.ts";
import type { MatmulSpec } from "../src/codegen/wasm/matmul.ts";
import { MatmulHarness } from "./wasm-matmul-check.ts";

const SHAPES = [
  [9, 13, 7],
  [4, 8, 16],
  [33, 17, 5],
] as const;
const specs: MatmulSpec[] = (["nn", "nt", "tn"] as const).flatMap((form) =>
  SHAPES.map(([M, N, K]) => ({
    name: `mm_${form}_${M}_${N}_${K}`,
    form,
    M,
    N,
    K,
    bias: true,
    activation: "relu" as const,
    relaxed: true,
  })),
);
const harness = new MatmulHarness(specs);
const worst = Math.max(
  ...specs.map((s) => harness.run(s.name, s.M as number, s.N as number, s.K as number).worst),
);
process.stdout.write(JSON.stringify({ relaxed: hasRelaxedSimd(), worst }));
