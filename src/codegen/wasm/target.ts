// The wasm target's kernels: each kernel of the schedule (schedule/kernels.ts) as a wasm
// function made by the generators of this folder, and how to call it: the order of its arguments
// (pointers to the schedule's tensors, scalars, sizes of named dims, the random state). A kernel
// the generators cannot express is reported, and the model then runs on the JS target.
import type { Dim, Shape } from "../../ir/node.ts";
import type { OptimizerSpec as ModelOptimizer } from "../../ir/model.ts";
import type { KExpr, Kernel, KernelSpec } from "../schedule/kernels.ts";
import { get, v, type Code } from "./code.ts";
import { dropoutKernel } from "./dropout.ts";
import { elementwiseKernel } from "./elementwise.ts";
import type { Expr, KernelParam } from "./kernel.ts";
import {
  batchnormDxKernel,
  lineLength,
  softmaxKernel,
  softmaxXentKernel,
  type PerFeature,
} from "./lines-kernels.ts";
import type { FuncBuilder } from "./func.ts";
import { lineKernel, type Pass, type Runs } from "./lines.ts";
import { matmulKernel } from "./matmul.ts";
import { batchDriver } from "./batched.ts";
import type { Func } from "./module.ts";
import { WASM_OPS } from "./ops.ts";
import { optimizerKernel, type OptimizerRule } from "./optim.ts";
import { imageKernel } from "./target-images.ts";
import { broadcastStrides, dyn, literal, mulSize, rowMajor, sizeEq, type Size } from "./sizes.ts";

/** One argument of a wasm kernel call, in the kernel's own order. */
export type ArgRef =
  | { kind: "tensor"; index: number }
  | { kind: "scalar"; index: number }
  /** the product of these dims, as an f32 (a mean's divisor inside an expression) */
  | { kind: "size"; dims: Dim[] }
  /** the size of a named dim, an i32 */
  | { kind: "dim"; name: string }
  /** the random generator's state (the kernel returns the next one) */
  | { kind: "rng" }
  /** the kernel's scratch buffer (a value it computes in two calls) */
  | { kind: "scratch" };

/**
 * A kernel of the schedule on the wasm target: its functions, the calls that compute it (one, or
 * two through a scratch buffer of `scratch`'s shape), each with its arguments.
 */
export interface WasmKernel {
  funcs: Func[];
  calls: { func: string; args: ArgRef[] }[];
  scratch?: Shape;
}

/** The kernel's wasm functions and calls, or why the wasm target cannot run it. */
export function wasmKernel(k: Kernel, name: string): WasmKernel | string {
  try {
    if (k.spec.kind === "matmul" && k.spec.batch) return batchedProduct(k, k.spec, name);
    const image = imageKernel(k, name);
    if (image) return image;
    const b = new Params(k);
    const func = build(k.spec, name, b);
    return { funcs: [func], calls: [{ func: name, args: b.refs }] };
  } catch (e) {
    if (!(e instanceof Unsupported)) throw e;
    try {
      return e.split?.(name) ?? e.message;
    } catch (inner) {
      if (!(inner instanceof Unsupported)) throw inner;
      return inner.message;
    }
  }
}

/** What a generator cannot do in one function; `split`, where it can in two through scratch. */
class Unsupported extends Error {
  constructor(
    message: string,
    readonly split?: (name: string) => WasmKernel,
  ) {
    super(message);
  }
}

/** The params of a kernel being built: pointers, scalars and sizes, each with its argument. */
class Params {
  readonly list: KernelParam[] = [];
  readonly refs: ArgRef[] = [];
  private readonly dimParam = new Map<string, number>();

  constructor(readonly k: Kernel) {}

