// How the named dimensions of a model's data are read at run time: a feed gives the size of one
// named dimension, from its length, when that dimension appears once in its shape and every other
// named dimension of it is already known (fixed by `--bind` or given by another feed).
import type { Shape } from "./node.ts";

export interface Binding<L> {
  leaf: L;
  /** the named dimension this feed's length gives, if any */
  binds?: string;
}

/**
 * An order of `leaves` in which each one binds at most one named dim (any order works for the
 * rest); `stuck` lists the leaves whose named dims no order can bind, in their given order.
 */
export function bindingOrder<L extends { shape: Shape }>(
  leaves: readonly L[],
  known: (dim: string) => boolean,
): { order: Binding<L>[]; stuck: L[] } {
  const bound = new Set<string>();
  const order: Binding<L>[] = [];
  let rest = [...leaves];
  for (;;) {
    const unbound = (l: L) =>
      [...new Set(l.shape.filter((d) => typeof d === "string"))].filter(
        (d) => !known(d) && !bound.has(d),
      );
    const next = rest.findIndex((l) => {
      const u = unbound(l);
      return u.length === 0 || (u.length === 1 && l.shape.filter((d) => d === u[0]).length === 1);
    });
    if (next < 0) return { order, stuck: rest };
    const leaf = rest[next]!;
    const binds = unbound(leaf)[0];
    if (binds !== undefined) bound.add(binds);
    order.push(binds !== undefined ? { leaf, binds } : { leaf });
    rest = rest.filter((_, i) => i !== next);
  }
}
