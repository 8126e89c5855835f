// Reductions, softmax, log_softmax, softmax + cross-entropy and its gradient, and batchnorm's
// batch statistics and input gradient, as pass lists over lines (lines.ts). Each follows the
// formula of its op in src/ops and of the JS kernels in src/codegen, in f32.
import { f32, get, set, v, type Code } from "./code.ts";
import type { FuncBuilder } from "./func.ts";
import { paramOf, type KernelParam } from "./kernel.ts";
import { lineKernel, type LineVals, type Pass, type Runs } from "./lines.ts";
import type { Func } from "./module.ts";
import * as M from "./simd-math.ts";
import { literal, mulSize, sizeCode, type Size } from "./sizes.ts";

/** An array viewed as [outer, n, inner]; the kernels work along n. */
export interface LineLayout {
  name: string;
  params: readonly KernelParam[];
  outer: Size;
  n: Size;
  inner: Size;
  runs?: Runs;
  comments?: readonly string[];
}

/** A size as an f32 in every lane (a mean's divisor, batchnorm's N). */
export function count(fb: FuncBuilder, n: Size): Code {
  const lit = literal(n);
  return lit !== undefined ? fb.f32x4(lit) : v.splat(f32.convert_i32_s(sizeCode(fb, n)));
}

/** How many elements a line has (n, times the runs), as an f32 in every lane. */
export function lineLength(fb: FuncBuilder, layout: { n: Size; runs?: Runs }): Code {
  return count(fb, layout.runs ? mulSize(layout.n, layout.runs.count) : layout.n);
}

const kernel = (spec: LineLayout, passes: (fb: FuncBuilder) => Pass[]): Func =>
  lineKernel({ ...spec, passes });

/** out[o, i] = sum, mean or max over j of x[o, j, i] */
export function reduceKernel(
  spec: LineLayout & { op: "sum" | "mean" | "max"; x: number; out: number },
): Func {
  return kernel(spec, (fb) => [
    {
      kind: "reduce",
      op: spec.op === "max" ? "max" : "sum",
      into: [{ name: "acc", value: (read) => read(spec.x) }],
    },
    {
      kind: "result",
      out: spec.out,
      value: (vals) =>
        spec.op === "mean" ? v.div(vals["acc"]!, lineLength(fb, spec)) : vals["acc"]!,
    },
  ]);
}

/** The line's max and (a pass later) the sum of e^(x - max). */
const maxPass = (x: number): Pass => ({
  kind: "reduce",
  op: "max",
  into: [{ name: "mx", value: (read) => read(x) }],
});

/**
 * softmax: out = e^(x - max) / sum (the exponentials stored, then divided);
 * log_softmax: out = (x - max) - ln(sum).
 */
export function softmaxKernel(
  spec: LineLayout & { op: "softmax" | "log_softmax"; x: number; out: number },
): Func {
  const shifted = (read: (p: number) => Code, vals: LineVals) => v.sub(read(spec.x), vals["mx"]!);
  return kernel(spec, (fb) =>
    spec.op === "softmax"
      ? [
          maxPass(spec.x),
          {
            kind: "map",
            out: spec.out,
            value: (read, vals) => M.exp(fb, shifted(read, vals)),
            sumAs: "total",
          },
          {
            kind: "map",
            out: spec.out,
            value: (read, vals) => v.div(read(spec.out), vals["total"]!),
          },
        ]
      : [
          maxPass(spec.x),
          {
            kind: "reduce",
            op: "sum",
            into: [{ name: "total", value: (read, vals) => M.exp(fb, shifted(read, vals)) }],
          },
          { kind: "let", name: "log_total", value: (vals) => M.log(fb, vals["total"]!) },
          {
            kind: "map",
            out: spec.out,
            value: (read, vals) => v.sub(shifted(read, vals), vals["log_total"]!),
          },
        ],
  );
}

/** out[line] = sum_j y_j (lse - z_j), lse = max + ln sum_j e^(z_j - max): finite for any logits */
export function softmaxXentKernel(spec: LineLayout & { z: number; y: number; out: number }): Func {
  return kernel(spec, (fb) => [
    maxPass(spec.z),
    {
      kind: "reduce",
      op: "sum",
      into: [{ name: "total", value: (read, vals) => M.exp(fb, v.sub(read(spec.z), vals["mx"]!)) }],
    },
    { kind: "let", name: "lse", value: (vals) => v.add(vals["mx"]!, M.log(fb, vals["total"]!)) },
    {
      kind: "reduce",
      op: "sum",
      into: [
        {
          name: "loss",
          value: (read, vals) => v.mul(read(spec.y), v.sub(vals["lse"]!, read(spec.z))),
        },
      ],
    },
    { kind: "result", out: spec.out, value: (vals) => vals["loss"]! },
  ]);
}

/**
 * The gradient of softmax + cross-entropy: dz = g (softmax(z) sum(y) - y), which is g (p - y) for
 * a one-hot y. g, the adjoint of each line's loss, is the f32 param `g` (the same for every line:
 * 1/batch under a mean) or the per-line array at pointer param `g` (`gPerLine`).
 */