  add(p: KernelParam, ref: ArgRef): number {
    this.refs.push(ref);
    return this.list.push(p) - 1;
  }
  tensor(i: number, name = `t${i}`): number {
    return this.add({ name, type: "ptr" }, { kind: "tensor", index: i });
  }
  /** the output: the last tensor, or (a scalar result) the cell it is stored in */
  output(name = "out"): number {
    return this.tensor(inputs(this.k), name);
  }
  scalars(): number[] {
    return Array.from({ length: this.k.scalars }, (_, i) =>
      this.add({ name: `s${i}`, type: "f32" }, { kind: "scalar", index: i }),
    );
  }
  /** the i32 params of the named dims, added once each */
  dims(): void {
    for (const d of this.k.dims)
      if (!this.dimParam.has(d))
        this.dimParam.set(d, this.add({ name: `n_${d}`, type: "size" }, { kind: "dim", name: d }));
  }
  size(d: Dim): Size {
    if (typeof d === "number") return d;
    const p = this.dimParam.get(d);
    if (p === undefined) throw new Error(`internal: no param for the dim ${d}`);
    return dyn(p);
  }
  sizes(shape: Shape): Size[] {
    return shape.map((d) => this.size(d));
  }
  product(shape: Shape): Size {
    return this.sizes(shape).reduce<Size>((a, s) => mulSize(a, s), 1);
  }
}

/** How many tensor inputs a kernel reads (the output not counted). */
const inputs = (k: Kernel) => k.tensors - (k.scalarResult ? 0 : 1);

function build(spec: KernelSpec, name: string, b: Params): Func {
  const k = b.k;
  const tensors = Array.from({ length: inputs(k) }, (_, i) => b.tensor(i));
  const out = b.output();
  const scalars = b.scalars();
  const sizes: { dims: Dim[]; param: number }[] = [];
  const expr = (e: KExpr, loop: Size[]): Expr => toExpr(e, loop, b, tensors, scalars, sizes);
  switch (spec.kind) {
    case "map": {
      // the sizes an expression reads become f32 params, after the dims they are made of
      const shape = (b.dims(), b.sizes(spec.shape));
      const e = expr(spec.expr, shape);
      return elementwiseKernel({ name, params: b.list, out, shape, expr: e });
    }
    case "transpose": {
      b.dims();
      const own = rowMajor(b.sizes(spec.shape));
      const shape = b.sizes(spec.perm.map((p) => spec.shape[p]!));
      const load: Expr = { kind: "load", ptr: tensors[0]!, strides: spec.perm.map((p) => own[p]!) };
      return elementwiseKernel({ name, params: b.list, out, shape, expr: load });
    }
    case "reduce":
      return reduce(spec, name, b, tensors, scalars, sizes, out);
    case "matmul": {
      const ref = (i: number | undefined) => (i === undefined ? undefined : b.refs[i]!);
      const e = spec.epilogue;
      const vectors = tensors.slice(2);
      return matmul(spec, name, b, {
        C: b.refs[out]!,
        A: ref(tensors[0])!,
        B: ref(tensors[1])!,
        ...(e?.scale ? { scale: ref(vectors.shift())! } : {}),
        ...(e?.bias ? { bias: ref(vectors.shift())! } : {}),
      });
    }
    case "softmax":
    case "softmax_xent": {
      b.dims();
      const layout = lineLayout(spec.shape, [spec.axis], b);
      if (spec.kind === "softmax")
        return softmaxKernel({
          name,
          params: b.list,
          ...layout,
          op: spec.log ? "log_softmax" : "softmax",
          x: tensors[0]!,
          out,
        });
      return softmaxXentKernel({
        name,
        params: b.list,
        ...layout,
        z: tensors[0]!,
        y: tensors[1]!,
        out,
      });
    }
    case "batchnorm_dx": {
      b.dims();
      const perFeature = (e: KExpr): PerFeature => {
        if (e.kind === "const") return { value: e.value };
        if (e.kind === "scalar") return { scalar: scalars[e.arg]! };
        if (e.kind !== "read") throw new Unsupported("batchnorm's statistics are not buffers");
        return { ptr: tensors[e.arg]!, broadcast: e.shape.every((d) => d === 1) };
      };
      return batchnormDxKernel({
        name,
        params: b.list,
        ...featureLines(spec.shape, b),
        dy: tensors[0]!,
        x: tensors[1]!,
        mu: perFeature(spec.mean),
        invstd: perFeature(spec.invstd),
        gamma: perFeature(spec.gamma),
        dx: out,
      });
    }
    case "conv2d":
    case "conv2d_dx":
    case "conv2d_dw":
    case "pool":
    case "pool_dx":
      throw new Error(`internal: ${spec.kind} is an image kernel`);
    case "layernorm_dx":
    case "gather":
    case "scatter_add":
    case "pick":
    case "unpick":
    case "softmax_xent_int":
    case "causal_mask":
      throw new Unsupported(`the wasm target has no ${spec.kind} kernel yet`);
    case "dropout_mask": {
      const state = b.add({ name: "state", type: "i32" }, { kind: "rng" });
      b.dims();
      return dropoutKernel({
        name,
        params: b.list,
        out,
        n: b.product(spec.shape),
        state,
        rate: spec.rate,
      });
    }
  }
}

