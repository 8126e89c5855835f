// sum, mean and max over a set of axes (all of them by default), keeping the reduced axes as 1s
// or dropping them. The gradient broadcasts the output adjoint back over the reduced axes.
import type { Attrs, Dim, Node, Shape } from "../ir/node.ts";
import { defineOp, forEachIndex, make, sizeOf, type OpDef, type Tensor } from "./op.ts";
import { div, mul } from "./arith.ts";
import { dimsize } from "./leaves.ts";
import { eq } from "./masks.ts";
import { expand, reshape } from "./shape.ts";
import { axesArg, call, type Shown } from "./notation.ts";

function axesOf(attrs: Attrs): number[] {
  return attrs["axes"] as number[];
}

function reducedShape(x: Shape, attrs: Attrs): Shape {
  const axes = axesOf(attrs);
  const keep = attrs["keep"] === true;
  const out: Dim[] = [];
  x.forEach((d, i) => {
    if (!axes.includes(i)) out.push(d);
    else if (keep) out.push(1);
  });
  return out;
}

/** The output index for each input element; shared by every reduction's reference evaluation. */
function reduceRef(t: Tensor, attrs: Attrs, init: number, f: (acc: number, x: number) => number) {
  const axes = axesOf(attrs);
  const keptShape = t.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const strides = new Array<number>(t.shape.length).fill(0);
  let s = 1;
  for (let i = t.shape.length - 1; i >= 0; i--) {
    strides[i] = axes.includes(i) ? 0 : s;
    s *= keptShape[i]!;
  }
  const out = new Float64Array(sizeOf(keptShape)).fill(init);
  forEachIndex(t.shape, [strides], (i, [o]) => {
    out[o!] = f(out[o!]!, t.data[i]!);
  });
  return { out, count: sizeOf(t.shape) / Math.max(out.length, 1) };
}

/** The adjoint of a reduction, reshaped to keep the reduced axes and broadcast to the input. */
function spread(g: Node, out: Node): Node {
  const x = out.inputs[0]!;
  const kept = reducedShape(x.shape, { axes: out.attrs["axes"]!, keep: true });
  return expand(reshape(g, kept), x.shape);
}

function reduceShape([x]: Shape[], attrs: Attrs): Shape {
  return reducedShape(x!, attrs);
}

export const sumOp: OpDef = defineOp({
  name: "sum",
  kind: "reduce",
  notation: (args, attrs, node) => reduceNotation("sum", args, attrs, node),
  arity: 1,
  shape: reduceShape,
  evaluate: ([x], attrs) => reduceRef(x!, attrs, 0, (a, v) => a + v).out,
  reduce: { init: "0", combine: (acc, x) => `${acc} + ${x}` },
  grad: (g, out) => [spread(g, out)],
});

export const meanOp: OpDef = defineOp({
  name: "mean",
  kind: "reduce",
  notation: (args, attrs, node) => reduceNotation("mean", args, attrs, node),
  arity: 1,
  shape: reduceShape,
  evaluate: ([x], attrs) => {
    const { out, count } = reduceRef(x!, attrs, 0, (a, v) => a + v);
    return out.map((v) => v / count);
  },
  reduce: {
    init: "0",
    combine: (acc, x) => `${acc} + ${x}`,
    finish: (acc, count) => `${acc} / ${count}`,
  },
  // d mean = (1/N) broadcast(dy)
  grad: (g, out) => [div(spread(g, out), dimsize(reducedDims(out)))],
});

export const maxOp: OpDef = defineOp({
  name: "max",
  kind: "reduce",
  notation: (args, attrs, node) => reduceNotation("max", args, attrs, node),
  arity: 1,
  shape: reduceShape,
  evaluate: ([x], attrs) => reduceRef(x!, attrs, -Infinity, (a, v) => Math.max(a, v)).out,
  reduce: { init: "-Infinity", combine: (acc, x) => `Math.max(${acc}, ${x})` },
  // the adjoint goes to the elements that attained the max, shared equally between ties
  grad: (g, out) => {
    const x = out.inputs[0]!;
    const hit = eq(x, spread(out, out));
    const ties = spread(make(sumOp, [hit], { axes: out.attrs["axes"]!, keep: false }), out);
    return [mul(spread(g, out), div(hit, ties))];
  },
});

/** `sum(x, axis: 0)`; over every axis, `sum(x)` */
function reduceNotation(name: string, args: Shown[], attrs: Attrs, node?: Node): Shown {
  const rank = node?.inputs[0]?.shape.length ?? -1;
  return call(name, axesArg(axesOf(attrs), rank))(args, {}, node);
}

function reducedDims(out: Node): Dim[] {
  const x = out.inputs[0]!;
  return axesOf(out.attrs).map((a) => x.shape[a]!);
}

/** Reduce over `axes` (already normalized, ascending), all axes when omitted. */
function reducer(def: OpDef) {
  return (x: Node, axes?: number[], keep = false): Node => {
    const all = axes ?? x.shape.map((_, i) => i);
    if (all.length === 0) return x;
    return make(def, [x], { axes: [...all].sort((a, b) => a - b), keep });
  };
}

export const sum = reducer(sumOp);
export const mean = reducer(meanOp);
export const max = reducer(maxOp);
