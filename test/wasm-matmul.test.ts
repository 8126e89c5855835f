// The matrix-product kernels against a plain f64 product: the three forms, every size class of
// the tiles' edges (M not a multiple of 4 or 2, N not a multiple of 8 or 4, odd K), sizes as
// literals and as params read at run time, every epilogue, C +=, and relaxed SIMD (in a child
// process with the engine flag, since Node 20 does not enable it by default).
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { MatmulSpec } from "../src/codegen/wasm/matmul.ts";
import { MatmulHarness } from "./wasm-matmul-check.ts";
import { SLOW } from "./wasm-helpers.ts";

type Form = MatmulSpec["form"];

const SIZES = [1, 3, 5, 7, 9, 17, 33];
const FORMS: Form[] = ["nn", "nt", "tn"];

describe("C = A'B' in each form, every edge tile, against f64", { timeout: SLOW }, () => {
  const Ns = [1, 3, 4, 5, 8, 9, 12, 17, 33];
  const Ks = [1, 3, 17];
  it.each(FORMS)("%s, sizes as literals", (form) => {
    const specs: MatmulSpec[] = SIZES.flatMap((M) =>
      Ns.flatMap((N) => Ks.map((K) => ({ name: `mm_${M}_${N}_${K}`, form, M, N, K }))),
    );
    const h = new MatmulHarness(specs);
    for (const s of specs) {
      const r = h.run(s.name, s.M as number, s.N as number, s.K as number);
      expect(r.worst, `${s.name}: element ${r.at}`).toBeLessThanOrEqual(1);
      expect(r.slackIntact, s.name).toBe(true);
    }
  });

  it.each(FORMS)("%s, sizes as params read at run time", (form) => {
    const h = new MatmulHarness([{ name: "mm", form, M: "param", N: "param", K: "param" }]);
    for (const M of SIZES)
      for (const N of Ns)
        for (const K of [...Ks, 33]) {
          const r = h.run("mm", M, N, K);
          expect(r.worst, `[${M}, ${N}, ${K}] element ${r.at}`).toBeLessThanOrEqual(1);
          expect(r.slackIntact).toBe(true);
        }
  });
});

describe("the epilogue: scale, bias, activation, C +=", { timeout: SLOW }, () => {
  const SHAPES = [
    [7, 13, 9],
    [4, 8, 5],
    [1, 3, 2],
  ] as const;
  it.each(FORMS)("%s: every activation, with and without scale, bias and accumulation", (form) => {
    const specs: MatmulSpec[] = (["identity", "relu", "sigmoid", "tanh"] as const).flatMap(
      (activation) =>
        [false, true].flatMap((bias) =>
          [false, true].flatMap((scale) =>
            [false, true].map((accumulate) => ({
              name: `mm_${activation}_${bias}_${scale}_${accumulate}`,
              form,
              M: "param" as const,
              N: "param" as const,
              K: "param" as const,
              bias,
              scale,
              activation,
              accumulate,
            })),
          ),
        ),
    );
    const h = new MatmulHarness(specs);
    for (const s of specs)
      for (const [M, N, K] of SHAPES) {
        const r = h.run(s.name, M, N, K);
        expect(r.worst, `${s.name} [${M}, ${N}, ${K}] element ${r.at}`).toBeLessThanOrEqual(1);
      }
  });

  it("the MNIST layer, [64, 784] @ [784, 128] + b then relu, batch read at run time", () => {
    const spec: MatmulSpec = {
      name: "mm",
      form: "nn",
      M: "param",
      N: 128,
      K: 784,
      bias: true,
      activation: "relu",
    };
    expect(new MatmulHarness([spec], 32).run("mm", 64, 128, 784).worst).toBeLessThanOrEqual(1);
  });
});

describe("relaxed SIMD (fused multiply-add)", { timeout: SLOW }, () => {
  it("computes the same products where the engine has it", () => {
    const script = fileURLToPath(new URL("./wasm-relaxed-check.ts", import.meta.url));
    const out = execFileSync(
      process.execPath,
      ["--experimental-wasm-relaxed-simd", "--import", "tsx", script],
      { encoding: "utf8" },
    );
    const result = JSON.parse(out) as { relaxed: boolean; worst: number };
    expect(result.relaxed).toBe(true);
    expect(result.worst).toBeLessThanOrEqual(1);
  });
});