/** A schedule expression as the generators' expression, its loads broadcast to `loop`. */
function toExpr(
  e: KExpr,
  loop: Size[],
  b: Params,
  tensors: number[],
  scalars: number[],
  sizes: { dims: Dim[]; param: number }[],
): Expr {
  switch (e.kind) {
    case "const":
      return { kind: "const", value: e.value };
    case "scalar":
      return { kind: "scalar", param: scalars[e.arg]! };
    case "read":
      return {
        kind: "load",
        ptr: tensors[e.arg]!,
        strides: broadcastStrides(b.sizes(e.shape), loop),
      };
    case "size": {
      const key = JSON.stringify(e.dims);
      let s = sizes.find((x) => JSON.stringify(x.dims) === key);
      if (!s) {
        s = {
          dims: e.dims,
          param: b.add(
            { name: `size${sizes.length}`, type: "f32" },
            { kind: "size", dims: e.dims },
          ),
        };
        sizes.push(s);
      }
      return { kind: "scalar", param: s.param };
    }
    case "op":
      return {
        kind: "op",
        op: e.op,
        attrs: e.attrs,
        args: e.args.map((a) => toExpr(a, loop, b, tensors, scalars, sizes)),
      };
  }
}

type LineView = { outer: Size; n: Size; inner: Size; runs?: Runs };

/**
 * A tensor viewed as [outer, n, inner] around the axes a kernel works along: adjacent axes, or
 * axes on both sides of the kept ones (per channel of [N, C, H, W]: lines of N runs of H W). An
 * axis of size 1 orders nothing, so it counts as worked along or kept, whichever gives a view
 * (per channel of [N, C, H, 1], axes 0 and 2 are axes 0, 2 and 3).
 */
function lineLayout(shape: Shape, axes: number[], b: Params): LineView {
  const ones = shape.flatMap((d, i) => (d === 1 ? [i] : []));
  const candidates = [
    axes,
    [...new Set([...axes, ...ones])],
    axes.filter((a) => !ones.includes(a)),
  ].filter((c) => c.length > 0);
  for (const c of candidates) {
    const view = viewAround(shape, c, b);
    if (view) return view;
  }
  throw new Unsupported(`axes ${axes} are neither adjacent nor around the ones kept`);
}

function viewAround(shape: Shape, axes: number[], b: Params): LineView | null {
  const sorted = [...axes].sort((x, y) => x - y);
  const [first, last] = [sorted[0]!, sorted[sorted.length - 1]!];
  if (last - first + 1 === sorted.length)
    return {
      outer: b.product(shape.slice(0, first)),
      n: b.product(shape.slice(first, last + 1)),
      inner: b.product(shape.slice(last + 1)),
    };
  const kept = shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const [k0, k1] = [kept[0]!, kept[kept.length - 1]!];
  const between = k1 - k0 + 1 === kept.length && sorted.every((a) => a < k0 || a > k1);
  const stride = between ? literal(b.product(shape.slice(k0))) : undefined;
  if (stride === undefined) return null;
  return {
    outer: b.product(shape.slice(k0, k1 + 1)),
    n: b.product(shape.slice(k1 + 1)),
    inner: 1,
    runs: { count: b.product(shape.slice(0, k0)), stride },
  };
}

/** batchnorm's features: the columns of [rows, C], the channels of [N, C, H, W]. */
function featureLines(shape: Shape, b: Params): LineView {
  if (shape.length === 2) return { outer: 1, n: b.size(shape[0]!), inner: b.size(shape[1]!) };
  return lineLayout(shape, [0, ...shape.slice(2).map((_, i) => i + 2)], b);
}

/**
 * A reduction of an elementwise expression along one run of adjacent axes: each tensor it reads
 * is either the full shape (read along the line), one value per line (the reduced axes of size
 * 1: batchnorm's per-feature statistics) or one number.
 */
