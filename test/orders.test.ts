// Code generation works out each function's order from the others' (src/codegen/schedule/
// orders.ts) instead of sorting the graph again: a root list that starts another reads a prefix of
// its order, and the order of concatenated lists is each list's order without the nodes the lists
// before it reach. Both must give exactly what `toposort` gives, since the statements of the
// generated code follow that order. Checked on random graphs with shared subgraphs.
import { describe, expect, it } from "vitest";
import type { Node } from "../src/ir/node.ts";
import { toposort } from "../src/ir/toposort.ts";
import { add, mul } from "../src/ops/index.ts";
import { input } from "../src/ops/leaves.ts";
import { concatenated, Orders } from "../src/codegen/schedule/orders.ts";
import { rng } from "./helpers.ts";

/** A random graph of `size` nodes over three inputs, each node reading two earlier ones. */
function graph(seed: number, size: number): Node[] {
  const random = rng(seed);
  const nodes = ["x", "y", "z"].map((n) => input(`orders_${seed}_${n}`, [2]));
  while (nodes.length < size) {
    const pick = () => nodes[Math.floor(random() * nodes.length)]!;
    nodes.push((random() < 0.5 ? add : mul)(pick(), pick()));
  }
  return nodes;
}

/** `count` roots drawn from the graph (repeats allowed, as a gradient list may hold one twice). */
function roots(nodes: Node[], seed: number, count: number): Node[] {
  const random = rng(seed);
  return Array.from({ length: count }, () => nodes[Math.floor(random() * nodes.length)]!);
}

const seeds = [1, 2, 3, 4, 5, 6, 7, 8];

describe("function orders", () => {
  it.each(seeds)("a root list's start reads a prefix of its order (seed %i)", (seed) => {
    const nodes = graph(seed, 60);
    const list = roots(nodes, seed + 100, 8);
    const orders = new Orders();
    expect(orders.of(list).order).toEqual(toposort(list));
    for (let k = 0; k <= list.length; k++) {
      const start = list.slice(0, k);
      expect(orders.of(start).order).toEqual(toposort(start));
      expect([...orders.of(start).nodes]).toEqual(toposort(start));
    }
  });

  it.each(seeds)("the same root list gets the same order (seed %i)", (seed) => {
    const list = roots(graph(seed, 40), seed + 200, 5);
    const orders = new Orders();
    expect(orders.of([...list])).toBe(orders.of([...list]));
  });

  it.each(seeds)("concatenated lists sort as their concatenation (seed %i)", (seed) => {
    const nodes = graph(seed, 80);
    const [a, b, c] = [1, 2, 3].map((k) => roots(nodes, seed * 10 + k, 4)) as [
      Node[],
      Node[],
      Node[],
    ];
    const orders = new Orders();
    const parts = [orders.of(a), orders.of(b), orders.of(c)];
    expect(concatenated(parts)).toEqual(toposort([...a, ...b, ...c]));
    // a list given twice adds nothing the second time
    expect(concatenated([orders.of(a), orders.of(b), orders.of(b)])).toEqual(
      toposort([...a, ...b, ...b]),
    );
  });
});
