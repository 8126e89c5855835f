// Each IR op written as ONNX (opset 17) nodes: one row per op of the registry, so that a new op
// cannot be added without saying how it exports (the table is typed by OpName). A row gets the
// node and the ONNX names of its inputs and returns the name of its value. Leaves are named by
// the exporter (graph inputs, initializers) and never reach the table.
import type { Node } from "../ir/node.ts";
import type { OpName } from "../ops/names.ts";
import { EPS } from "../ops/losses.ts";
import { num } from "../ops/op.ts";
import type { OnnxGraph } from "./onnx-graph.ts";
import { elemTypeOf, floatTensor } from "./onnx-proto.ts";
import { imageOps } from "./onnx-images.ts";
import { sequenceOps } from "./onnx-sequence.ts";

export type OnnxLowering = (g: OnnxGraph, node: Node, args: string[], hint: string) => string;

/** A row for an op nnc cannot write in ONNX: the reason, for the error message. */
export interface Unsupported {
  unsupported: string;
}

const leaf: Unsupported = { unsupported: "a leaf is an input or an initializer" };

const unary =
  (opType: string): OnnxLowering =>
  (g, _n, [x], hint) =>
    g.op(opType, [x!], {}, hint);

const binary =
  (opType: string): OnnxLowering =>
  (g, _n, [a, b], hint) =>
    g.op(opType, [a!, b!], {}, hint);

/** 1 where x > 0, else 0, in the graph's float type. */
function positive(g: OnnxGraph, x: string): string {
  return g.op("Greater", [x, g.scalar(0)], {}, "positive");
}

function toFloat(g: OnnxGraph, b: string, hint: string): string {
  return g.op("Cast", [b], { to: { int: elemTypeOf(g.type) } }, hint);
}

/** ln(max(p, EPS)): the clamped logarithm of the losses */
function clampLog(g: OnnxGraph, p: string): string {
  return g.op("Log", [g.op("Max", [p, g.scalar(EPS)], {}, "clamped")], {}, "log");
}

/**
 * ln(1 + e^x) = max(x, 0) + ln(1 + e^-|x|), finite for any x. (ONNX's Softplus has no double
 * kernel in ONNX Runtime, and this form is the one nnc computes.)
 */
function softplus(g: OnnxGraph, x: string, hint: string): string {
  const tail = g.op("Log", [
    g.op("Add", [g.scalar(1), g.op("Exp", [g.op("Neg", [g.op("Abs", [x])])])]),
  ]);
  return g.op("Add", [g.op("Relu", [x]), tail], {}, hint);
}

function oneMinus(g: OnnxGraph, x: string): string {
  return g.op("Sub", [g.scalar(1), x], {}, "one_minus");
}

function reduce(opType: "ReduceSum" | "ReduceMean" | "ReduceMax"): OnnxLowering {
  return (g, n, [x], hint) => {
    const axes = n.attrs["axes"] as number[];
    const keep = { keepdims: { int: n.attrs["keep"] === true ? 1 : 0 } };
    // opset 13 moved ReduceSum's axes to an input; the others follow in opset 18
    if (opType === "ReduceSum") return g.op(opType, [x!, g.ints(axes)], keep, hint);
    return g.op(opType, [x!], { ...keep, axes: { ints: axes } }, hint);
  };
}

/** Per-channel sums of batchnorm's backward: over every axis but the channels' (1), kept. */
function channelSum(g: OnnxGraph, x: string, rank: number): string {
  const axes = Array.from({ length: rank }, (_, i) => i).filter((i) => i !== 1);
  return g.op("ReduceSum", [x, g.ints(axes)], { keepdims: { int: 1 } }, "channel_sum");
}

