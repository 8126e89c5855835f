// The JS body of each kind of kernel: a function at module scope whose parameters are its tensors
// (`x0`, `out`, `a`, `b`, `c`, ...), its scalars (`s0`, ...) and the sizes of its named dims
// (`n_batch`). It reads nothing else but the module's helpers, so no name from the source can
// reach its locals.
import type { Dim, Shape } from "../../ir/node.ts";
import { registry } from "../../ops/index.ts";
import { lit } from "../../ops/op.ts";
import type { KExpr, Kernel, KernelSpec } from "../schedule/kernels.ts";
import { kernelMath } from "../schedule/math.ts";
import { sanitize } from "../schedule/names.ts";
import { jsComment } from "../text.ts";
import {
  exprAt,
  makeLoop,
  nest,
  readsAllFull,
  rowMajor,
  sizeOf,
  wrap,
  type Scope,
} from "./loops.ts";
import { matmulLines, plainMatmulLines } from "./matmul.ts";
import { softmaxLines, softmaxXentLines, batchnormDxLines } from "./kernels-fused.ts";
import { convLines, convParams, poolLines, poolParams } from "./conv.ts";
import { causalMaskLines, layernormDxLines, tableLines, tableParams } from "./sequence.ts";

const TABLES = new Set(["gather", "scatter_add", "pick", "unpick", "softmax_xent_int"]);
const isTable = (
  s: KernelSpec,
): s is Extract<
  KernelSpec,
  { kind: "gather" | "scatter_add" | "pick" | "unpick" | "softmax_xent_int" }
> => TABLES.has(s.kind);

export interface KernelOptions {
  /** naive loops, for reading (no register blocking) */
  plain: boolean;
}

/**
 * The parameter names of a kernel, in call order: its tensors (the output last; a kernel whose
 * result is one number stores it in `result[0]` instead), its scalars, the sizes of its dims.
 */
export function kernelParams(k: Kernel): { tensors: string[]; scalars: string[]; dims: string[] } {
  const spec = k.spec;
  const scalarResult = isScalarResult(spec);
  const inputs = k.tensors - (scalarResult ? 0 : 1);
  const numbered = (from: number) =>
    Array.from({ length: inputs - from }, (_, i) => `x${i + from}`);
  const e = spec.kind === "matmul" ? spec.epilogue : undefined;
  const named: Partial<Record<KernelSpec["kind"], string[]>> = {
    matmul: ["a", "b", ...(e?.scale ? ["scale"] : []), ...(e?.bias ? ["bias"] : [])],
    softmax: ["x"],
    transpose: ["x"],
    softmax_xent: ["z", "y"],
    batchnorm_dx: ["dy", "x", ...numbered(2)],
    layernorm_dx: ["dy", "x", ...numbered(2)],
    causal_mask: ["x"],
    dropout_mask: [],
  };
  const output = scalarResult
    ? "result"
    : spec.kind === "matmul"
      ? "c"
      : spec.kind === "batchnorm_dx" || spec.kind === "layernorm_dx"
        ? "dx"
        : "out";
  const own =
    spec.kind === "conv2d" || spec.kind === "conv2d_dx" || spec.kind === "conv2d_dw"
      ? convParams(spec)
      : spec.kind === "pool" || spec.kind === "pool_dx"
        ? poolParams(spec)
        : isTable(spec)
          ? tableParams(spec)
          : null;
  return {
    tensors: own ?? [...(named[spec.kind] ?? numbered(0)), output],
    scalars: Array.from({ length: k.scalars }, (_, i) => `s${i}`),
    dims: k.dims.map(dimParam),
  };
}

/** A kernel's parameter for the size of a named dim: `n_batch`. */
function dimParam(d: string): string {
  return `n_${sanitize(d)}`;
}

function isScalarResult(spec: KernelSpec): boolean {
  return (spec.kind === "reduce" || spec.kind === "softmax_xent") && spec.scalar;
}

