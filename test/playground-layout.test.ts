// The diagrams' layout (playground/src/layout.ts): ranks found without recursion, the cost that
// sends a graph to dagre or to the linear layered layout, and that layout's boxes apart and edges
// pointing down, on chains far deeper than a call stack.
import { describe, expect, it } from "vitest";
import {
  dagreBudget,
  layered,
  layout,
  layoutCost,
  maxBoxes,
  ranksOf,
  type Laid,
  type LayoutEdge,
  type LayoutNode,
} from "../playground/src/layout.ts";

const box = (id: string): LayoutNode => ({ id, width: 40, height: 20 });
const edge = (from: string, to: string): LayoutEdge => ({ from, to });

/** A chain a0 → a1 → ... of `n` boxes, each also fed by the one constant `k`. */
function chain(n: number) {
  const nodes = [box("k"), ...Array.from({ length: n }, (_, i) => box(`a${i}`))];
  const edges = Array.from({ length: n - 1 }, (_, i) => edge(`a${i}`, `a${i + 1}`));
  edges.push(...Array.from({ length: n }, (_, i) => edge("k", `a${i}`)));
  return { nodes, edges };
}

/** No two boxes of a layout overlap, and each edge leaves its box's bottom for a lower box. */
function expectTidy(laid: Laid, nodes: readonly LayoutNode[], edges: readonly LayoutEdge[]) {
  const rows = new Map<number, { x: number; width: number }[]>();
  for (const n of nodes) {
    const p = laid.nodes.get(n.id)!;
    expect(p.x - p.width / 2).toBeGreaterThanOrEqual(0);
    expect(p.x + p.width / 2).toBeLessThanOrEqual(laid.width);
    expect(p.y + p.height / 2).toBeLessThanOrEqual(laid.height);
    rows.set(p.y, [...(rows.get(p.y) ?? []), p]);
  }
  for (const row of rows.values()) {
    row.sort((a, b) => a.x - b.x);
    for (let i = 1; i < row.length; i++)
      expect(row[i]!.x - row[i]!.width / 2).toBeGreaterThan(row[i - 1]!.x + row[i - 1]!.width / 2);
  }
  for (const e of edges) {
    const [a, b] = [laid.nodes.get(e.from)!, laid.nodes.get(e.to)!];
    expect(b.y).toBeGreaterThan(a.y);
  }
}

describe("the diagrams' layout", () => {
  it("ranks by the longest path, each source just above its nearest use", () => {
    // x → m → s → out, and w used by m and by out; c used only by out
    const nodes = ["x", "w", "m", "s", "c", "out"].map(box);
    const edges = [
      edge("x", "m"),
      edge("w", "m"),
      edge("m", "s"),
      edge("s", "out"),
      edge("w", "out"),
      edge("c", "out"),
    ];
    const ranks = ranksOf(nodes, edges);
    expect(Object.fromEntries(ranks)).toEqual({ x: 0, w: 0, m: 1, s: 2, c: 2, out: 3 });
    // 6 nodes, and w → out crosses ranks 1 and 2
    expect(layoutCost(edges, ranks)).toBe(6 + 2);
  });

  it("gives a constant that feeds every link of a chain the cost of every rank it crosses", () => {
    const { nodes, edges } = chain(100);
    const ranks = ranksOf(nodes, edges);
    // k sits above a0 (rank 0, a0 at 1); its edge to a_i crosses i ranks
    expect(ranks.get("k")).toBe(0);
    expect(ranks.get("a99")).toBe(100);
    expect(layoutCost(edges, ranks)).toBe(101 + (99 * 100) / 2);
    expect(layoutCost(edges, ranks)).toBeGreaterThan(dagreBudget);
  });

  it("lays out a small graph with dagre, and a 3,000-link chain (too large for it) linearly", () => {
    const small = chain(6);
    expectTidy(layout(small.nodes, small.edges, { rankdir: "TB" }), small.nodes, small.edges);
    const large = chain(3000);
    const laid = layout(large.nodes, large.edges, { rankdir: "TB", nodesep: 12, ranksep: 22 });
    expectTidy(laid, large.nodes, large.edges);
    // one box a rank down the page, the chain straight below its first box
    expect(laid.nodes.get("a2999")!.x).toBe(laid.nodes.get("a0")!.x);
    expect(laid.height).toBeGreaterThan(3000 * (20 + 22));
  });

  it("lays out a chain as deep as it is allowed without recursion, left to right too", () => {
    const { nodes, edges } = chain(maxBoxes - 1);
    const ranks = ranksOf(nodes, edges);
    const laid = layered(nodes, edges, ranks, { rankdir: "LR" });
    for (const e of edges.slice(0, 2000))
      expect(laid.nodes.get(e.to)!.x).toBeGreaterThan(laid.nodes.get(e.from)!.x);
    expect(() => layout(chain(maxBoxes).nodes, [], { rankdir: "TB" })).toThrow(
      "it has 20,001 boxes, more than the 20,000 a drawing can show",
    );
  });

  it("puts an edge's label at its middle, with room for it between the ranks", () => {
    const nodes = ["a", "b"].map(box);
    const edges = [{ from: "a", to: "b", label: { width: 46, height: 36 } }];
    const laid = layered(nodes, edges, ranksOf(nodes, edges), { rankdir: "LR", ranksep: 8 });
    const [a, b] = [laid.nodes.get("a")!, laid.nodes.get("b")!];
    expect(b.x - b.width / 2 - (a.x + a.width / 2)).toBe(8 + 46);
    expect(laid.edges[0]!.label).toEqual({ x: (a.x + b.x) / 2, y: a.y, width: 46, height: 36 });
  });
});
