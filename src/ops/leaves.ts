// The named leaves of a model: data fed in (input, target), trainable params, non-trainable state.
import type { Dim, Node, Shape } from "../ir/node.ts";
import { defineOp, make, sizeOf, ShapeError } from "./op.ts";
import { PREC } from "./notation.ts";
import { c } from "./const.ts";

export type LeafRole = "input" | "target" | "param" | "state";

function leafOp(name: "input" | "param" | "state") {
  return defineOp({
    name,
    kind: "leaf",
    arity: 0,
    shape: (_i, attrs) => attrs["shape"] as Dim[],
    evaluate: (_i, _a, _s, env, node) => env.leaf(node),
    notation: (_a, attrs) => ({ text: attrs["name"] as string, prec: PREC.primary }),
    grad: () => [],
  });
}

export const inputOp = leafOp("input");
export const paramOp = leafOp("param");
export const stateOp = leafOp("state");

/** An input (`role` input or target) named `name`; `int`: its values are integers (indices). */
export const input = (
  name: string,
  shape: Shape,
  role: "input" | "target" = "input",
  int = false,
): Node => make(inputOp, [], { name, shape: [...shape], role, ...(int ? { dtype: "int" } : {}) });

/** Whether a node holds integers: an `int` input or target (indices, class labels). */
export function isInt(node: Node): boolean {
  return node.attrs["dtype"] === "int";
}
export const param = (name: string, shape: Shape): Node =>
  make(paramOp, [], { name, shape: [...shape] });
export const state = (name: string, shape: Shape): Node =>
  make(stateOp, [], { name, shape: [...shape] });

export function leafName(node: Node): string {
  return node.attrs["name"] as string;
}

/** The number of elements of a shape as a scalar node, for `mean`; symbolic dims are read at run time. */
export const dimsizeOp = defineOp({
  name: "dimsize",
  kind: "leaf",
  arity: 0,
  shape: () => [],
  evaluate: (_i, attrs, _s, env) =>
    Float64Array.of(
      (attrs["dims"] as Dim[]).reduce<number>(
        (a, d) => a * (typeof d === "number" ? d : env.dim(d)),
        1,
      ),
    ),
  // `batch`, `784 * batch`
  notation: (_a, attrs) => {
    const dims = (attrs["dims"] as Dim[]).filter((d, i) => !(i === 0 && d === 1));
    const text = dims.length === 0 ? "1" : dims.join(" * ");
    return { text, prec: dims.length > 1 ? PREC.product : PREC.primary };
  },
  grad: () => [],
});

export function dimsize(dims: readonly Dim[]): Node {
  const fixed = dims.filter((d): d is number => typeof d === "number");
  const named = dims.filter((d): d is string => typeof d === "string").sort();
  // a size known at compile time is a constant, which the simplifier can fold
  if (named.length === 0) return c(sizeOf(fixed));
  return make(dimsizeOp, [], { dims: [sizeOf(fixed), ...named] });
}

/** Dropout's keep-mask: 0 or 1/(1-rate) per element, drawn afresh at every training call. */
export const dropoutMaskOp = defineOp({
  name: "dropout_mask",
  kind: "leaf",
  arity: 0,
  shape: (_i, attrs) => {
    const rate = attrs["rate"] as number;
    if (!(rate >= 0 && rate < 1))
      throw new ShapeError(`dropout rate must be in [0, 1), got ${rate}`, "NN3005");
    return attrs["shape"] as Dim[];
  },
  evaluate: (_i, _a, _s, env, node) => env.leaf(node),
  grad: () => [],
});

export const dropoutMask = (shape: Shape, rate: number, id: string): Node =>
  make(dropoutMaskOp, [], { shape: [...shape], rate, id });