/** The kernel as a module-level function, with a comment saying what it computes. */
export function kernelFunction(k: Kernel, opts: KernelOptions): string[] {
  const p = kernelParams(k);
  const scope: Scope = {
    tensor: (i) => p.tensors[i]!,
    scalar: (i) => p.scalars[i]!,
    dim: (d) => (typeof d === "number" ? lit(d) : dimParam(d)),
  };
  const extra = k.spec.kind === "dropout_mask" ? ["rng"] : [];
  // the scalars arrive in a Float64Array, `scalars`: a number computed at run time (1 / batch)
  // passed as an argument would be boxed, a heap allocation per call
  const scalars = p.scalars.length > 0 ? ["scalars"] : [];
  const read = p.scalars.map((s, i) => `const ${s} = scalars[${i}];`);
  const params = [...p.tensors, ...extra, ...scalars, ...p.dims];
  return [
    `// ${jsComment(kernelMath(k.spec, p.tensors, p.scalars))}`,
    `function ${k.name}(${params.join(", ")}) {`,
    ...[...read, ...body(k.spec, scope, p.tensors, opts)].map((l) => `  ${l}`),
    "}",
  ];
}

function body(spec: KernelSpec, scope: Scope, t: string[], opts: KernelOptions): string[] {
  switch (spec.kind) {
    case "map":
      return map(spec.shape, spec.expr, scope, t[t.length - 1]!);
    case "reduce":
      return reduce(spec, scope, t[t.length - 1]!);
    case "matmul":
      return product(spec, scope, opts);
    case "softmax":
      return softmaxLines(spec, scope);
    case "softmax_xent":
      return softmaxXentLines(spec, scope);
    case "batchnorm_dx":
      return batchnormDxLines(spec, scope);
    case "transpose":
      return transpose(spec.shape, spec.perm, scope);
    case "conv2d":
    case "conv2d_dx":
    case "conv2d_dw":
      return convLines(spec, scope, opts.plain);
    case "pool":
    case "pool_dx":
      return poolLines(spec, scope);
    case "gather":
    case "scatter_add":
    case "pick":
    case "unpick":
    case "softmax_xent_int":
      return tableLines(spec, scope);
    case "layernorm_dx":
      return layernormDxLines(spec, scope);
    case "causal_mask":
      return causalMaskLines(spec, scope);
    case "dropout_mask": {
      const size = sizeOf(spec.shape, scope);
      const keep = lit(1 / (1 - spec.rate));
      return [
        `for (let i = 0; i < ${size}; i++) {`,
        `  out[i] = $random(rng) < ${lit(spec.rate)} ? 0 : ${keep};`,
        "}",
      ];
    }
  }
}

/** A matrix product, or a loop of them over a batch (each matrix's start a multiple of its size). */
function product(spec: Spec<"matmul">, scope: Scope, opts: KernelOptions): string[] {
  const [M, N, K] = [spec.M, spec.N, spec.K].map((d) => sizeOf(d, scope)) as [
    string,
    string,
    string,
  ];
  const e = spec.epilogue;
  const batch = spec.batch;
  const s = {
    ...{ C: "c", A: "a", B: "b", M, N, K, ta: spec.ta, tb: spec.tb },
    ...(e ? { epilogue: epilogueOf(e) } : {}),
    ...(batch
      ? {
          at: {
            ...(batch.aShared ? {} : { a: "oa" }),
            ...(batch.bShared ? {} : { b: "ob" }),
            ...(batch.sum ? {} : { c: "oc" }),
          },
          accumulate: batch.sum,
        }
      : {}),
  };
  const lines = opts.plain ? plainMatmulLines(s) : matmulLines(s);
  if (!batch) return lines;
  const times = (a: string, b: string) => `${wrap(a)} * ${wrap(b)}`;
  const starts = [
    ...(batch.aShared ? [] : [`const oa = t * ${times(M, K)};`]),
    ...(batch.bShared ? [] : [`const ob = t * ${times(K, N)};`]),
    ...(batch.sum ? [] : [`const oc = t * ${times(M, N)};`]),
  ];
  return [
    `// one product per index of [${batch.dims.join(", ")}]${batch.sum ? ", summed into c" : ""}`,
    ...(batch.sum ? [`c.fill(0, 0, ${times(M, N)});`] : []),
    `for (let t = 0; t < ${sizeOf(batch.dims, scope)}; t++) {`,
    ...[...starts, ...lines].map((l) => `  ${l}`),
    "}",
  ];
}

