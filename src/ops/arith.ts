// + - * / and unary minus, elementwise with NumPy broadcasting. Autodiff un-broadcasts the
// gradients these rules return, so each rule is written for same-shaped operands.
import type { Node } from "../ir/node.ts";
import { make } from "./op.ts";
import { binaryOp, unaryOp } from "./elementwise.ts";
import { infix, prefix, PREC } from "./notation.ts";

export const addOp = binaryOp({
  name: "add",
  notation: infix("+", PREC.sum),
  fn: ([a, b]) => a! + b!,
  emit: ([a, b]) => `${a} + ${b}`,
  grad: (g) => [g, g], // d(a+b) = da + db
});

export const subOp = binaryOp({
  name: "sub",
  notation: infix("-", PREC.sum),
  fn: ([a, b]) => a! - b!,
  emit: ([a, b]) => `${a} - ${b}`,
  grad: (g) => [g, neg(g)],
});

export const mulOp = binaryOp({
  name: "mul",
  notation: infix("*", PREC.product),
  fn: ([a, b]) => a! * b!,
  emit: ([a, b]) => `${a} * ${b}`,
  grad: (g, out) => [mul(g, out.inputs[1]!), mul(g, out.inputs[0]!)], // d(ab) = b da + a db
});

export const divOp = binaryOp({
  name: "div",
  notation: infix("/", PREC.product),
  fn: ([a, b]) => a! / b!,
  emit: ([a, b]) => `${a} / ${b}`,
  // d(a/b) = da/b - (a/b) db/b
  grad: (g, out) => {
    const b = out.inputs[1]!;
    return [div(g, b), neg(div(mul(g, out), b))];
  },
});

export const negOp = unaryOp({
  name: "neg",
  notation: prefix("-", PREC.unary),
  fn: ([a]) => -a!,
  emit: ([a]) => `-${a}`,
  grad: (g) => [neg(g)],
});

export const add = (a: Node, b: Node): Node => make(addOp, [a, b]);
export const sub = (a: Node, b: Node): Node => make(subOp, [a, b]);
export const mul = (a: Node, b: Node): Node => make(mulOp, [a, b]);
export const div = (a: Node, b: Node): Node => make(divOp, [a, b]);
export const neg = (a: Node): Node => make(negOp, [a]);
