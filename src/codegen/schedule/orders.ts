// The nodes each generated function computes, in the order `toposort(roots)` gives them, worked
// out without sorting the same graph again for every function: the functions' root lists share
// their starts (the loss first), and a depth-first order of roots `A, B` is the order of `A`
// followed by that of `B` without the nodes `A` reaches. And the data each function reads.
import { bindingOrder } from "../../ir/dims.ts";
import type { Leaf, ModelIR } from "../../ir/model.ts";
import type { Dim, Node } from "../../ir/node.ts";
import { toposort } from "../../ir/toposort.ts";

export interface Ordered {
  /** inputs before users, exactly as `toposort(roots)` */
  order: Node[];
  /** the same nodes, to ask whether the function computes one */
  nodes: ReadonlySet<Node>;
}

/** Orders of root lists, each sorted once; a list that starts another's reads a prefix of it. */
export class Orders {
  private readonly done: { roots: readonly Node[]; ordered: Ordered }[] = [];

  of(roots: readonly Node[]): Ordered {
    for (const d of this.done) {
      if (!startsWith(d.roots, roots)) continue;
      if (d.roots.length === roots.length) return d.ordered;
      return this.remember(roots, prefix(d.ordered.order, roots));
    }
    return this.remember(roots, toposort(roots));
  }

  private remember(roots: readonly Node[], order: Node[]): Ordered {
    const ordered = { order, nodes: new Set(order) };
    this.done.push({ roots, ordered });
    return ordered;
  }
}

function startsWith(list: readonly Node[], start: readonly Node[]): boolean {
  return start.length <= list.length && start.every((n, i) => list[i] === n);
}

/**
 * The part of a depth-first order that the first roots of its list reach: it ends at the last of
 * them placed (a depth-first order places each root after everything it reaches).
 */
function prefix(order: Node[], roots: readonly Node[]): Node[] {
  const wanted = new Set(roots);
  let end = 0;
  for (let i = 0; i < order.length; i++) if (wanted.has(order[i]!)) end = i + 1;
  return order.slice(0, end);
}

/** `toposort` of the concatenated root lists, from the order of each list. */
export function concatenated(parts: readonly Ordered[]): Node[] {
  const all: Node[] = [];
  const seen: ReadonlySet<Node>[] = [];
  for (const part of parts) {
    if (seen.includes(part.nodes)) continue;
    for (const n of part.order) if (!inAny(seen, n)) all.push(n);
    seen.push(part.nodes);
  }
  return all;
}

function inAny(sets: readonly ReadonlySet<Node>[], n: Node): boolean {
  for (const s of sets) if (s.has(n)) return true;
  return false;
}

/**
 * The inputs and targets a function of these nodes reads, in declaration order: those it uses, and
 * where a named dim it needs is not bound otherwise, those that give named dims their sizes.
 */
export function feedsOf(
  model: ModelIR,
  { order, nodes: used }: Ordered,
  training: boolean,
  bound: (d: string) => boolean,
): Leaf[] {
  const data = [...model.inputs, ...model.targets];
  const feeds = data.filter((l) => used.has(l.node));
  // the named dims the function's values are sized by, or read as numbers (`dim(x, 0)`)
  const needed = new Set<string>();
  for (const n of order) {
    const dims = n.op === "dimsize" ? [...n.shape, ...(n.attrs["dims"] as Dim[])] : n.shape;
    for (const d of dims) if (typeof d === "string" && !bound(d)) needed.add(d);
  }
  const binding = bindingOrder(feeds, bound);
  for (const b of binding.order) if (b.binds !== undefined) needed.delete(b.binds);
  if (binding.stuck.length === 0 && needed.size === 0) return feeds;
  // data the function does not use is still read where it gives the size of a named dim
  return data.filter(
    (l) =>
      used.has(l.node) ||
      ((training || l.node.attrs["role"] !== "target") &&
        l.shape.some((d) => typeof d === "string")),
  );
}
