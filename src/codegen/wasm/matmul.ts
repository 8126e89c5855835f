// The matrix product C[M, N] = A'[M, K] @ B'[K, N] (+ bias[N], then an activation, or C += ...)
// in the three forms of a dense layer and its gradients:
//   nn: A [M, K], B [K, N]     the forward product       x @ W
//   tn: A stored as [K, M]     the weight gradient       x^T @ dy
//   nt: B stored as [N, K]     the input gradient        dy @ W^T
// C is computed tile by tile, each tile's sums kept in 8 v128 locals (the registers) while k runs
// innermost, and stored once with the epilogue fused in. nn and tn splat one element of A' per
// row against 8 columns of B (matmul-tiles.ts: 4 rows x 8 columns); nt reads A and B^T both
// along k and sums lanes at the end (2 rows x 4 columns). Edge tiles of fewer rows and columns
// (M % 4, N % 8, N % 4) are the same code with fewer accumulators and partial vectors.
// Pointers are byte offsets into the memory; sizes are literals or i32 params (the batch dim).
import { get, i32, set, ifThen, type Code, type Local } from "./code.ts";
import type { FuncBuilder } from "./func.ts";
import { kernelBuilder, type KernelParam } from "./kernel.ts";
import { dotTile, sizesInBytes, splatTile, type TileCtx } from "./matmul-tiles.ts";
import type { Func } from "./module.ts";

export type Activation = "identity" | "relu" | "sigmoid" | "tanh";

export interface MatmulSpec {
  name: string;
  form: "nn" | "nt" | "tn";
  /** a literal, or "param": an i32 param of the kernel (after the pointers, in the order M, N, K) */
  M: number | "param";
  N: number | "param";
  K: number | "param";
  /** C = A'B' * scale[j]: the kernel takes a scale pointer after B (before the bias) */
  scale?: boolean;
  /** C = A'B' + bias[j]: the kernel takes a bias pointer after B (and the scale) */
  bias?: boolean;
  activation?: Activation;
  /** C += A'B' (the bias and the activation apply to the product, before it is added) */
  accumulate?: boolean;
  /** multiply-add with f32x4.relaxed_madd (only where features.ts finds relaxed SIMD) */
  relaxed?: boolean;
  comments?: readonly string[];
}

/** The kernel's params: C, A, B, scale and bias (if any), then the sizes given as "param". */
export function matmulParams(spec: MatmulSpec): KernelParam[] {
  const params: KernelParam[] = [
    { name: "C", type: "ptr" },
    { name: "A", type: "ptr" },
    { name: "B", type: "ptr" },
  ];
  if (spec.scale) params.push({ name: "scale", type: "ptr" });
  if (spec.bias) params.push({ name: "bias", type: "ptr" });
  for (const d of ["M", "N", "K"] as const)
    if (spec[d] === "param") params.push({ name: d, type: "size" });
  return params;
}

/** A size as code: the literal, or the param. */
export type Dim = { lit: number } | { local: Local };
export const dimCode = (d: Dim): Code => ("lit" in d ? i32.const(d.lit) : get(d.local));

export function matmulKernel(spec: MatmulSpec): Func {
  const fb = kernelBuilder(spec.name, matmulParams(spec));
  const dim = (d: "M" | "N" | "K"): Dim =>
    spec[d] === "param" ? { local: fb.param(d) } : { lit: spec[d] as number };
  const dims = { M: dim("M"), N: dim("N"), K: dim("K") };
  const ctx: TileCtx = {
    fb,
    spec,
    ...dims,
    bytes: sizesInBytes(fb, dims),
    i: fb.local("i", "i32"),
    j: fb.local("j", "i32"),
    C: fb.param("C"),
    A: fb.param("A"),
    B: fb.param("B"),
    bias: spec.bias ? fb.param("bias") : null,
    scale: spec.scale ? fb.param("scale") : null,
  };
  const [rows, cols] = spec.form === "nt" ? [2, 4] : [4, 8];
  const tile = spec.form === "nt" ? dotTile : splatTile;
  const [rowEnd, colEnd] = [bound(fb, ctx.M, rows), bound(fb, ctx.N, cols)];
  fb.emit(
    tiles(fb, ctx.i, ctx.M, rows, rowEnd, (r) =>
      tiles(fb, ctx.j, ctx.N, cols, colEnd, (w) => tile(ctx, r, w)),
    ),
  );
  return fb.finish({ comments: spec.comments ?? [] });
}

/**
 * `for (idx = 0; idx < end; idx += step) body(step)` (end = n - step + 1), then the remaining
 * n % step with narrower bodies: halves first where `step` is 8 (a 4-wide vector, then 1-3
 * lanes), one body per remainder otherwise; a remainder known only at run time picks its body
 * with `if`s.
 */
function tiles(
  fb: FuncBuilder,
  idx: Local,
  n: Dim,
  step: number,
  end: Code,
  body: (w: number) => Code,
): Code {
  const main = fb.forUp(idx, i32.const(0), end, step, body(step));
  const widths = step === 8 ? [4] : [];
  const rest: Code[] = [];
  if ("lit" in n) {
    let left = n.lit % step;
    for (const w of widths)
      if (left >= w) {
        rest.push(body(w), set(idx, i32.add(get(idx), i32.const(w))));
        left -= w;
      }
    if (left > 0) rest.push(body(left));
    return [main, rest];
  }
  const left = () => i32.sub(get(n.local), get(idx));
  for (const w of widths)
    rest.push(
      ifThen(i32.ge_s(left(), i32.const(w)), [body(w), set(idx, i32.add(get(idx), i32.const(w)))]),
    );
  let chain: Code = [];
  for (let w = 1; w < Math.min(step, 4); w++)
    chain = ifThen(i32.eq(left(), i32.const(w)), body(w), chain);
  return [main, rest, chain];
}

/** n - (step - 1): the loop runs while idx < bound, i.e. idx + step <= n */
function bound(fb: FuncBuilder, n: Dim, step: number): Code {
  if ("lit" in n) return i32.const(n.lit - step + 1);
  const l = fb.local(`${n.local.name}_end${step}`, "i32");
  fb.emit(set(l, i32.sub(get(n.local), i32.const(step - 1))));
  return get(l);
}
