// Kernels, described apart from any target: what each materialized tensor (or reduction to a
// scalar) computes, over which shapes, reading which tensors and scalars. A kernel is a function
// of its arguments only, so one kernel serves every value of the same shape and form
// (`$matmul_tn_784x64x128`); each target writes its body (js/kernels.ts, wasm/) from the spec.
import { isScalar, type Attrs, type Dim, type Node, type Shape } from "../../ir/node.ts";
import type { OpName } from "../../ops/names.ts";
import { registry } from "../../ops/index.ts";
import { num } from "../../ops/op.ts";
import type { Plan } from "./plan.ts";
import { geometryOf, type ConvGeometry } from "../../ops/conv.ts";
import { productShape } from "../../ops/matmul.ts";
import { poolGeometryOf, type PoolGeometry } from "../../ops/pool.ts";

/** A value computed per element inside a kernel's loop; `arg` indexes the kernel's arguments. */
export type KExpr =
  /** the element of tensor argument `arg`, broadcast from `shape` to the loop's shape */
  | { kind: "read"; arg: number; shape: Shape }
  | { kind: "scalar"; arg: number }
  | { kind: "const"; value: number }
  /** the product of dims (a named dim's size at run time) */
  | { kind: "size"; dims: Dim[] }
  | { kind: "op"; op: OpName; attrs: Attrs; args: KExpr[] };

export type ReduceOp = "sum" | "mean" | "max";

/** What a kernel computes. Tensor arguments come first, the output last (none for a scalar). */
export type KernelSpec =
  /** out = expr, elementwise over `shape` */
  | { kind: "map"; shape: Shape; expr: KExpr }
  /** out = op over `axes` of expr (over `shape`); `scalar`: the result is one number */
  | { kind: "reduce"; op: ReduceOp; shape: Shape; axes: number[]; expr: KExpr; scalar: boolean }
  /** C[M, N] = A'[M, K] @ B'[K, N], A' = A^T when `ta`, B' = B^T when `tb`; with an epilogue,
   * C = act(A'B' * scale + bias), scale and bias per column (tensor arguments after A and B).
   * M, N and K are products of dims (the rows of a batch of sequences: [batch, 16]). */
  | {
      kind: "matmul";
      ta: boolean;
      tb: boolean;
      M: Dim[];
      N: Dim[];
      K: Dim[];
      batch?: ProductBatch;
      epilogue?: { scale: boolean; bias: boolean; activation?: "relu" | "sigmoid" | "tanh" };
    }
  | { kind: "softmax"; log: boolean; shape: Shape; axis: number }
  /** per line along `axis`: sum_j y_j (lse - z_j), args z, y */
  | { kind: "softmax_xent"; shape: Shape; axis: number; scalar: boolean }
  /** the closed-form batchnorm input gradient; mean, invstd and gamma are per-column exprs */
  | { kind: "batchnorm_dx"; shape: Shape; mean: KExpr; invstd: KExpr; gamma: KExpr }
  /** the closed-form layernorm input gradient: per row of the last axis (mean and invstd per
   * row, gamma per feature); args dy, x */
  | { kind: "layernorm_dx"; shape: Shape; mean: KExpr; invstd: KExpr; gamma: KExpr }
  /** rows of a table at integer indices (`count` of them): args W, idx */
  | { kind: "gather"; rows: number; width: number; count: Dim[] }
  /** each row of dy added into row idx of a zeroed table: args dy, idx */
  | { kind: "scatter_add"; rows: number; width: number; count: Dim[] }
  /** p[..., y] per line of `classes`: args p, y */
  | { kind: "pick"; classes: number; count: Dim[] }
  /** dy at each line's class, 0 elsewhere: args dy, y */
  | { kind: "unpick"; classes: number; count: Dim[] }
  /** per line: lse(z) - z[y], y the line's class; args z, y */
  | { kind: "softmax_xent_int"; classes: number; count: Dim[] }
  /** x with the entries above the diagonal of its last two axes set to fill: arg x */
  | { kind: "causal_mask"; shape: Shape; fill: "-inf" | "zero" }
  | { kind: "transpose"; shape: Shape; perm: number[] }
  /** dropout's keep-mask: 1/(1-rate) with probability 1-rate, else 0 (from the model's PRNG) */
  | { kind: "dropout_mask"; shape: Shape; rate: number }
  /** y = conv2d(x, W) (+ bias per channel, then an activation); args x, W (, bias) */
  | {
      kind: "conv2d";
      geo: ConvGeo;
      epilogue?: { bias: boolean; activation?: "relu" | "sigmoid" | "tanh" };
    }
  /** dx = conv_transpose2d(dy, W); args dy, W */
  | { kind: "conv2d_dx"; geo: ConvGeo }
  /** dW = conv2d_weight(x, dy); args x, dy */
  | { kind: "conv2d_dw"; geo: ConvGeo }
  /** y = max or mean of each window; arg x */
  | { kind: "pool"; op: "max" | "avg"; geo: PoolGeo }
  /** dx of a pool; args dy (and x for max: the window's maximum gets the gradient) */
  | { kind: "pool_dx"; op: "max" | "avg"; geo: PoolGeo };