function reduce(
  spec: Extract<KernelSpec, { kind: "reduce" }>,
  name: string,
  b: Params,
  tensors: number[],
  scalars: number[],
  sizes: { dims: Dim[]; param: number }[],
  out: number,
): Func {
  b.dims();
  const shape = b.sizes(spec.shape);
  const layout = tryLayout(spec, b);
  const e = toExpr(spec.expr, shape, b, tensors, scalars, sizes);
  const full = rowMajor(shape);
  const inputs: Pass[] = [];
  const perLine = new Map<string, string>();
  const kind = (strides: readonly Size[]) => {
    if (strides.every((s, i) => sizeEq(s, full[i]!))) return "full";
    if (strides.every((s) => sizeEq(s, 0))) return "one";
    const kept = strides.every((s, i) =>
      spec.axes.includes(i) ? sizeEq(s, 0) : sizeEq(s, full[i]!) || sizeEq(s, 0),
    );
    const rowMajorKept = rowMajor(shape.map((d, i) => (spec.axes.includes(i) ? 1 : d)));
    if (kept && strides.every((s, i) => spec.axes.includes(i) || sizeEq(s, rowMajorKept[i]!)))
      return "line";
    throw new Unsupported("a reduction reads a tensor broadcast across what it keeps");
  };
  const passes = (fb: FuncBuilder): Pass[] => {
    const value = (read: (p: number) => Code, vals: Record<string, Code>): Code => {
      const walk = (x: Expr): Code => {
        switch (x.kind) {
          case "const":
            return fb.f32x4(x.value);
          case "scalar":
            return v.splat(get(fb.params[x.param]!));
          case "load": {
            const how = kind(x.strides);
            if (how === "full") return read(x.ptr);
            return vals[perLine.get(`${x.ptr}:${how}`)!]!;
          }
          case "op": {
            const rule = WASM_OPS[x.op];
            if (!rule) throw new Unsupported(`no wasm form of ${x.op}`);
            const consts = x.args.map((a) => (a.kind === "const" ? a.value : undefined));
            return rule(fb, x.args.map(walk), x.attrs ?? {}, consts);
          }
        }
      };
      return walk(e);
    };
    return [
      ...inputs,
      { kind: "reduce", op: spec.op === "max" ? "max" : "sum", into: [{ name: "acc", value }] },
      {
        kind: "result",
        out,
        value: (vals) =>
          spec.op === "mean" ? v.div(vals["acc"]!, lineLength(fb, layout)) : vals["acc"]!,
      },
    ];
  };
  // the per-line inputs, one pass each; a read of another pattern (varying along the line but
  // the same for every line) has the expression computed into scratch first, then reduced
  const collect = (x: Expr): void => {
    if (x.kind === "op") x.args.forEach(collect);
    if (x.kind !== "load") return;
    const how = kind(x.strides);
    const key = `${x.ptr}:${how}`;
    if (how === "full" || perLine.has(key)) return;
    const valName = `in${perLine.size}`;
    perLine.set(key, valName);
    inputs.push({ kind: "input", name: valName, ptr: x.ptr, broadcast: how === "one" });
  };
  try {
    collect(e);
  } catch (err) {
    if (!(err instanceof Unsupported) || spec.expr.kind === "read") throw err;
    throw new Unsupported(err.message, (n) => reduceThroughScratch(spec, n, b.k));
  }
  return lineKernel({ name, params: b.list, ...layout, passes });
}

/** The reduction's lines, or where no view has them, a reduction in two stages. */
function tryLayout(spec: Extract<KernelSpec, { kind: "reduce" }>, b: Params): LineView {
  try {
    return lineLayout(spec.shape, spec.axes, b);
  } catch (err) {
    if (!(err instanceof Unsupported)) throw err;
    throw new Unsupported(err.message, (n) => reduceInStages(spec, n, b.k));
  }
}

/**
 * A reduction over axes apart (axes 1 and 3 of [N, C, H, W]) as two calls: over the last run of
 * adjacent axes into scratch, where they have size 1, then over the others. A sum of sums, a mean
 * of means of equal counts and a max of maxes are the reduction's value.
 */