/** The product op(a) op(b) of NumPy's matmul, op a transpose of the last two axes where set. */
function matmul(g: OnnxGraph, n: Node, [a, b]: string[], hint: string): string {
  const [ra, rb] = n.inputs.map((x) => x.shape.length) as [number, number];
  const t = (k: string) => n.attrs[k] === true;
  const fold = n.attrs["fold"] === true;
  if (ra === 2 && rb === 2 && !fold)
    return g.op("Gemm", [a!, b!], { transA: { int: +t("ta") }, transB: { int: +t("tb") } }, hint);
  const swap = (x: string, rank: number) => {
    const perm = [...Array(rank).keys()];
    [perm[rank - 2], perm[rank - 1]] = [rank - 1, rank - 2];
    return g.op("Transpose", [x], { perm: { ints: perm } }, "transposed");
  };
  const left = t("ta") ? swap(a!, ra) : a!;
  const right = t("tb") ? swap(b!, rb) : b!;
  if (!fold) return g.op("MatMul", [left, right], {}, hint);
  // the batched products summed over the leading axes both operands share
  const product = g.op("MatMul", [left, right], {}, "products");
  const lead = [...Array(ra - 2).keys()];
  return g.op("ReduceSum", [product, g.ints(lead)], { keepdims: { int: 0 } }, hint);
}