/**
 * One product per index of `dims` (attention's heads): A and B step to their next matrix at each
 * index unless `shared` (the same matrix for all); with `sum`, the products add up into C.
 */
export interface ProductBatch {
  dims: Dim[];
  aShared: boolean;
  bShared: boolean;
  sum: boolean;
}

/** A convolution's sizes (the batch may be named) and window. */
export type ConvGeo = Omit<ConvGeometry, "N"> & { N: Dim };
export type PoolGeo = PoolGeometry & { N: Dim };

export interface Kernel {
  /** the compiler's name for it, telling what it computes: `$matmul_tn_784x64x128` */
  name: string;
  spec: KernelSpec;
  /** how many tensor arguments, the output included unless `scalarResult` */
  tensors: number;
  /**
   * the result is one number, which the caller receives rather than a buffer of its own: true for
   * every kernel whose node is a scalar (a sum, a scalar's dropout mask), whatever its spec
   */
  scalarResult: boolean;
  scalars: number;
  /** the named dims whose sizes it takes, in order */
  dims: string[];
  /** a node it computes, for the comment above it */
  first: Node;
}

/** One use of a kernel: the node it computes and what it is called with. */
export interface KernelCall {
  kernel: Kernel;
  node: Node;
  /** tensor arguments in order; the output (the node's buffer) last unless the result is scalar */
  tensors: Node[];
  scalars: Node[];
}

export class KernelSet {
  private readonly byKey = new Map<string, Kernel>();
  private readonly calls = new Map<Node, KernelCall>();

  constructor(readonly plan: Plan) {}

  /** The call computing `node` (its kernel built once per spec). */
  call(node: Node): KernelCall {
    let call = this.calls.get(node);
    if (!call) {
      const args = new Args(this.plan);
      const spec = specOf(node, this.plan, args);
      const scalarResult = isScalar(node.shape);
      const output = scalarResult ? [] : [node];
      const tensors = [...args.tensors, ...output];
      const dims = dimsOf(spec, this.plan);
      const key = JSON.stringify({ spec, t: tensors.length, s: args.scalars.length, dims });
      let kernel = this.byKey.get(key);
      if (!kernel) {
        const name = this.plan.sys.fresh(kernelName(spec));
        const counts = { tensors: tensors.length, scalars: args.scalars.length };
        kernel = { name, spec, ...counts, scalarResult, dims, first: node };
        this.byKey.set(key, kernel);
      }
      call = { kernel, node, tensors, scalars: args.scalars };
      this.calls.set(node, call);
    }
    return call;
  }

  all(): Kernel[] {
    return [...this.byKey.values()];
  }
}

/** The tensors and scalars a kernel reads, numbered in the order its spec first reads them. */
class Args {
  readonly tensors: Node[] = [];
  readonly scalars: Node[] = [];
  constructor(readonly plan: Plan) {}

  /** A tensor an expression reads: one argument however many reads (the index says which). */
  tensor(n: Node): number {
    const storage = this.plan.storageOf(n);
    const k = this.tensors.indexOf(storage);
    return k >= 0 ? k : this.tensors.push(storage) - 1;
  }