function reduceInStages(
  spec: Extract<KernelSpec, { kind: "reduce" }>,
  name: string,
  k: Kernel,
): WasmKernel {
  const sorted = [...spec.axes].sort((x, y) => x - y);
  let i = sorted.length - 1;
  while (i > 0 && sorted[i - 1] === sorted[i]! - 1) i--;
  const [rest, last] = [sorted.slice(0, i), sorted.slice(i)];
  const partial = spec.shape.map((d, a) => (last.includes(a) ? 1 : d));
  const first = new Params(k);
  const tensors = Array.from({ length: inputs(k) }, (_, j) => first.tensor(j));
  const scratch = first.add({ name: "scratch", type: "ptr" }, { kind: "scratch" });
  const scalars = first.scalars();
  const part = reduce(
    { ...spec, axes: last, scalar: false },
    `${name}_part`,
    first,
    tensors,
    scalars,
    [],
    scratch,
  );
  const second = new Params(k);
  const from = second.add({ name: "scratch", type: "ptr" }, { kind: "scratch" });
  const out = second.output();
  const read: KExpr = { kind: "read", arg: 0, shape: partial };
  const fold = reduce(
    { ...spec, shape: partial, axes: rest, expr: read },
    name,
    second,
    [from],
    [],
    [],
    out,
  );
  return {
    funcs: [part, fold],
    calls: [
      { func: `${name}_part`, args: first.refs },
      { func: name, args: second.refs },
    ],
    scratch: partial,
  };
}

/** A reduction as two calls: its expression into scratch (any broadcast), then the reduction. */
function reduceThroughScratch(
  spec: Extract<KernelSpec, { kind: "reduce" }>,
  name: string,
  k: Kernel,
): WasmKernel {
  const first = new Params(k);
  const tensors = Array.from({ length: inputs(k) }, (_, i) => first.tensor(i));
  const scratch = first.add({ name: "scratch", type: "ptr" }, { kind: "scratch" });
  const scalars = first.scalars();
  first.dims();
  const shape = first.sizes(spec.shape);
  const sizes: { dims: Dim[]; param: number }[] = [];
  const expr = toExpr(spec.expr, shape, first, tensors, scalars, sizes);
  const map = elementwiseKernel({
    name: `${name}_expr`,
    params: first.list,
    out: scratch,
    shape,
    expr,
  });
  const second = new Params(k);
  const from = second.add({ name: "scratch", type: "ptr" }, { kind: "scratch" });
  const out = second.output();
  second.dims();
  const read: KExpr = { kind: "read", arg: 0, shape: spec.shape };
  const fold = reduce({ ...spec, expr: read }, name, second, [from], [], [], out);
  return {
    funcs: [map, fold],
    calls: [
      { func: `${name}_expr`, args: first.refs },
      { func: name, args: second.refs },
    ],
    scratch: spec.shape,
  };
}

/** The pointers a product reads and writes, as arguments of its call. */
interface ProductRefs {
  C: ArgRef;
  A: ArgRef;
  B: ArgRef;
  scale?: ArgRef;
  bias?: ArgRef;
}

function matmul(
  spec: Extract<KernelSpec, { kind: "matmul" }>,
  name: string,
  b: Params,
  refs: ProductRefs,
): Func {
  if (spec.ta && spec.tb)
    throw new Unsupported("a product of two transposed operands", (n) =>
      productThroughScratch(spec, n, b.k),
    );
  // the generator's params: C, A, B, scale, bias, then the sizes read at run time
  b.list.length = 0;
  b.refs.length = 0;
  b.add({ name: "C", type: "ptr" }, refs.C);
  b.add({ name: "A", type: "ptr" }, refs.A);
  b.add({ name: "B", type: "ptr" }, refs.B);
  const e = spec.epilogue;
  if (e?.scale) b.add({ name: "scale", type: "ptr" }, refs.scale!);
  if (e?.bias) b.add({ name: "bias", type: "ptr" }, refs.bias!);
  // a size of products of named dims is one i32 param holding the product
  const dim = (ds: Dim[], which: string): number | "param" => {
    if (ds.every((d) => typeof d === "number")) return ds.reduce<number>((a, d) => a * d, 1);
    const one = ds.length === 1 ? ds[0]! : null;
    if (typeof one === "string")
      b.add({ name: `n_${one}`, type: "size" }, { kind: "dim", name: one });
    else b.add({ name: `n_${which}`, type: "size" }, { kind: "size", dims: ds });
    return "param";
  };
  const [M, N, K] = [dim(spec.M, "M"), dim(spec.N, "N"), dim(spec.K, "K")];
  const form = spec.ta ? "tn" : spec.tb ? "nt" : "nn";
  const activation = e?.activation;
  return matmulKernel({
    name,
    form,
    M,
    N,
    K,
    ...(e?.scale ? { scale: true } : {}),
    ...(e?.bias ? { bias: true } : {}),
    ...(activation ? { activation } : {}),
    ...(spec.batch?.sum ? { accumulate: true } : {}),
  });
}