export const onnxOps: Record<OpName, OnnxLowering | Unsupported> = {
  const: leaf,
  input: leaf,
  param: leaf,
  state: leaf,
  dimsize: (g, n) => g.count(n.attrs["dims"] as (number | string)[]),
  // training only: the mask is Dropout applied to ones, which is 0 or 1/(1-rate) per element
  dropout_mask: (g, n, _a, hint) => {
    const one = floatTensor("one", [1], [1], g.type);
    const ones = g.op("ConstantOfShape", [g.shapeOf(n.shape)], { value: one }, "ones");
    const ratio = g.scalar(num(n.attrs, "rate"));
    return g.op("Dropout", [ones, ratio, g.bool(true)], {}, hint, undefined, 1);
  },
  add: binary("Add"),
  sub: binary("Sub"),
  mul: binary("Mul"),
  div: binary("Div"),
  neg: unary("Neg"),
  pow: binary("Pow"),
  exp: unary("Exp"),
  log: unary("Log"),
  sqrt: unary("Sqrt"),
  abs: unary("Abs"),
  tanh: unary("Tanh"),
  softplus: (g, _n, [x], hint) => softplus(g, x!, hint),
  sigmoid: unary("Sigmoid"),
  relu: unary("Relu"),
  // x > 0 ? x : alpha x, and x > 0 ? x : alpha (e^x - 1): written with Where, as ONNX Runtime
  // has no double kernels for LeakyRelu and Elu
  leaky_relu: (g, n, [x], hint) => {
    const scaled = g.op("Mul", [g.scalar(num(n.attrs, "alpha")), x!]);
    return g.op("Where", [positive(g, x!), x!, scaled], {}, hint);
  },
  elu: (g, n, [x], hint) => {
    const expm1 = g.op("Sub", [g.op("Exp", [x!]), g.scalar(1)]);
    const scaled = g.op("Mul", [g.scalar(num(n.attrs, "alpha")), expm1]);
    return g.op("Where", [positive(g, x!), x!, scaled], {}, hint);
  },
  // the perceptron's step; its straight-through gradient is already in the backward graph
  step: (g, _n, [x], hint) => toFloat(g, positive(g, x!), hint),
  gt0: (g, _n, [x], hint) => toFloat(g, positive(g, x!), hint),
  sign: unary("Sign"),
  leaky_deriv: (g, n, [x], hint) =>
    g.op("Where", [positive(g, x!), g.scalar(1), g.scalar(num(n.attrs, "alpha"))], {}, hint),
  elu_deriv: (g, n, [x], hint) => {
    const neg = g.op("Mul", [g.scalar(num(n.attrs, "alpha")), g.op("Exp", [x!])]);
    return g.op("Where", [positive(g, x!), g.scalar(1), neg], {}, hint);
  },
  eq: (g, _n, [a, b], hint) => toFloat(g, g.op("Equal", [a!, b!]), hint),
  // -(y ln p + (1 - y) ln(1 - p)), the logarithms clamped as nnc clamps them
  bce: (g, _n, [p, y], hint) => {
    const pos = g.op("Mul", [y!, clampLog(g, p!)]);
    const negative = g.op("Mul", [oneMinus(g, y!), clampLog(g, oneMinus(g, p!))]);
    return g.op("Neg", [g.op("Add", [pos, negative])], {}, hint);
  },
  // (p - y) / max(p (1 - p), EPS)
  bce_dp: (g, _n, [p, y], hint) => {
    const denom = g.op("Max", [g.op("Mul", [p!, oneMinus(g, p!)]), g.scalar(EPS)]);
    return g.op("Div", [g.op("Sub", [p!, y!]), denom], {}, hint);
  },
  bce_dy: (g, _n, [p], hint) =>
    g.op("Sub", [clampLog(g, oneMinus(g, p!)), clampLog(g, p!)], {}, hint),
  // y == 0 ? 0 : -y ln p
  xent: (g, _n, [p, y], hint) => {
    const term = g.op("Neg", [g.op("Mul", [y!, clampLog(g, p!)])]);
    return g.op("Where", [g.op("Equal", [y!, g.scalar(0)]), g.scalar(0), term], {}, hint);
  },
  xent_dp: (g, _n, [p, y], hint) =>
    g.op("Div", [g.op("Neg", [y!]), g.op("Max", [p!, g.scalar(EPS)])], {}, hint),
  xent_dy: (g, _n, [p], hint) => g.op("Neg", [clampLog(g, p!)], {}, hint),
  sum: reduce("ReduceSum"),
  mean: reduce("ReduceMean"),
  max: reduce("ReduceMax"),
  expand: (g, n, [x], hint) => g.op("Expand", [x!, g.shapeOf(n.shape)], {}, hint),
  reshape: (g, n, [x], hint) => g.op("Reshape", [x!, g.shapeOf(n.shape)], {}, hint),
  transpose: (g, n, [x], hint) =>
    g.op("Transpose", [x!], { perm: { ints: n.attrs["perm"] as number[] } }, hint),
  matmul,
  softmax: (g, n, [x], hint) => g.op("Softmax", [x!], { axis: { int: axisOf(n) } }, hint),
  log_softmax: (g, n, [x], hint) => g.op("LogSoftmax", [x!], { axis: { int: axisOf(n) } }, hint),
  // softplus(z) - z y
  bce_logits: (g, _n, [z, y], hint) =>
    g.op("Sub", [softplus(g, z!, "softplus"), g.op("Mul", [z!, y!])], {}, hint),
  // -sum(y log_softmax(z)) along the axis, which is dropped
  softmax_xent: (g, n, [z, y], hint) => {
    const axis = axisOf(n);
    const terms = g.op("Mul", [y!, g.op("LogSoftmax", [z!], { axis: { int: axis } })]);
    const total = g.op("ReduceSum", [terms, g.ints([axis])], { keepdims: { int: 0 } });
    return g.op("Neg", [total], {}, hint);
  },
  // gamma ((x - mu) invstd) + beta
  batchnorm: (g, _n, [x, mu, invstd, gamma, beta], hint) => {
    const xhat = g.op("Mul", [g.op("Sub", [x!, mu!]), invstd!], {}, "xhat");
    return g.op("Add", [g.op("Mul", [gamma!, xhat]), beta!], {}, hint);
  },
  // gamma invstd / N (N dy - sum(dy) - xhat sum(dy xhat)), sums per channel
  batchnorm_dx: (g, n, [dy, x, mu, invstd, gamma], hint) => {
    const rank = n.shape.length;
    const count = g.count(n.shape.filter((_, i) => i !== 1));
    const xhat = g.op("Mul", [g.op("Sub", [x!, mu!]), invstd!], {}, "xhat");
    const sg = channelSum(g, dy!, rank);
    const sgx = channelSum(g, g.op("Mul", [dy!, xhat]), rank);
    const inner = g.op("Sub", [
      g.op("Sub", [g.op("Mul", [count, dy!]), sg]),
      g.op("Mul", [xhat, sgx]),
    ]);
    const scale = g.op("Div", [g.op("Mul", [gamma!, invstd!]), count]);
    return g.op("Mul", [scale, inner], {}, hint);
  },
  ...imageOps,
  ...sequenceOps,
};

function axisOf(n: Node): number {
  return n.attrs["axis"] as number;
}