  /**
   * A tensor a kernel reads by its position (a matrix product's A and B, softmax_xent's z and y,
   * a convolution's input and weights): an argument of its own even where it is another operand
   * too (`w @ w`).
   */
  operand(n: Node): void {
    this.tensors.push(this.plan.storageOf(n));
  }

  scalar(n: Node): number {
    const k = this.scalars.indexOf(n);
    return k >= 0 ? k : this.scalars.push(n) - 1;
  }

  /** The expression of `node`'s element: its fused inputs inline, other tensors read. */
  expr(node: Node): KExpr {
    const p = this.plan;
    if (node.op === "const") return { kind: "const", value: num(node.attrs, "value") };
    if (node.op === "dimsize") return { kind: "size", dims: p.dims(node.attrs["dims"] as Dim[]) };
    if (isScalar(node.shape) && !p.inlined.has(node))
      return { kind: "scalar", arg: this.scalar(node) };
    if (isScalar(node.shape) || p.fused.has(node)) return this.op(node);
    return { kind: "read", arg: this.tensor(node), shape: p.dims(node.shape) };
  }

  op(node: Node): KExpr {
    return {
      kind: "op",
      op: node.op,
      attrs: node.attrs,
      args: node.inputs.map((x) => this.expr(x)),
    };
  }
}

function specOf(node: Node, plan: Plan, args: Args): KernelSpec {
  const kind = registry[node.op].kind;
  const shape = plan.dims(node.shape);
  const x = node.inputs[0]!;
  const epilogue = plan.epilogues.get(node);
  if (epilogue) {
    const product = specOf(epilogue.product, plan, args);
    if (epilogue.scale) args.operand(epilogue.scale);
    if (epilogue.shift) args.operand(epilogue.shift);
    const { scale, shift, activation } = epilogue;
    const then = activation ? { activation } : {};
    if (product.kind === "conv2d") return { ...product, epilogue: { bias: !!shift, ...then } };
    if (product.kind !== "matmul") throw new Error(`internal: an epilogue after ${product.kind}`);
    return { ...product, epilogue: { scale: !!scale, bias: !!shift, ...then } };
  }
  if (kind === "elementwise") return { kind: "map", shape, expr: args.op(node) };
  if (kind === "reduce") {
    const op = node.op as ReduceOp;
    const axes = node.attrs["axes"] as number[];
    const expr = args.expr(x);
    return {
      kind: "reduce",
      op,
      shape: plan.dims(x.shape),
      axes,
      expr,
      scalar: isScalar(node.shape),
    };
  }
  switch (node.op) {
    case "matmul":
      args.operand(x);
      args.operand(node.inputs[1]!);
      return productSpec(node, plan);
    case "softmax":
    case "log_softmax":
      args.operand(x);
      return { kind: "softmax", log: node.op === "log_softmax", shape, axis: axis(node) };
    case "softmax_xent":
      args.operand(x);
      args.operand(node.inputs[1]!);
      return {
        kind: "softmax_xent",
        shape: plan.dims(x.shape),
        axis: axis(node),
        scalar: isScalar(node.shape),
      };
    case "batchnorm_dx": {
      const [g, xin, mu, invstd, gamma] = node.inputs as [Node, Node, Node, Node, Node];
      args.operand(g);
      args.operand(xin);
      return {
        kind: "batchnorm_dx",
        shape,
        mean: args.expr(mu),
        invstd: args.expr(invstd),
        gamma: args.expr(gamma),
      };
    }
    case "layernorm_dx": {
      const [g, xin, mu, invstd, gamma] = node.inputs as [Node, Node, Node, Node, Node];
      args.operand(g);
      args.operand(xin);
      const [mean, inv, gam] = [args.expr(mu), args.expr(invstd), args.expr(gamma)];
      return { kind: "layernorm_dx", shape, mean, invstd: inv, gamma: gam };
    }
    case "gather":
    case "scatter_add":
    case "pick":
    case "unpick":
    case "softmax_xent_int":
      node.inputs.forEach((t) => args.operand(t));
      return tableSpec(node, plan);
    case "causal_mask":
      args.operand(x);
      return { kind: "causal_mask", shape, fill: node.attrs["fill"] === "zero" ? "zero" : "-inf" };
    case "transpose":
      args.operand(x);
      return { kind: "transpose", shape: plan.dims(x.shape), perm: node.attrs["perm"] as number[] };
    case "dropout_mask":
      return { kind: "dropout_mask", shape, rate: num(node.attrs, "rate") };
    case "conv2d":
    case "conv2d_dx":
    case "conv2d_dw": {
      node.inputs.forEach((t) => args.operand(t));
      const geo = { ...geometryOf(node), N: plan.dims([node.inputs[0]!.shape[0]!])[0]! };
      return { kind: node.op, geo };
    }
    case "max_pool2d":
    case "avg_pool2d":
    case "max_pool2d_dx":
    case "avg_pool2d_dx": {
      node.inputs.forEach((t) => args.operand(t));
      const geo = { ...poolGeometryOf(node), N: plan.dims([node.inputs[0]!.shape[0]!])[0]! };
      const op = node.op.startsWith("max") ? "max" : "avg";
      return node.op.endsWith("_dx") ? { kind: "pool_dx", op, geo } : { kind: "pool", op, geo };
    }
    default:
      throw new Error(`internal: no kernel for ${node.op}`);
  }
}