type Spec<K extends KernelSpec["kind"]> = Extract<KernelSpec, { kind: K }>;

function map(shape: Shape, expr: KExpr, scope: Scope, out: string): string[] {
  const loop = makeLoop(shape, readsAllFull(expr, shape), scope);
  return nest(loop, [`${out}[${rowMajor(loop)}] = ${exprAt(expr, loop, scope)};`]);
}

/**
 * A reduction loops over its input in row-major order. When the reduced axes are the trailing
 * ones, each output element is one local accumulator; otherwise the output buffer accumulates.
 */
function reduce(
  spec: Extract<KernelSpec, { kind: "reduce" }>,
  scope: Scope,
  out: string,
): string[] {
  const { init, combine, finish } = registry[spec.op].reduce!;
  const loop = makeLoop(spec.shape, readsAllFull(spec.expr, spec.shape), scope, (i) =>
    spec.axes.includes(i),
  );
  const value = wrap(exprAt(spec.expr, loop, scope));
  const count = sizeOf(
    spec.axes.map((a) => spec.shape[a]!),
    scope,
  );
  const done = (acc: string) => (finish ? finish(acc, wrap(count)) : acc);
  const kept = loop.groups.map((t) => !t);
  const firstReduced = kept.indexOf(false);
  if (kept.slice(firstReduced).every((k) => !k)) {
    // trailing reduction: for each output element, accumulate over the reduced loops
    const outIndex = spec.scalar ? "0" : rowMajor(sliceLoop(loop, 0, firstReduced));
    return nest(loop, [`acc = ${combine("acc", value)};`], {
      before: (k) => (k === firstReduced ? [`let acc = ${init};`] : []),
      after: (k) => (k === firstReduced ? [`${out}[${outIndex}] = ${done("acc")};`] : []),
    });
  }
  const keptLoop = {
    extents: loop.extents.filter((_, k) => kept[k]),
    vars: loop.vars.filter((_, k) => kept[k]),
  };
  const at = `${out}[${rowMajor(keptLoop)}]`;
  const size = sizeOf(
    spec.shape.filter((_, i) => !spec.axes.includes(i)),
    scope,
  );
  const lines = [
    `for (let k = 0; k < ${size}; k++) ${out}[k] = ${init};`,
    ...nest(loop, [`${at} = ${combine(at, value)};`]),
  ];
  if (finish) lines.push(`for (let k = 0; k < ${size}; k++) ${out}[k] = ${done(`${out}[k]`)};`);
  return lines;
}

function sliceLoop(loop: { extents: string[]; vars: string[] }, from: number, to: number) {
  return { extents: loop.extents.slice(from, to), vars: loop.vars.slice(from, to) };
}

function transpose(shape: readonly Dim[], perm: number[], scope: Scope): string[] {
  const outShape = perm.map((p) => shape[p]!);
  const loop = makeLoop(outShape, false, scope);
  // the input's stride along each of its axes
  const strides = shape.map((_, i) => sizeOf(shape.slice(i + 1), scope));
  const terms = perm.map((p, k) =>
    strides[p] === "1" ? loop.vars[k]! : `${loop.vars[k]} * ${strides[p]}`,
  );
  return ["let k = 0;", ...nest(loop, [`out[k++] = x[${terms.join(" + ")}];`])];
}

/** The value stored for an accumulator in column `col`: act(acc * scale[col] + bias[col]). */
function epilogueOf(
  e: NonNullable<Extract<KernelSpec, { kind: "matmul" }>["epilogue"]>,
): (acc: string, col: string) => string {
  return (acc, col) => {
    let v = acc;
    if (e.scale) v = `${v} * scale[${col}]`;
    if (e.bias) v = `${v} + bias[${col}]`;
    if (!e.activation) return v;
    const emit = registry[e.activation].emit!;
    return emit([wrap(v)], {});
  };
}
