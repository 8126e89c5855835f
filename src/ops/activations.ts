// The activations of the classic path: the perceptron's step, sigmoid, tanh's cousins and the
// rectifiers.
import type { Node } from "../ir/node.ts";
import { unaryOp } from "./elementwise.ts";
import { make, num } from "./op.ts";
import { c } from "./const.ts";
import { mul, sub } from "./arith.ts";
import { eluDeriv, GELU_C, GELU_K, geluDeriv, gt0, leakyDeriv } from "./masks.ts";

export const sigmoidOp = unaryOp({
  name: "sigmoid",
  fn: ([x]) => 1 / (1 + Math.exp(-x!)),
  emit: ([x]) => `1 / (1 + Math.exp(-${x}))`,
  grad: (g, out) => [mul(g, mul(out, sub(c(1), out)))], // the sigmoid gate: s (1 - s)
  gradNote: "the sigmoid gate: its local gradient s * (1 - s) reuses its output",
});

export const reluOp = unaryOp({
  name: "relu",
  fn: ([x]) => (x! > 0 ? x! : 0),
  emit: ([x]) => `${x} > 0 ? ${x} : 0`,
  // relu(x) > 0 exactly where x > 0: the gate reads the output, so the input need not be kept
  grad: (g, out) => [mul(g, gt0(out))],
});

export const leakyReluOp = unaryOp({
  name: "leaky_relu",
  fn: ([x], a) => (x! > 0 ? x! : num(a, "alpha") * x!),
  emit: ([x], a) => `${x} > 0 ? ${x} : ${num(a, "alpha")} * ${x}`,
  grad: (g, out) => [mul(g, leakyDeriv(out.inputs[0]!, num(out.attrs, "alpha")))],
});

export const eluOp = unaryOp({
  name: "elu",
  fn: ([x], a) => (x! > 0 ? x! : num(a, "alpha") * Math.expm1(x!)),
  emit: ([x], a) => `${x} > 0 ? ${x} : ${num(a, "alpha")} * Math.expm1(${x})`,
  grad: (g, out) => [mul(g, eluDeriv(out.inputs[0]!, num(out.attrs, "alpha")))],
});

/** The perceptron's Heaviside step. Its gradient is passed straight through: the perceptron rule. */
export const stepOp = unaryOp({
  name: "step",
  fn: ([x]) => (x! > 0 ? 1 : 0),
  emit: ([x]) => `${x} > 0 ? 1 : 0`,
  grad: (g) => [g],
});

/**
 * GELU as GPT-2 computes it (PyTorch's approximate="tanh"): 0.5 x (1 + tanh(k (x + 0.044715 x^3))),
 * k = sqrt(2 / pi); its gradient is the closed form gelu_deriv(x).
 */
export const geluOp = unaryOp({
  name: "gelu",
  fn: ([x]) => 0.5 * x! * (1 + Math.tanh(GELU_K * (x! + GELU_C * x! * x! * x!))),
  emit: ([x]) =>
    `0.5 * ${x} * (1 + Math.tanh(${GELU_K} * (${x} + ${GELU_C} * ${x} * ${x} * ${x})))`,
  grad: (g, out) => [mul(g, geluDeriv(out.inputs[0]!))],
  gradNote:
    "gelu's gradient: 0.5 (1 + t) + 0.5 x (1 - t^2) k (1 + 3 * 0.044715 x^2), t = tanh(k (x + 0.044715 x^3))",
});

export const sigmoid = (x: Node): Node => make(sigmoidOp, [x]);
export const gelu = (x: Node): Node => make(geluOp, [x]);
export const relu = (x: Node): Node => make(reluOp, [x]);
export const leakyRelu = (x: Node, alpha: number): Node => make(leakyReluOp, [x], { alpha });
export const elu = (x: Node, alpha: number): Node => make(eluOp, [x], { alpha });
export const step = (x: Node): Node => make(stepOp, [x]);
