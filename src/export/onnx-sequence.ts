// The sequence models' ops as ONNX (opset 17). Indices (an `int` input or target) are int64 graph
// inputs, the type ONNX's index ops (Gather, GatherElements, ScatterND) and torch.onnx exports
// use; ONNX Runtime rejects an index out of range, as nnc's module does.
//   gather(W, idx)             Gather along axis 0
//   scatter_add(dy, idx)       ScatterND with reduction "add" into zeros (repeated rows add up)
//   pick(p, y)                 GatherElements along the last axis, squeezed
//   unpick(dy, y)              Where(y == 0..V-1, dy, 0): dy at each class, 0 elsewhere
//   softmax_xent_int(z, y)     -pick(LogSoftmax(z), y)
//   layernorm                  gamma ((x - mu) invstd) + beta, the statistics being nodes of the
//                              graph already (the training step's backward reads them too)
//   layernorm_dx               its closed form, sums over the last axis
//   gelu, gelu_deriv           the tanh form written out (ONNX's Gelu is opset 20)
//   causal_mask                Where(a constant upper triangle, -inf or 0, s): exact, never NaN
import type { Node } from "../ir/node.ts";
import type { SequenceOpName } from "../ops/names.ts";
import { GELU_C, GELU_K } from "../ops/masks.ts";
import type { OnnxGraph } from "./onnx-graph.ts";
import type { OnnxLowering } from "./onnx-ops.ts";
import { floatTensor } from "./onnx-proto.ts";

/** x with a new last axis of 1 (indices as ScatterND and GatherElements read them). */
const lastAxis = (g: OnnxGraph, x: string) =>
  g.op("Unsqueeze", [x, g.ints([-1])], {}, "unsqueezed");

/** The element of each row of `p` (the last axis) at the class `y` gives. */
function pickLast(g: OnnxGraph, p: string, y: string, hint: string): string {
  const picked = g.op("GatherElements", [p, lastAxis(g, y)], { axis: { int: -1 } }, "picked");
  return g.op("Squeeze", [picked, g.ints([-1])], {}, hint);
}

/** t = tanh(k (x + c x^3)), GELU's tanh term. */
function geluTanh(g: OnnxGraph, x: string): string {
  const cube = g.op("Mul", [g.op("Mul", [x, x]), x]);
  const inner = g.op("Add", [x, g.op("Mul", [g.scalar(GELU_C), cube])]);
  return g.op("Tanh", [g.op("Mul", [g.scalar(GELU_K), inner])], {}, "gelu_tanh");
}

/** Sum over the last axis, kept. */
const rowSum = (g: OnnxGraph, x: string) =>
  g.op("ReduceSum", [x, g.ints([-1])], { keepdims: { int: 1 } }, "row_sum");

/** True above the diagonal of a [T, U] matrix (a position looking at a later one). */
function upperTriangle(g: OnnxGraph, n: Node): string {
  // a named dim is fixed by --bind here: a model of two named dims is refused before (NN3007)
  const [T, U] = n.shape.slice(-2).map((d) => (typeof d === "number" ? d : g.bind[d]));
  if (T === undefined || U === undefined)
    throw new Error(`internal: causal_mask of an unbound size ${String(n.shape)}`);
  const above = Array.from({ length: T * U }, (_, k) => Math.floor(k / U) < k % U);
  return g.bools([T, U], above);
}

export const sequenceOps: Record<SequenceOpName, OnnxLowering> = {
  gather: (g, _n, [w, idx], hint) => g.op("Gather", [w!, idx!], { axis: { int: 0 } }, hint),
  scatter_add: (g, n, [dy, idx], hint) => {
    const zeros = g.op(
      "ConstantOfShape",
      [g.shapeOf(n.shape)],
      { value: floatTensor("zero", [1], [0], g.type) },
      "zeros",
    );
    return g.op("ScatterND", [zeros, lastAxis(g, idx!), dy!], { reduction: { str: "add" } }, hint);
  },
  pick: (g, _n, [p, y], hint) => pickLast(g, p!, y!, hint),
  unpick: (g, n, [dy, y], hint) => {
    const classes = n.attrs["classes"] as number;
    const hot = g.op("Equal", [lastAxis(g, y!), g.ints([...Array(classes).keys()])], {}, "hot");
    return g.op("Where", [hot, lastAxis(g, dy!), g.scalar(0)], {}, hint);
  },
  softmax_xent_int: (g, _n, [z, y], hint) => {
    const logp = g.op("LogSoftmax", [z!], { axis: { int: -1 } }, "log_p");
    return g.op("Neg", [pickLast(g, logp, y!, "log_p_y")], {}, hint);
  },
  layernorm: (g, _n, [x, mu, invstd, gamma, beta], hint) => {
    const xhat = g.op("Mul", [g.op("Sub", [x!, mu!]), invstd!], {}, "xhat");
    return g.op("Add", [g.op("Mul", [gamma!, xhat]), beta!], {}, hint);
  },
  // invstd / D (D dxhat - sum(dxhat) - xhat sum(dxhat xhat)), dxhat = dy gamma, per row
  layernorm_dx: (g, n, [dy, x, mu, invstd, gamma], hint) => {
    const D = g.count(n.shape.slice(-1));
    const xhat = g.op("Mul", [g.op("Sub", [x!, mu!]), invstd!], {}, "xhat");
    const dxhat = g.op("Mul", [dy!, gamma!], {}, "dxhat");
    const inner = g.op("Sub", [
      g.op("Sub", [g.op("Mul", [D, dxhat]), rowSum(g, dxhat)]),
      g.op("Mul", [xhat, rowSum(g, g.op("Mul", [dxhat, xhat]))]),
    ]);
    return g.op("Mul", [g.op("Div", [invstd!, D]), inner], {}, hint);
  },
  // 0.5 x (1 + t)
  gelu: (g, _n, [x], hint) => {
    const half = g.op("Mul", [g.scalar(0.5), x!]);
    return g.op("Mul", [half, g.op("Add", [g.scalar(1), geluTanh(g, x!)])], {}, hint);
  },
  // 0.5 (1 + t) + 0.5 x (1 - t^2) k (1 + 3 c x^2)
  gelu_deriv: (g, _n, [x], hint) => {
    const t = geluTanh(g, x!);
    const left = g.op("Mul", [g.scalar(0.5), g.op("Add", [g.scalar(1), t])]);
    const sech2 = g.op("Sub", [g.scalar(1), g.op("Mul", [t, t])]);
    const slope = g.op("Add", [
      g.scalar(1),
      g.op("Mul", [g.scalar(3 * GELU_C), g.op("Mul", [x!, x!])]),
    ]);
    const right = g.op("Mul", [
      g.op("Mul", [g.op("Mul", [g.scalar(0.5), x!]), sech2]),
      g.op("Mul", [g.scalar(GELU_K), slope]),
    ]);
    return g.op("Add", [left, right], {}, hint);
  },
  causal_mask: (g, n, [s], hint) => {
    const fill = g.scalar(n.attrs["fill"] === "zero" ? 0 : -Infinity);
    return g.op("Where", [upperTriangle(g, n), fill, s!], {}, hint);
  },
};