export function softmaxXentGradKernel(
  spec: LineLayout & { z: number; y: number; dz: number; g: number; gPerLine?: boolean },
): Func {
  return kernel(spec, (fb) => {
    const g = (vals: LineVals) => (spec.gPerLine ? vals["g"]! : v.splat(get(fb.params[spec.g]!)));
    return [
      ...(spec.gPerLine ? [{ kind: "input", name: "g", ptr: spec.g } as Pass] : []),
      maxPass(spec.z),
      {
        kind: "reduce",
        op: "sum",
        into: [{ name: "sum_y", value: (read) => read(spec.y) }],
      },
      // the exponentials go to dz first, then become the gradient in place
      {
        kind: "map",
        out: spec.dz,
        value: (read, vals) => M.exp(fb, v.sub(read(spec.z), vals["mx"]!)),
        sumAs: "total",
      },
      {
        kind: "let",
        name: "scale",
        value: (vals) => v.div(v.mul(g(vals), vals["sum_y"]!), vals["total"]!),
      },
      {
        kind: "map",
        out: spec.dz,
        value: (read, vals) =>
          v.sub(v.mul(read(spec.dz), vals["scale"]!), v.mul(g(vals), read(spec.y))),
      },
    ];
  });
}

/**
 * Batch statistics of x [N, C] (n = N: the rows, inner = C: one line per feature):
 * mean = sum(x) / N, var = sum((x - mean)^2) / N (biased, two passes as the IR computes it),
 * invstd = 1 / sqrt(var + eps). `variance` is optional.
 */
export function batchStatsKernel(
  spec: LineLayout & { x: number; mean: number; variance?: number; invstd: number; eps: number },
): Func {
  return kernel(spec, (fb) => [
    { kind: "reduce", op: "sum", into: [{ name: "sum", value: (read) => read(spec.x) }] },
    { kind: "let", name: "mean", value: (vals) => v.div(vals["sum"]!, lineLength(fb, spec)) },
    {
      kind: "reduce",
      op: "sum",
      into: [{ name: "sq", value: (read, vals) => sq(v.sub(read(spec.x), vals["mean"]!), fb) }],
    },
    { kind: "let", name: "var", value: (vals) => v.div(vals["sq"]!, lineLength(fb, spec)) },
    { kind: "result", out: spec.mean, value: (vals) => vals["mean"]! },
    ...(spec.variance !== undefined
      ? [{ kind: "result", out: spec.variance, value: (vals: LineVals) => vals["var"]! } as Pass]
      : []),
    {
      kind: "result",
      out: spec.invstd,
      value: (vals) => v.div(fb.f32x4(1), v.sqrt(v.add(vals["var"]!, fb.f32x4(spec.eps)))),
    },
  ]);
}

/** x^2, x computed once */
function sq(x: Code, fb: FuncBuilder): Code {
  const l = fb.local("centered", "v128");
  return [set(l, x), v.mul(get(l), get(l))];
}

/**
 * A per-feature value of batchnorm (mean, 1/std, gamma): an array at a pointer param (one number
 * there if `broadcast`), a constant (gamma of batchnorm spelled out without one: 1), or a scalar
 * f32 param.
 */
export type PerFeature =
  { ptr: number; broadcast?: boolean } | { value: number } | { scalar: number };

/**
 * batchnorm's input gradient with batch statistics, per feature (column) of [N, C]:
 *   dx = gamma invstd / N (N dy - sum(dy) - xhat sum(dy xhat)),  xhat = (x - mu) invstd,
 * both sums in one pass over the column, dx in a second. They are also d beta = sum(dy) and
 * d gamma = sum(dy xhat), written where `dbeta` / `dgamma` pointers are given.
 */
export function batchnormDxKernel(
  spec: LineLayout & {
    dy: number;
    x: number;
    mu: PerFeature;
    invstd: PerFeature;
    gamma: PerFeature;
    dx: number;
    dgamma?: number;
    dbeta?: number;
  },
): Func {
  const input = (fb: FuncBuilder, name: string, p: PerFeature): Pass => {
    if ("ptr" in p) return { kind: "input", name, ptr: p.ptr, broadcast: p.broadcast };
    const one = (): Code =>
      "value" in p ? fb.f32x4(p.value) : v.splat(get(paramOf(fb, spec.params, p.scalar, "f32")));
    return { kind: "let", name, value: one };
  };
  const xhat = (read: (p: number) => Code, vals: LineVals) =>
    v.mul(v.sub(read(spec.x), vals["mu"]!), vals["invstd"]!);
  return kernel(spec, (fb) => [
    input(fb, "mu", spec.mu),
    input(fb, "invstd", spec.invstd),
    input(fb, "gamma", spec.gamma),
    {
      kind: "reduce",
      op: "sum",
      into: [
        { name: "sum_dy", value: (read) => read(spec.dy) },
        { name: "sum_dy_xhat", value: (read, vals) => v.mul(read(spec.dy), xhat(read, vals)) },
      ],
    },
    { kind: "let", name: "n", value: () => lineLength(fb, spec) },
    {
      kind: "let",
      name: "scale",
      value: (vals) => v.div(v.mul(vals["gamma"]!, vals["invstd"]!), vals["n"]!),
    },
    {
      kind: "map",
      out: spec.dx,
      value: (read, vals) =>
        v.mul(
          vals["scale"]!,
          v.sub(
            v.sub(v.mul(vals["n"]!, read(spec.dy)), vals["sum_dy"]!),
            v.mul(xhat(read, vals), vals["sum_dy_xhat"]!),
          ),
        ),
    },
    ...(spec.dbeta !== undefined
      ? [{ kind: "result", out: spec.dbeta, value: (vals: LineVals) => vals["sum_dy"]! } as Pass]
      : []),
    ...(spec.dgamma !== undefined
      ? [
          {
            kind: "result",
            out: spec.dgamma,
            value: (vals: LineVals) => vals["sum_dy_xhat"]!,
          } as Pass,
        ]
      : []),
  ]);
}