/**
 * A product's sizes: a batch of rows against one matrix is one product of [batch..., m] rows; a
 * folded product stored as the backward pass stores it (A^T B) sums over [batch..., k]; any other
 * batch is a loop of products.
 */
function productSpec(node: Node, plan: Plan): KernelSpec {
  const [a, b] = node.inputs as [Node, Node];
  const ta = node.attrs["ta"] === true;
  const tb = node.attrs["tb"] === true;
  const fold = node.attrs["fold"] === true;
  const p = productShape(a.shape, b.shape, node.attrs);
  const lead = (x: Node) => x.shape.slice(0, -2);
  const dims = plan.dims(fold ? lead(a) : p.batch);
  const [m, n, k] = plan.dims([p.m, p.n, p.k]) as [Dim, Dim, Dim];
  const shared = (x: Node) => lead(x).every((d) => d === 1);
  const base = { kind: "matmul" as const, ta, tb };
  if (dims.length === 0 || dims.every((d) => d === 1)) return { ...base, M: [m], N: [n], K: [k] };
  if (!fold && !ta && shared(b)) return { ...base, M: [...dims, m], N: [n], K: [k] };
  if (fold && ta && !tb) return { ...base, M: [m], N: [n], K: [...dims, k] };
  const batch = { dims, aShared: shared(a), bShared: shared(b), sum: fold };
  return { ...base, M: [m], N: [n], K: [k], batch };
}

/** The sizes of a read or write of a table at integer indices (the indices' shape is `count`). */
function tableSpec(node: Node, plan: Plan): KernelSpec {
  const [a, idx] = node.inputs as [Node, Node];
  const count = plan.dims(idx.shape);
  const last = (n: Node) => n.shape[n.shape.length - 1] as number;
  switch (node.op) {
    case "gather":
      return {
        kind: "gather",
        rows: a.shape[0] as number,
        width: sizeOfFixed(a.shape.slice(1)),
        count,
      };
    case "scatter_add":
      return {
        kind: "scatter_add",
        rows: node.attrs["rows"] as number,
        width: sizeOfFixed(node.shape.slice(1)),
        count,
      };
    case "pick":
      return { kind: "pick", classes: last(a), count };
    case "unpick":
      return { kind: "unpick", classes: node.attrs["classes"] as number, count };
    default:
      return { kind: "softmax_xent_int", classes: last(a), count };
  }
}

function sizeOfFixed(shape: Shape): number {
  return shape.reduce<number>((n, d) => n * (d as number), 1);
}

function axis(node: Node): number {
  return node.attrs["axis"] as number;
}