/** A batch of products: the one-product kernel, and a driver calling it once per index. */
function batchedProduct(
  k: Kernel,
  spec: Extract<KernelSpec, { kind: "matmul" }>,
  name: string,
): WasmKernel {
  if (spec.epilogue || (spec.ta && spec.tb))
    throw new Unsupported("a batch of products with an epilogue or two transposed operands");
  const b = new Params(k);
  const one = `${name}_one`;
  const product = matmul(spec, one, b, {
    C: { kind: "tensor", index: k.tensors - 1 },
    A: { kind: "tensor", index: 0 },
    B: { kind: "tensor", index: 1 },
  });
  const param = (which: string) => {
    const i = b.list.findIndex((p) => p.name === `n_${which}` || p.name === which);
    return i;
  };
  const sizeOf = (ds: Dim[], which: "M" | "N" | "K") =>
    ds.every((d) => typeof d === "number")
      ? ds.reduce<number>((a, d) => a * (d as number), 1)
      : { param: param(ds.length === 1 ? (ds[0] as string) : which) };
  const batch = spec.batch!;
  const driver = batchDriver({
    name,
    product: { name: one, params: b.list },
    sizes: { M: sizeOf(spec.M, "M"), N: sizeOf(spec.N, "N"), K: sizeOf(spec.K, "K") },
    aShared: batch.aShared,
    bShared: batch.bShared,
    sum: batch.sum,
  });
  const args: ArgRef[] = [...b.refs, { kind: "size", dims: batch.dims }];
  return { funcs: [product, driver], calls: [{ func: name, args }] };
}

/** A' @ B' with both stored transposed: B [N, K] transposed into scratch [K, N], then A' @ it. */
function productThroughScratch(
  spec: Extract<KernelSpec, { kind: "matmul" }>,
  name: string,
  k: Kernel,
): WasmKernel {
  const first = new Params(k);
  first.tensor(1, "b");
  const scratch = first.add({ name: "scratch", type: "ptr" }, { kind: "scratch" });
  first.dims();
  const [N, K] = [first.product(spec.N), first.product(spec.K)];
  const load: Expr = { kind: "load", ptr: 0, strides: [1, K] };
  const transpose = elementwiseKernel({
    name: `${name}_b`,
    params: first.list,
    out: scratch,
    shape: [K, N],
    expr: load,
  });
  const second = new Params(k);
  const output: ArgRef = { kind: "tensor", index: k.tensors - 1 };
  const product = matmul({ ...spec, tb: false }, name, second, {
    C: output,
    A: { kind: "tensor", index: 0 },
    B: { kind: "scratch" },
  });
  return {
    funcs: [transpose, product],
    calls: [
      { func: `${name}_b`, args: first.refs },
      { func: name, args: second.refs },
    ],
    scratch: [...spec.K, ...spec.N],
  };
}

/** The wasm update of a param of `n` elements under the model's optimizer. */
export function wasmUpdate(o: ModelOptimizer, decay: number, n: number, name: string): Func {
  const rule: OptimizerRule =
    o.kind === "sgd"
      ? { kind: "sgd", momentum: o.momentum }
      : o.kind === "rmsprop"
        ? { kind: "rmsprop", rho: o.rho, eps: o.eps }
        : { kind: o.kind, beta1: o.beta1, beta2: o.beta2, eps: o.eps };
  return optimizerKernel({ name, rule: { ...rule, ...(decay > 0 ? { decay } : {}) }, n });
}
