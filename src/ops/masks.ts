// Derivatives of piecewise functions, used only by gradient rules. Each is piecewise constant
// (or already a derivative), so no gradient flows through it: their rules return null.
import type { Node } from "../ir/node.ts";
import { binaryOp, unaryOp } from "./elementwise.ts";
import { make, num } from "./op.ts";
import { call } from "./notation.ts";

export const gt0Op = unaryOp({
  name: "gt0",
  notation: call("step"),
  fn: ([x]) => (x! > 0 ? 1 : 0),
  emit: ([x]) => `${x} > 0 ? 1 : 0`,
  grad: () => [null],
});

export const signOp = unaryOp({
  name: "sign",
  fn: ([x]) => Math.sign(x!),
  emit: ([x]) => `Math.sign(${x})`,
  grad: () => [null],
});

/** d leaky_relu(x) / dx: 1 where x > 0, alpha elsewhere. */
export const leakyDerivOp = unaryOp({
  name: "leaky_deriv",
  fn: ([x], a) => (x! > 0 ? 1 : num(a, "alpha")),
  emit: ([x], a) => `${x} > 0 ? 1 : ${num(a, "alpha")}`,
  grad: () => [null],
});

/** d elu(x) / dx: 1 where x > 0, alpha e^x elsewhere. */
export const eluDerivOp = unaryOp({
  name: "elu_deriv",
  fn: ([x], a) => (x! > 0 ? 1 : num(a, "alpha") * Math.exp(x!)),
  emit: ([x], a) => `${x} > 0 ? 1 : ${num(a, "alpha")} * Math.exp(${x})`,
  grad: () => [null],
});

/** GELU's constants: sqrt(2 / pi), and the cubic term's weight (GPT-2's tanh approximation). */
export const GELU_K = Math.sqrt(2 / Math.PI);
export const GELU_C = 0.044715;

function geluDerivative(x: number): number {
  const t = Math.tanh(GELU_K * (x + GELU_C * x * x * x));
  return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * GELU_K * (1 + 3 * GELU_C * x * x);
}

/** d gelu(x) / dx = 0.5 (1 + t) + 0.5 x (1 - t^2) k (1 + 3 c x^2), t = tanh(k (x + c x^3)) */
export const geluDerivOp = unaryOp({
  name: "gelu_deriv",
  fn: ([x]) => geluDerivative(x!),
  emit: ([x]) => {
    const t = `Math.tanh(${GELU_K} * (${x} + ${GELU_C} * ${x} * ${x} * ${x}))`;
    return `0.5 * (1 + ${t}) + 0.5 * ${x} * (1 - ${t} * ${t}) * ${GELU_K} * (1 + ${3 * GELU_C} * ${x} * ${x})`;
  },
  grad: () => [null],
});

/** 1 where a == b: which elements attained a max. */
export const eqOp = binaryOp({
  name: "eq",
  fn: ([a, b]) => (a === b ? 1 : 0),
  emit: ([a, b]) => `${a} === ${b} ? 1 : 0`,
  grad: () => [null, null],
});

export const gt0 = (x: Node): Node => make(gt0Op, [x]);
export const sign = (x: Node): Node => make(signOp, [x]);
export const leakyDeriv = (x: Node, alpha: number): Node => make(leakyDerivOp, [x], { alpha });
export const eluDeriv = (x: Node, alpha: number): Node => make(eluDerivOp, [x], { alpha });
export const eq = (a: Node, b: Node): Node => make(eqOp, [a, b]);
export const geluDeriv = (x: Node): Node => make(geluDerivOp, [x]);
