// A scalar constant. Broadcasting makes it usable against any shape.
import type { Node } from "../ir/node.ts";
import { defineOp, lit, make, num } from "./op.ts";
import { PREC } from "./notation.ts";

export const constOp = defineOp({
  name: "const",
  kind: "leaf",
  arity: 0,
  shape: () => [],
  evaluate: (_i, attrs) => Float64Array.of(num(attrs, "value")),
  emit: (_a, attrs) => lit(num(attrs, "value")),
  notation: (_a, attrs) => {
    const v = num(attrs, "value");
    return { text: lit(v), prec: v < 0 ? PREC.unary : PREC.primary };
  },
  grad: () => [],
});

export const c = (value: number): Node =>
  make(constOp, [], { value: Object.is(value, -0) ? 0 : value });
