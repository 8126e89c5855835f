// Checking matrix-product kernels against an f64 product (shared by wasm-matmul.test.ts and the
// relaxed-SIMD child process, wasm-relaxed-check.ts). Many kernels share one module, compiled once.
import { matmulKernel, matmulParams, type MatmulSpec } from "../src/codegen/wasm/matmul.ts";
import { instantiate, uniform, type Instance } from "./wasm-helpers.ts";

type Form = MatmulSpec["form"];

/** f64 reference of the product, and per element the sum of |a||b| (the f32 error scale) */
function reference(form: Form, a: Float32Array, b: Float32Array, M: number, N: number, K: number) {
  const C = new Float64Array(M * N);
  const scale = new Float64Array(M * N);
  for (let i = 0; i < M; i++)
    for (let j = 0; j < N; j++) {
      let s = 0;
      let abs = 0;
      for (let k = 0; k < K; k++) {
        const x = form === "tn" ? a[k * M + i]! : a[i * K + k]!;
        const y = form === "nt" ? b[j * K + k]! : b[k * N + j]!;
        s += x * y;
        abs += Math.abs(x * y);
      }
      C[i * N + j] = s;
      scale[i * N + j] = abs;
    }
  return { C, scale };
}

const ACTIVATIONS: Record<string, (x: number) => number> = {
  identity: (x) => x,
  relu: (x) => Math.max(0, x),
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  tanh: Math.tanh,
};

export interface Result {
  /** the worst error in units of the tolerance (<= 1 passes) */
  worst: number;
  at: number;
  /** nothing was stored past the end of C */
  slackIntact: boolean;
}

/** Kernels of `specs` (distinct names) in one module; `run` checks one at given sizes. */
export class MatmulHarness {
  private readonly inst: Instance;
  private readonly specs: Map<string, MatmulSpec>;

  constructor(specs: MatmulSpec[], pages = 16) {
    this.inst = instantiate(specs.map(matmulKernel), pages);
    this.specs = new Map(specs.map((s) => [s.name, s]));
  }

  run(name: string, M: number, N: number, K: number): Result {
    const spec = this.specs.get(name)!;
    const inst = this.inst;
    inst.reset();
    const a = uniform(M * K, M * 131 + K, -1, 1);
    const b = uniform(K * N, N * 17 + K, -1, 1);
    const bias = uniform(N, 5, -1, 1);
    const colScale = uniform(N, 11, 0.5, 1.5);
    const old = uniform(M * N, 7, -1, 1);
    const [A, B, C, biasAt, scaleAt] = [a, b, old, bias, colScale].map((x) => inst.put(x)) as [
      number,
      number,
      number,
      number,
      number,
    ];
    const sizes = matmulParams(spec)
      .filter((p) => p.type === "size")
      .map((p) => ({ M, N, K })[p.name as "M" | "N" | "K"]);
    const vectors = [...(spec.scale ? [scaleAt] : []), ...(spec.bias ? [biasAt] : [])];
    inst.fns[name]!(C, A, B, ...vectors, ...sizes);
    const { C: exact, scale } = reference(spec.form, a, b, M, N, K);
    const act = ACTIVATIONS[spec.activation ?? "identity"]!;
    const got = inst.f32(C, M * N);
    let worst = 0;
    let at = -1;
    for (let e = 0; e < M * N; e++) {
      const pre = exact[e]! * (spec.scale ? colScale[e % N]! : 1) + (spec.bias ? bias[e % N]! : 0);
      const want = act(pre) + (spec.accumulate ? old[e]! : 0);
      // f32 sums of K products: K ulps of the sum of magnitudes, plus the epilogue's roundings
      const tol =
        (K + 8) * 2 ** -24 * (scale[e]! + Math.abs(pre) + 1) + 4 * 2 ** -24 * Math.abs(want);
      const err = Math.abs(got[e]! - want) / tol;
      if (!(err <= worst)) [worst, at] = [Number.isNaN(err) ? Infinity : err, e];
    }
    return { worst, at, slackIntact: Number.isNaN(inst.f32(C + M * N * 4, 1)[0]) };
  }
}
