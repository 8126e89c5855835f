// Factories for elementwise ops: the shape rule (identity, or broadcasting) and the reference
// evaluation come from here; each op file gives its math, its emitted expression and its gradient.
import type { Attrs, Node } from "../ir/node.ts";
import { broadcastShapes, defineOp, mapElementwise, type OpDef } from "./op.ts";
import type { OpName } from "./names.ts";
import type { Notation } from "./notation.ts";

interface ElementwiseSpec {
  name: OpName;
  /** the math, for the reference interpreter */
  fn: (xs: number[], attrs: Attrs) => number;
  emit: (args: string[], attrs: Attrs) => string;
  grad?: (g: Node, out: Node) => (Node | null)[];
  notation?: Notation;
  gradNote?: string;
}

export function unaryOp(spec: ElementwiseSpec): OpDef {
  return defineOp({
    name: spec.name,
    kind: "elementwise",
    arity: 1,
    shape: ([x]) => x!,
    evaluate: (inputs, attrs, outShape) =>
      mapElementwise(inputs, outShape, (...xs) => spec.fn(xs, attrs)),
    emit: spec.emit,
    ...(spec.grad ? { grad: spec.grad } : {}),
    ...(spec.notation ? { notation: spec.notation } : {}),
    ...(spec.gradNote ? { gradNote: spec.gradNote } : {}),
  });
}

export function binaryOp(spec: ElementwiseSpec): OpDef {
  return defineOp({
    name: spec.name,
    kind: "elementwise",
    arity: 2,
    shape: ([a, b]) => broadcastShapes(a!, b!),
    evaluate: (inputs, attrs, outShape) =>
      mapElementwise(inputs, outShape, (...xs) => spec.fn(xs, attrs)),
    emit: spec.emit,
    ...(spec.grad ? { grad: spec.grad } : {}),
    ...(spec.notation ? { notation: spec.notation } : {}),
    ...(spec.gradNote ? { gradNote: spec.gradNote } : {}),
  });
}
