// Elementwise math functions and their derivatives.
import type { Node } from "../ir/node.ts";
import { unaryOp } from "./elementwise.ts";
import { make } from "./op.ts";
import { c } from "./const.ts";
import { div, mul, neg, sub } from "./arith.ts";
import { sigmoid } from "./activations.ts";
import { sign } from "./masks.ts";

export const expOp = unaryOp({
  name: "exp",
  fn: ([x]) => Math.exp(x!),
  emit: ([x]) => `Math.exp(${x})`,
  grad: (g, out) => [mul(g, out)], // d e^x = e^x dx
});

export const logOp = unaryOp({
  name: "log",
  fn: ([x]) => Math.log(x!),
  emit: ([x]) => `Math.log(${x})`,
  grad: (g, out) => [div(g, out.inputs[0]!)], // d ln x = dx / x
});

export const sqrtOp = unaryOp({
  name: "sqrt",
  fn: ([x]) => Math.sqrt(x!),
  emit: ([x]) => `Math.sqrt(${x})`,
  grad: (g, out) => [div(g, mul(c(2), out))], // d sqrt(x) = dx / (2 sqrt(x))
});

export const absOp = unaryOp({
  name: "abs",
  fn: ([x]) => Math.abs(x!),
  emit: ([x]) => `Math.abs(${x})`,
  grad: (g, out) => [mul(g, sign(out.inputs[0]!))], // d|x| = sign(x) dx
});

export const tanhOp = unaryOp({
  name: "tanh",
  fn: ([x]) => Math.tanh(x!),
  emit: ([x]) => `Math.tanh(${x})`,
  grad: (g, out) => [mul(g, sub1(mul(out, out)))], // d tanh = (1 - tanh^2) dx
});

export const softplusOp = unaryOp({
  name: "softplus",
  // log(1 + e^x) computed without overflow: max(x, 0) + log1p(e^-|x|)
  fn: ([x]) => Math.max(x!, 0) + Math.log1p(Math.exp(-Math.abs(x!))),
  emit: ([x]) => `Math.max(${x}, 0) + Math.log1p(Math.exp(-Math.abs(${x})))`,
  grad: (g, out) => [mul(g, sigmoid(out.inputs[0]!))], // d softplus = sigmoid(x) dx
});

const sub1 = (x: Node): Node => sub(c(1), x);

export const exp = (x: Node): Node => make(expOp, [x]);
export const log = (x: Node): Node => make(logOp, [x]);
export const sqrt = (x: Node): Node => make(sqrtOp, [x]);
export const abs = (x: Node): Node => make(absOp, [x]);
export const tanh = (x: Node): Node => make(tanhOp, [x]);
export const softplus = (x: Node): Node => make(softplusOp, [x]);
