// Softmax and cross-entropy as one node: the per-line loss -sum(y log softmax(z)) along one axis,
// computed with log-sum-exp (so logits of any size give a finite loss), the axis dropped.
import type { Node } from "../ir/node.ts";
import { defineOp, make, normAxis, ShapeError, sizeOf } from "./op.ts";
import { mul, neg, sub } from "./arith.ts";
import { sum } from "./reduce.ts";
import { expand, reshape } from "./shape.ts";
import { logSoftmax, softmax } from "./softmax.ts";
import { unpick } from "./gather.ts";
import { displayName, sameShape, setRole, shapeToString } from "../ir/node.ts";
import { call, lastAxisArg, PREC } from "./notation.ts";

export const softmaxXentOp = defineOp({
  name: "softmax_xent",
  kind: "special",
  notation: ([z, y], attrs, node) => {
    const axis = lastAxisArg(attrs["axis"] as number, node?.inputs[0]?.shape.length ?? -1);
    const p = call("softmax", axis)([z!], {}, node).text;
    return call("cross_entropy", axis)([{ text: p, prec: PREC.primary }, y!], {}, node);
  },
  gradNote: "softmax + cross_entropy fused: d_z = p - y per example, p = softmax(z)",
  arity: 2,
  shape: ([z, y], attrs) => {
    if (!sameShape(z!, y!))
      throw new ShapeError(
        `softmax_xent needs z and y of the same shape: ` +
          `${shapeToString(z!)} and ${shapeToString(y!)}`,
      );
    const axis = attrs["axis"] as number;
    return z!.filter((_, i) => i !== axis);
  },
  // loss = sum_j y_j (lse - z_j), lse = m + ln sum_j e^(z_j - m), m = max_j z_j
  evaluate: ([z, y], attrs) => {
    const axis = attrs["axis"] as number;
    const n = z!.shape[axis]!;
    const inner = sizeOf(z!.shape.slice(axis + 1));
    const outer = sizeOf(z!.shape.slice(0, axis));
    const out = new Float64Array(outer * inner);
    for (let o = 0; o < outer; o++)
      for (let i = 0; i < inner; i++) {
        const at = (j: number) => (o * n + j) * inner + i;
        let m = -Infinity;
        for (let j = 0; j < n; j++) m = Math.max(m, z!.data[at(j)]!);
        let s = 0;
        for (let j = 0; j < n; j++) s += Math.exp(z!.data[at(j)]! - m);
        const lse = m + Math.log(s);
        let loss = 0;
        for (let j = 0; j < n; j++) loss += y!.data[at(j)]! * (lse - z!.data[at(j)]!);
        out[o * inner + i] = loss;
      }
    return out;
  },
  // dz = g (softmax(z) sum(y) - y), which is p - y for a one-hot y; dy = -g log_softmax(z)
  grad: (g, out) => {
    const [z, y] = out.inputs as [Node, Node];
    const axis = out.attrs["axis"] as number;
    const kept = z.shape.map((d, i) => (i === axis ? 1 : d));
    const gz = expand(reshape(g, kept), z.shape);
    // 1 for a one-hot y (or any distribution); named so the gradient code reads `p * y_sum - y`
    const total = expand(setRole(sum(y, [axis], true), `${displayName(y) ?? "y"}_sum`), z.shape);
    return [mul(gz, sub(mul(softmax(z, axis), total), y)), neg(mul(gz, logSoftmax(z, axis)))];
  },
});

export const softmaxXent = (z: Node, y: Node, axis = -1): Node =>
  make(softmaxXentOp, [z, y], { axis: normAxis(axis, z.shape.length) });

/**
 * The same loss with the class of each line given as an integer (y [...] int, z [..., V]): lse - z_y
 * per line, the last axis dropped; dz = g (softmax(z) - one_hot(y)).
 */
export const softmaxXentIntOp = defineOp({
  name: "softmax_xent_int",
  role: "xent",
  kind: "special",
  indices: [1],
  indexBound: (n) => n.inputs[0]!.shape.at(-1) as number,
  notation: ([z, y], _attrs, node) =>
    call("cross_entropy")(
      [call("softmax")([z!], {}, node), y!].map((a) => ({ text: a.text, prec: PREC.primary })),
      {},
      node,
    ),
  gradNote: "softmax + cross_entropy fused: d_z = p - one_hot(y) per example, p = softmax(z)",
  arity: 2,
  shape: ([z, y]) => {
    const lead = z!.slice(0, -1);
    if (z!.length < 1 || !sameShape(lead, y!))
      throw new ShapeError(
        `classes y need the shape of the logits without their last axis: ` +
          `${shapeToString(z!)} and ${shapeToString(y!)}`,
      );
    return lead;
  },
  evaluate: ([z, y]) => {
    const V = z!.shape[z!.shape.length - 1]!;
    return Float64Array.from(y!.data, (c, i) => {
      let m = -Infinity;
      for (let j = 0; j < V; j++) m = Math.max(m, z!.data[i * V + j]!);
      let s = 0;
      for (let j = 0; j < V; j++) s += Math.exp(z!.data[i * V + j]! - m);
      return m + Math.log(s) - z!.data[i * V + c]!;
    });
  },
  grad: (g, out) => {
    const [z, y] = out.inputs as [Node, Node];
    const V = z.shape[z.shape.length - 1] as number;
    const gz = expand(reshape(g, [...g.shape, 1]), z.shape);
    return [sub(mul(gz, softmax(z, -1)), unpick(g, y, V)), null];
  },
});

export const softmaxXentInt = (z: Node, y: Node): Node => make(softmaxXentIntOp, [z, y]);