/** The named dims (not bound) a spec's sizes mention, in order of first mention. */
function dimsOf(spec: KernelSpec, plan: Plan): string[] {
  const found: string[] = [];
  const add = (ds: readonly Dim[]) => {
    for (const d of ds)
      if (typeof d === "string" && plan.dimVars.has(d) && !found.includes(d)) found.push(d);
  };
  const walk = (e: KExpr): void => {
    if (e.kind === "read") add(e.shape);
    else if (e.kind === "size") add(e.dims);
    else if (e.kind === "op") e.args.forEach(walk);
  };
  if (spec.kind === "matmul") add([...(spec.batch?.dims ?? []), ...spec.M, ...spec.K, ...spec.N]);
  else if ("geo" in spec) add([spec.geo.N]);
  else if ("count" in spec) add(spec.count);
  else add(spec.shape);
  if (spec.kind === "map" || spec.kind === "reduce") walk(spec.expr);
  if (spec.kind === "batchnorm_dx" || spec.kind === "layernorm_dx")
    [spec.mean, spec.invstd, spec.gamma].forEach(walk);
  return found;
}

/** `matmul_tn_784x64x128`, `softmax_xent_64x10`, `add_relu_64x128`, `sum_axis0_64x128`. */
function kernelName(spec: KernelSpec): string {
  const dims = (s: readonly Dim[]) => (s.length === 0 ? "1" : s.join("x"));
  switch (spec.kind) {
    case "matmul": {
      const e = spec.epilogue;
      const then = e ? [e.scale ? "scale" : "", e.bias ? "bias" : "", e.activation ?? ""] : [];
      const form = `${spec.ta ? "t" : "n"}${spec.tb ? "t" : "n"}`;
      const sizes = [spec.M, spec.K, spec.N].map((d) => d.join("_")).join("x");
      const batch = spec.batch
        ? [`${spec.batch.sum ? "summed" : "batch"}_${spec.batch.dims.join("_")}`]
        : [];
      return ["matmul", form, ...then.filter((p) => p), ...batch, sizes].join("_");
    }
    case "map":
      return `${opsOf(spec.expr).join("_") || "copy"}_${dims(spec.shape)}`;
    case "reduce": {
      const of = opsOf(spec.expr);
      const over = spec.axes.length === spec.shape.length ? "all" : `axis${spec.axes.join("")}`;
      return `${spec.op}${of.length > 0 ? `_of_${of.join("_")}` : ""}_${over}_${dims(spec.shape)}`;
    }
    case "softmax":
      return `${spec.log ? "log_softmax" : "softmax"}_${dims(spec.shape)}`;
    case "batchnorm_dx":
      return `batchnorm_grad_${dims(spec.shape)}`;
    case "layernorm_dx":
      return `layernorm_grad_${dims(spec.shape)}`;
    case "gather":
    case "scatter_add":
      return `${spec.kind}_${dims(spec.count)}_of_${spec.rows}x${spec.width}`;
    case "pick":
    case "unpick":
    case "softmax_xent_int":
      return `${spec.kind}_${dims(spec.count)}x${spec.classes}`;
    case "conv2d":
    case "conv2d_dx":
    case "conv2d_dw": {
      const g = spec.geo;
      const e = spec.kind === "conv2d" ? spec.epilogue : undefined;
      const then = e ? [e.bias ? "bias" : "", e.activation ?? ""].filter((p) => p) : [];
      const what = { conv2d: "conv2d", conv2d_dx: "conv2d_dx", conv2d_dw: "conv2d_dw" }[spec.kind];
      return [what, ...then, `${g.N}x${g.C}x${g.H}x${g.W}`, `k${g.O}x${g.kh}x${g.kw}`].join("_");
    }
    case "pool":
    case "pool_dx": {
      const g = spec.geo;
      const what = `${spec.op}_pool2d${spec.kind === "pool_dx" ? "_dx" : ""}`;
      return `${what}_${g.N}x${g.C}x${g.H}x${g.W}_k${g.kh}x${g.kw}`;
    }
    default:
      return `${spec.kind}_${dims(spec.shape)}`;
  }
}

/** The ops of an expression in evaluation order, each once, at most four (then `etc`). */
function opsOf(e: KExpr): string[] {
  const out: string[] = [];
  const walk = (x: KExpr): void => {
    if (x.kind !== "op") return;
    x.args.forEach(walk);
    if (x.op !== "expand" && !out.includes(x.op)) out.push(x.op);
  };
  walk(e);
  return out.length > 4 ? [...out.slice(0, 4), "etc"] : out;
}
