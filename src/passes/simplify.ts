// Simplification, applied to the forward and backward graphs together:
//   x*1 -> x, x+0 -> x, x-0 -> x, 0-x -> -x, -1*x -> -x, --x -> x, x/1 -> x, x^1 -> x,
//   constant folding of elementwise ops on constants, sum/mean of a broadcast constant,
//   transpose of transpose, expand of expand, reshape of a broadcast scalar, and an elementwise
//   op over broadcast scalars computed once on the scalars.
// Common subexpressions need no rule: hash-consing builds each distinct node once.
import { isScalar, sameShape, type Node } from "../ir/node.ts";
import {
  c,
  dimsize,
  expand,
  foldedMatmul,
  mul,
  neg,
  opDef,
  transpose,
  type Tensor,
} from "../ops/index.ts";
import { make } from "../ops/op.ts";
import { constValue, k, p, P, v } from "./pattern.ts";
import { rules, type Rule } from "./rewrite.ts";

const x = v("x");
const broadcastConst = P.expand(k(null, "a"));

export const simplify: Rule[] = rules([
  ["x*1", P.mul(x, k(1)), ({ x }) => x!], // x * 1 = x
  ["x+0", P.add(x, k(0)), ({ x }) => x!], // x + 0 = x
  ["x-0", P.sub(x, k(0)), ({ x }) => x!], // x - 0 = x
  ["0-x", P.sub(k(0), x), ({ x }) => neg(x!)], // 0 - x = -x
  ["-1*x", P.mul(k(-1), x), ({ x }) => neg(x!)], // (-1) x = -x
  ["--x", P.neg(P.neg(x)), ({ x }) => x!], // -(-x) = x
  ["x/1", P.div(x, k(1)), ({ x }) => x!], // x / 1 = x
  ["x^1", P.pow(x, k(1)), ({ x }) => x!], // x^1 = x
  ["fold", v("n"), ({ n }) => fold(n!)], // f(constants) = constant
  ["sum-of-broadcast", p("sum", [broadcastConst]), (b, n) => sumConst(b, n, false)], // sum(a) = a N
  ["mean-of-broadcast", p("mean", [broadcastConst]), (b, n) => sumConst(b, n, true)], // mean(a) = a
  ["transpose-transpose", P.transpose(p("transpose", [x], {}, "t")), twice], // (x^T)^T = x
  ["expand-expand", P.expand(P.expand(x)), ({ x }, n) => expand(x!, n.shape)], // one broadcast
  ["reshape-of-broadcast", p("reshape", [x]), ({ x }, n) => unbroadcast(x!, n)], // same values
  ["scalar-broadcast", v("n"), ({ n }) => scalarize(n!)], // f(bcast a, bcast b) = bcast f(a, b)
  // constants meet through products: a (b x) = (a b) x, a (x / b) = (a / b) x, -(a x) = (-a) x
  ["const-times-product", P.mul(k(null, "a"), P.mul(k(null, "b"), x)), scaled((a, b) => a * b)],
  ["const-times-quotient", P.mul(k(null, "a"), P.div(x, k(null, "b"))), scaled((a, b) => a / b)],
  ["quotient-of-product", P.div(P.mul(k(null, "a"), x), k(null, "b")), scaled((a, b) => a / b)],
  ["negated-product", P.neg(P.mul(k(null, "a"), x)), scaled((a) => -a)],
  // sum_b (A[b]' B[b]') over the batch axes: one product over the batch (a weight gradient)
  ["fold-batched-product", p("sum", [p("matmul", [v("a"), v("b")], {}, "mm")]), foldProduct],
]);

/** The product's constants as one: `f(a, b) * x` (a finite number, else no rewrite). */
function scaled(f: (a: number, b: number) => number) {
  return ({ a, b, x }: Record<string, Node>): Node | null => {
    const value = f(constValue(a!)!, b ? constValue(b)! : NaN);
    return Number.isFinite(value) ? mul(c(value), x!) : null;
  };
}

/** sum(a' @ b', batch axes) of operands that both have every batch axis -> one folded product. */
function foldProduct({ a, b, mm }: Record<string, Node>, n: Node): Node | null {
  const batch = mm!.shape.length - 2;
  const axes = n.attrs["axes"] as number[];
  if (batch === 0 || mm!.attrs["fold"] === true || n.attrs["keep"] === true) return null;
  if (axes.length !== batch || axes.some((ax, i) => ax !== i)) return null;
  const lead = (x: Node) => x.shape.slice(0, -2);
  if (!sameShape(lead(a!), lead(mm!)) || !sameShape(lead(b!), lead(mm!))) return null;
  return foldedMatmul(a!, b!, mm!.attrs["ta"] === true, mm!.attrs["tb"] === true);
}

/** The scalar a broadcast node repeats, if it is one. */
function broadcastScalar(n: Node): Node | null {
  if (isScalar(n.shape)) return n;
  if (n.op === "expand" && isScalar(n.inputs[0]!.shape)) return n.inputs[0]!;
  return null;
}

/** A reshape of a scalar, or of a broadcast scalar, is that scalar broadcast to the new shape. */
function unbroadcast(x: Node, n: Node): Node | null {
  const a = broadcastScalar(x);
  return a === null ? null : expand(a, n.shape);
}

/** An elementwise op over broadcast scalars computes once, on the scalars, and broadcasts. */
function scalarize(n: Node): Node | null {
  const def = opDef(n.op);
  if (def.kind !== "elementwise" || n.op === "expand" || isScalar(n.shape)) return null;
  if (n.inputs.length === 0 || n.inputs.every((i) => isScalar(i.shape))) return null;
  const scalars = n.inputs.map(broadcastScalar);
  if (scalars.some((a) => a === null)) return null;
  return expand(make(def, scalars as Node[], n.attrs), n.shape);
}

/** An elementwise op whose inputs are all scalar constants becomes one constant. */
function fold(n: Node): Node | null {
  const def = opDef(n.op);
  if (def.kind !== "elementwise" || n.inputs.length === 0 || !isScalar(n.shape)) return null;
  if (!n.inputs.every((i) => i.op === "const")) return null;
  const inputs: Tensor[] = n.inputs.map((i) => ({
    data: Float64Array.of(i.attrs["value"] as number),
    shape: [],
  }));
  const value = def.evaluate(
    inputs,
    n.attrs,
    [],
    { leaf: () => new Float64Array(), dim: () => NaN },
    n,
  )[0]!;
  return Number.isFinite(value) ? c(value) : null;
}

/** sum of a broadcast constant a over N elements = a N; its mean = a. */
function sumConst({ a }: Record<string, Node>, n: Node, isMean: boolean): Node {
  const x = n.inputs[0]!;
  const dims = (n.attrs["axes"] as number[]).map((i) => x.shape[i]!);
  const value = a!.attrs["value"] as number;
  const fixed = dims.every((d) => typeof d === "number");
  const count = dims.reduce<number>((s, d) => s * (typeof d === "number" ? d : 1), 1);
  const total =
    isMean || value === 0 ? c(value) : fixed ? c(value * count) : mul(c(value), dimsize(dims));
  return expand(total, n.shape);
}

/** transpose(transpose(x, p), q) = transpose(x, p composed with q) */
function twice({ x, t }: Record<string, Node>, n: Node): Node {
  const inner = t!.attrs["perm"] as number[];
  const outer = n.attrs["perm"] as number[];
  return transpose(
    x!,
    outer.map((o) => inner[o]!),
  );
}
