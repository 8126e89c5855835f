// Names for the values the source does not name: after their statement and op (`h_relu`), after
// the forward value whose gradient they are (`d_h_relu_mul`), or, for numbers computed from
// constants and sizes, after what they are (`inv_batch`).
import { differentiates, displayName, originOf, type Dim, type Node } from "../../ir/node.ts";

/**
 * A value the source does not name is named after its statement and op (`h_relu`); a backward
 * value after the forward value whose rule built it (`d_h_relu_mul`); a number computed from
 * constants and sizes after what it is (`inv_batch`, `inv_batch_times_0_5`).
 */
export function roleName(n: Node, constant: (x: Node) => boolean): string {
  const shown = displayName(n);
  if (shown !== undefined) return shown;
  if (constant(n)) return constantName(n, 3);
  const of = differentiates(n);
  // links never chain (setDifferentiates), so `of` is a forward node and this recursion stops
  if (of && of !== n && differentiates(of) === undefined)
    return `d_${displayName(of) ?? roleName(of, constant)}_${n.op}`;
  const binding = originOf(n)?.binding;
  if (binding !== undefined) return `${binding}_${n.op}`;
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
