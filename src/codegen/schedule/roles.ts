// Names for the values the source does not name: after their statement and op (`h_relu`), after
// the value whose gradient they are (`d_h_relu`, and `d_x_from_q` for the part of x's gradient
// that flows back through q), or, for numbers computed from constants and sizes, after what they
// are (`inv_batch`). A name that starts with `d_` is a gradient and nothing else: a value the
// backward pass computes that is not one is named after the rule that needs it (`a_sum`).
import {
  adjointOf,
  differentiates,
  displayName,
  originOf,
  shareOf,
  type Dim,
  type Node,
} from "../../ir/node.ts";
import { registry } from "../../ops/index.ts";

/**
 * The name of a value the source does not name; `nameOf(x)` is the name another value already
 * has (or will have, if it has none yet: computed by this same rule).
 */
export function roleName(
  n: Node,
  constant: (x: Node) => boolean,
  nameOf: (x: Node) => string = (x) => roleName(x, constant),
): string {
  const shown = displayName(n);
  if (shown !== undefined) return shown;
  if (constant(n)) return constantName(n, 3);
  // gradients: of a forward value, never of another gradient (autodiff's links have depth one)
  const x = adjointOf(n);
  if (x !== undefined && adjointOf(x) === undefined) return `d_${nameOf(x)}`;
  const share = shareOf(n);
  if (share !== undefined) return `d_${nameOf(share.of)}_from_${nameOf(share.via)}`;
  // a value a gradient rule computes on the way: named after the value the rule differentiates
  const of = differentiates(n);
  const role = registry[n.op].role ?? n.op;
  if (of && of !== n && differentiates(of) === undefined) return `${nameOf(of)}_${role}`;
  const binding = originOf(n)?.binding;
  if (binding !== undefined) return `${binding}_${role}`;
  return `${n.op}${n.id}`;
}

const WORDS: Partial<Record<string, string>> = {
  add: "plus",
  sub: "minus",
  mul: "times",
  div: "over",
  pow: "pow",
};

/** What a constant number is, in words an identifier can hold: `inv_batch`, `batch_times_2`. */
function constantName(n: Node, depth: number): string {
  if (n.op === "const") {
    const v = n.attrs["value"] as number;
    return `${v < 0 ? "neg_" : ""}${String(Math.abs(v)).replace(/[^0-9a-z]/gi, "_")}`;
  }
  if (n.op === "dimsize") return (n.attrs["dims"] as Dim[]).filter((d) => d !== 1).join("_") || "1";
  const [a, b] = n.inputs;
  if (depth === 0 || !a) return `${n.op}_const`;
  if (n.op === "div" && a.op === "const" && a.attrs["value"] === 1 && b)
    return `inv_${constantName(b, depth - 1)}`;
  if (n.op === "neg") return `neg_${constantName(a, depth - 1)}`;
  const word = WORDS[n.op];
  if (word && b) return `${constantName(a, depth - 1)}_${word}_${constantName(b, depth - 1)}`;
  return `${n.op}_of_${constantName(a, depth - 1)}`;
}
