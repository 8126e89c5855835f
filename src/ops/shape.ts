// Ops that move data without arithmetic: broadcast to a shape, reshape, transpose; and sumTo,
// the one place where a broadcast is undone (autodiff calls it on every adjoint).
import { shapeToString, sameShape, type Dim, type Node, type Shape } from "../ir/node.ts";
import {
  broadcastShapes,
  broadcastStrides,
  defineOp,
  forEachIndex,
  make,
  sizeOf,
  ShapeError,
} from "./op.ts";
import { sum } from "./reduce.ts";
import { PREC, same } from "./notation.ts";

export const expandOp = defineOp({
  name: "expand",
  kind: "elementwise",
  notation: same,
  arity: 1,
  shape: ([x], attrs) => {
    const target = attrs["shape"] as Dim[];
    const b = broadcastShapes(x!, target);
    if (!sameShape(b, target))
      throw new ShapeError(`cannot broadcast ${shapeToString(x!)} to ${shapeToString(target)}`);
    return target;
  },
  evaluate: ([x], _a, outShape) => {
    const out = new Float64Array(sizeOf(outShape));
    forEachIndex(outShape, [broadcastStrides(x!.shape, outShape)], (o, [i]) => {
      out[o] = x!.data[i!]!;
    });
    return out;
  },
  emit: ([x]) => x!,
  grad: (g, out) => [sumTo(g, out.inputs[0]!.shape)],
});

/** The multiset of a shape's dims, for comparing element counts with named dims. */
function countKey(shape: Shape): string {
  const fixed = sizeOf(shape.filter((d): d is number => typeof d === "number"));
  const named = shape.filter((d): d is string => typeof d === "string").sort();
  return [fixed, ...named].join("*");
}

/** Whether reshaping `from` to `to` is `flatten`: images (or any rank >= 3) to rows, per example. */
export function isFlatten(from: Shape, to: Shape): boolean {
  return from.length >= 3 && to.length === 2 && from[0] === to[0];
}

export const reshapeOp = defineOp({
  name: "reshape",
  kind: "special",
  // a reshape reads as its operand (a bias made [C, 1, 1] to add to images is the bias), but
  // images made rows read `flatten(c2)`: `c2 @ W` of an image batch would not say what is computed
  notation: (args, attrs, node) =>
    node && isFlatten(node.inputs[0]!.shape, node.shape)
      ? { text: `flatten(${args[0]!.text})`, prec: PREC.primary }
      : same(args, attrs, node),
  arity: 1,
  shape: ([x], attrs) => {
    const target = attrs["shape"] as Dim[];
    if (countKey(x!) !== countKey(target))
      throw new ShapeError(`cannot reshape ${shapeToString(x!)} to ${shapeToString(target)}`);
    return target;
  },
  evaluate: ([x]) => Float64Array.from(x!.data),
  grad: (g, out) => [reshape(g, out.inputs[0]!.shape)],
});

export const transposeOp = defineOp({
  name: "transpose",
  kind: "special",
  arity: 1,
  // `transpose(x)` reverses the axes; any other permutation is written out
  notation: ([x], attrs) => {
    const perm = attrs["perm"] as number[];
    const reversal = perm.every((p, i) => p === perm.length - 1 - i);
    return {
      text: `transpose(${x!.text}${reversal ? "" : `, [${perm.join(", ")}]`})`,
      prec: PREC.primary,
    };
  },
  shape: ([x], attrs) => (attrs["perm"] as number[]).map((p) => x![p]!),
  evaluate: ([x], attrs, outShape) => {
    const perm = attrs["perm"] as number[];
    const inStrides = broadcastStrides(x!.shape, x!.shape);
    const strides = perm.map((p) => inStrides[p]!);
    const out = new Float64Array(sizeOf(outShape));
    forEachIndex(outShape, [strides], (o, [i]) => {
      out[o] = x!.data[i!]!;
    });
    return out;
  },
  grad: (g, out) => {
    const perm = out.attrs["perm"] as number[];
    const inverse = perm.map((_, i) => perm.indexOf(i));
    return [transpose(g, inverse)];
  },
});

export function expand(x: Node, shape: Shape): Node {
  return sameShape(x.shape, shape) ? x : make(expandOp, [x], { shape: [...shape] });
}

export function reshape(x: Node, shape: Shape): Node {
  if (sameShape(x.shape, shape)) return x;
  if (x.op === "reshape") x = x.inputs[0]!; // reshape of reshape: one reshape
  return sameShape(x.shape, shape) ? x : make(reshapeOp, [x], { shape: [...shape] });
}

/** Permute axes; `perm` defaults to reversing them (NumPy's transpose). */
export function transpose(x: Node, perm?: number[]): Node {
  const p = perm ?? x.shape.map((_, i) => x.shape.length - 1 - i);
  if (p.every((v, i) => v === i)) return x;
  return make(transposeOp, [x], { perm: p });
}

/** Undo a broadcast: sum `g` down to `shape` (leading axes dropped, size-1 axes kept). */
export function sumTo(g: Node, shape: Shape): Node {
  if (sameShape(g.shape, shape)) return g;
  const lead = g.shape.length - shape.length;
  const dropped = Array.from({ length: lead }, (_, i) => i);
  const kept = shape.flatMap((d, i) => (d === 1 && g.shape[lead + i] !== 1 ? [lead + i] : []));
  // one sum over every broadcast axis (a bias [C, 1, 1] of images: over batch, height and width)
  const axes = [...dropped, ...kept];
  return reshape(axes.length > 0 ? sum(g, axes, kept.length > 0 && lead === 0) : g, shape);
}
