// Reading a table by integer indices, and the gradients that go back into it:
//   gather(W, idx): the rows of W at idx, W [V, ...] and idx [...] int -> [...idx, ...row];
//     its gradient is a scatter-add: scatter_add(dy, idx) [V, ...] adds each dy row into row
//     idx of a zero table, so that repeated indices accumulate (the embedding's gradient).
//   pick(p, y): p[..., y] along the last axis, p [..., V] and y [...] int -> [...] (the
//     probability of each example's class); its gradient one_hot(y) * dy, unpick(dy, y) [..., V].
import { shapeToString, type Node } from "../ir/node.ts";
import { defineOp, make, ShapeError, sizeOf } from "./op.ts";
import { PREC } from "./notation.ts";

const call = (name: string) => (args: { text: string }[]) => ({
  text: `${name}(${args.map((a) => a.text).join(", ")})`,
  prec: PREC.primary,
});

export const gatherOp = defineOp({
  name: "gather",
  kind: "special",
  arity: 2,
  indices: [1],
  notation: call("gather"),
  indexBound: (n) => n.inputs[0]!.shape[0] as number,
  shape: ([w, idx]) => {
    if (w!.length < 1)
      throw new ShapeError(`gather needs a table W of rows, got ${shapeToString(w!)}`, "NN3008");
    if (typeof w![0] !== "number")
      throw new ShapeError(
        `gather needs a table of a fixed number of rows, got ${shapeToString(w!)}`,
        "NN3007",
      );
    return [...idx!, ...w!.slice(1)];
  },
  evaluate: ([w, idx], _a, outShape) => {
    const row = sizeOf(w!.shape.slice(1));
    const out = new Float64Array(sizeOf(outShape));
    idx!.data.forEach((v, i) => out.set(w!.data.subarray(v * row, (v + 1) * row), i * row));
    return out;
  },
  grad: (g, out) => {
    const [w, idx] = out.inputs as [Node, Node];
    return [make(scatterAddOp, [g, idx], { rows: w.shape[0]! }), null];
  },
});

export const scatterAddOp = defineOp({
  name: "scatter_add",
  kind: "special",
  arity: 2,
  indices: [1],
  notation: call("scatter_add"),
  indexBound: (n) => n.attrs["rows"] as number,
  gradNote:
    "gather's gradient: each row of the upstream gradient is added into the row it was read from (repeated indices add up)",
  shape: ([g, idx], attrs) => [attrs["rows"] as number, ...g!.slice(idx!.length)],
  evaluate: ([g, idx], _a, outShape) => {
    const row = sizeOf(outShape.slice(1));
    const out = new Float64Array(sizeOf(outShape));
    idx!.data.forEach((v, i) => {
      for (let k = 0; k < row; k++) out[v * row + k] = out[v * row + k]! + g!.data[i * row + k]!;
    });
    return out;
  },
});

export const pickOp = defineOp({
  name: "pick",
  kind: "special",
  arity: 2,
  indices: [1],
  notation: call("pick"),
  indexBound: (n) => n.inputs[0]!.shape.at(-1) as number,
  shape: ([p, y]) => {
    const lead = p!.slice(0, -1);
    if (p!.length < 1 || lead.length !== y!.length || lead.some((d, i) => d !== y![i]))
      throw new ShapeError(
        `classes y need the shape of p without its last axis: p is ${shapeToString(p!)}, y is ${shapeToString(y!)}`,
        "NN3001",
      );
    return lead;
  },
  evaluate: ([p, y]) => {
    const V = p!.shape[p!.shape.length - 1]!;
    return Float64Array.from(y!.data, (c, i) => p!.data[i * V + c]!);
  },
  grad: (g, out) => {
    const [p, y] = out.inputs as [Node, Node];
    return [make(unpickOp, [g, y], { classes: p.shape[p.shape.length - 1]! }), null];
  },
});

export const unpickOp = defineOp({
  name: "unpick",
  role: "one_hot",
  kind: "special",
  arity: 2,
  indices: [1],
  notation: call("one_hot_scaled"),
  indexBound: (n) => n.attrs["classes"] as number,
  gradNote: "pick's gradient: the upstream gradient at each example's class, 0 elsewhere",
  shape: ([g], attrs) => [...g!, attrs["classes"] as number],
  evaluate: ([g, y], attrs, outShape) => {
    const V = attrs["classes"] as number;
    const out = new Float64Array(sizeOf(outShape));
    y!.data.forEach((c, i) => {
      out[i * V + c] = g!.data[i]!;
    });
    return out;
  },
});

export const gather = (w: Node, idx: Node): Node => make(gatherOp, [w, idx]);
export const pick = (p: Node, y: Node): Node => make(pickOp, [p, y]);
export const unpick = (g: Node, y: Node, classes: number): Node =>
  make(unpickOp, [g, y], { classes });
