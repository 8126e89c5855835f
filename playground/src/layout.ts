// Layered layout of a DAG: boxes of given sizes, edges (optionally with a label box), and where
// each ends up. The graph and circuit views draw the result as SVG. dagre lays out a graph it can
// lay out in about a second; a larger one (a long chain, a leaf that feeds many far layers: dagre's
// time grows with every rank an edge crosses, and its cycle removal recurses once per node) is
// laid out by `layered`, without recursion and in time linear in its nodes and edges.
import dagre from "@dagrejs/dagre";
import { s } from "./dom.ts";

export interface LayoutNode {
  id: string;
  width: number;
  height: number;
}

export interface LayoutEdge {
  from: string;
  to: string;
  /** room for a label at the edge's middle */
  label?: { width: number; height: number };
}

export interface Placed {
  /** centre */
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Laid {
  nodes: Map<string, Placed>;
  edges: { from: string; to: string; points: { x: number; y: number }[]; label?: Placed }[];
  width: number;
  height: number;
}

/** The most boxes a view draws: beyond, the layout throws and the view says why. */
export const maxBoxes = 20_000;

/** The most nodes plus ranks crossed by edges that dagre lays out (about a second in Chromium). */
export const dagreBudget = 2_000;

export function layout(
  nodes: readonly LayoutNode[],
  edges: readonly LayoutEdge[],
  options: { rankdir: "TB" | "LR"; nodesep?: number; ranksep?: number },
): Laid {
  if (nodes.length > maxBoxes)
    throw new Error(
      `it has ${nodes.length.toLocaleString("en")} boxes, more than the ` +
        `${maxBoxes.toLocaleString("en")} a drawing can show`,
    );
  const ranks = ranksOf(nodes, edges);
  return layoutCost(edges, ranks) <= dagreBudget
    ? withDagre(nodes, edges, options)
    : layered(nodes, edges, ranks, options);
}

/**
 * Each node's rank, without recursion: the longest path from a source (Kahn's order), then each
 * source moved down to just above its nearest consumer (a param or constant beside its use). A
 * node on a cycle (none in a model's graph) is ranked below everything else.
 */
export function ranksOf(
  nodes: readonly LayoutNode[],
  edges: readonly LayoutEdge[],
): Map<string, number> {
  const rank = new Map(nodes.map((n) => [n.id, 0]));
  const indegree = new Map(nodes.map((n) => [n.id, 0]));
  const out = new Map<string, string[]>(nodes.map((n) => [n.id, []]));
  for (const e of edges) {
    if (!rank.has(e.from) || !rank.has(e.to) || e.from === e.to) continue;
    out.get(e.from)!.push(e.to);
    indegree.set(e.to, indegree.get(e.to)! + 1);
  }
  const queue = nodes.filter((n) => indegree.get(n.id) === 0).map((n) => n.id);
  const sources = new Set(queue);
  for (let i = 0; i < queue.length; i++) {
    const v = queue[i]!;
    for (const w of out.get(v)!) {
      rank.set(w, Math.max(rank.get(w)!, rank.get(v)! + 1));
      indegree.set(w, indegree.get(w)! - 1);
      if (indegree.get(w) === 0) queue.push(w);
    }
  }
  if (queue.length < nodes.length) {
    const below = Math.max(0, ...rank.values()) + 1;
    for (const n of nodes) if (indegree.get(n.id)! > 0) rank.set(n.id, below);
  }
  for (const v of sources) {
    const uses = out.get(v)!.map((w) => rank.get(w)!);
    if (uses.length > 0) rank.set(v, Math.min(...uses) - 1);
  }
  return rank;
}

/** What dagre's time grows with: the nodes, and the ranks each edge crosses. */
export function layoutCost(edges: readonly LayoutEdge[], ranks: ReadonlyMap<string, number>) {
  let cost = ranks.size;
  for (const e of edges)
    cost += Math.max(0, Math.abs((ranks.get(e.to) ?? 0) - (ranks.get(e.from) ?? 0)) - 1);
  return cost;
}

function withDagre(
  nodes: readonly LayoutNode[],
  edges: readonly LayoutEdge[],
  options: { rankdir: "TB" | "LR"; nodesep?: number; ranksep?: number },
): Laid {
  const g = new dagre.graphlib.Graph({ multigraph: true });
  g.setGraph({ ...options, marginx: 12, marginy: 12, edgesep: 8 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of nodes) g.setNode(n.id, { width: n.width, height: n.height });
  edges.forEach((e, i) =>
    g.setEdge(e.from, e.to, e.label ? { ...e.label, labelpos: "c" } : {}, String(i)),
  );
  dagre.layout(g);
  const placed = new Map<string, Placed>();
  for (const n of nodes) {
    const l = g.node(n.id);
    placed.set(n.id, { x: l.x ?? 0, y: l.y ?? 0, width: n.width, height: n.height });
  }
  const laidEdges = edges.map((e, i) => {
    const l = g.edge(e.from, e.to, String(i));
    const label =
      e.label && l.x !== undefined && l.y !== undefined
        ? { x: l.x, y: l.y, width: e.label.width, height: e.label.height }
        : undefined;
    return { from: e.from, to: e.to, points: l.points ?? [], ...(label ? { label } : {}) };
  });
  const graph = g.graph();
  return { nodes: placed, edges: laidEdges, width: graph.width ?? 0, height: graph.height ?? 0 };
}

/**
 * A layered layout in linear time: each rank a row (TB) or column (LR) of boxes, each box as near
 * the mean of its inputs as the boxes before it allow, each edge a straight line (its label at the
 * middle). Plainer than dagre's, for graphs too large for it.
 */
export function layered(
  nodes: readonly LayoutNode[],
  edges: readonly LayoutEdge[],
  ranks: ReadonlyMap<string, number>,
  options: { rankdir: "TB" | "LR"; nodesep?: number; ranksep?: number },
): Laid {
  const lr = options.rankdir === "LR";
  const margin = 12;
  const nodesep = options.nodesep ?? 50;
  const label = edges.reduce(
    (m, e) => Math.max(m, e.label ? (lr ? e.label.width : e.label.height) : 0),
    0,
  );
  const ranksep = (options.ranksep ?? 50) + label;
  // along: the rank's axis (y for TB); across: the axis within a rank
  const along = (n: LayoutNode) => (lr ? n.width : n.height);
  const across = (n: LayoutNode) => (lr ? n.height : n.width);
  const byRank: LayoutNode[][] = [];
  const base = Math.min(0, ...ranks.values());
  for (const n of nodes) (byRank[ranks.get(n.id)! - base] ??= []).push(n);
  const inputs = new Map<string, string[]>(nodes.map((n) => [n.id, []]));
  for (const e of edges) inputs.get(e.to)?.push(e.from);
  const centre = new Map<string, number>();
  let offset = margin;
  let wide = 0;
  const placed = new Map<string, Placed>();
  for (const row of byRank) {
    if (!row) continue;
    const depth = Math.max(...row.map(along));
    // the boxes in the order of their inputs' mean position; boxes without placed inputs after
    const wish = row.map((n, i) => {
      const xs = inputs.get(n.id)!.flatMap((id) => (centre.has(id) ? [centre.get(id)!] : []));
      return { n, i, x: xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Infinity };
    });
    wish.sort((a, b) => a.x - b.x || a.i - b.i);
    let free = margin;
    for (const { n, x } of wish) {
      const half = across(n) / 2;
      const c = Math.max(free + half, Number.isFinite(x) ? x : free + half);
      centre.set(n.id, c);
      free = c + half + nodesep;
      const mid = offset + depth / 2;
      placed.set(n.id, { x: lr ? mid : c, y: lr ? c : mid, width: n.width, height: n.height });
    }
    wide = Math.max(wide, free - nodesep);
    offset += depth + ranksep;
  }
  const laidEdges = edges.map((e) => {
    const a = placed.get(e.from)!;
    const b = placed.get(e.to)!;
    const from = lr ? { x: a.x + a.width / 2, y: a.y } : { x: a.x, y: a.y + a.height / 2 };
    const to = lr ? { x: b.x - b.width / 2, y: b.y } : { x: b.x, y: b.y - b.height / 2 };
    const mid = { x: (from.x + to.x) / 2, y: (from.y + to.y) / 2 };
    return {
      from: e.from,
      to: e.to,
      points: [from, to],
      ...(e.label ? { label: { ...mid, width: e.label.width, height: e.label.height } } : {}),
    };
  });
  const long = offset - ranksep + margin;
  const broad = wide + margin;
  return { nodes: placed, edges: laidEdges, width: lr ? long : broad, height: lr ? broad : long };
}

/** A smooth path through an edge's points. */
export function edgePath(points: readonly { x: number; y: number }[]): string {
  if (points.length === 0) return "";
  const [first, ...rest] = points;
  if (rest.length === 1) return `M${first!.x},${first!.y}L${rest[0]!.x},${rest[0]!.y}`;
  // quadratic segments through the midpoints: the corners rounded, the ends exact
  let d = `M${first!.x},${first!.y}`;
  for (let i = 0; i < rest.length - 1; i++) {
    const p = rest[i]!;
    const q = rest[i + 1]!;
    const mid = i === rest.length - 2 ? q : { x: (p.x + q.x) / 2, y: (p.y + q.y) / 2 };
    d += `Q${p.x},${p.y} ${mid.x},${mid.y}`;
  }
  return d;
}

/** An arrowhead marker for edges, `url(#id)`. */
function arrowMarker(id: string): SVGDefsElement {
  return s(
    "defs",
    {},
    s(
      "marker",
      {
        id,
        viewBox: "0 0 10 10",
        refX: 9,
        refY: 5,
        markerWidth: 7,
        markerHeight: 7,
        orient: "auto-start-reverse",
      },
      s("path", { d: "M0,0L10,5L0,10z", class: "arrow" }),
    ),
  );
}

/** Width of a monospace text of `n` characters at the views' font size. */
export const textWidth = (n: number, px = 12): number => n * px * 0.62;

/** An SVG of the layout's size with its edges drawn (class `edgeClass`, arrowheads); the caller
 * adds the nodes. */
export function svgWithEdges(laid: Laid, cls: string, label: string, edgeClass: string) {
  const svg = s("svg", {
    class: cls,
    viewBox: `0 0 ${laid.width} ${laid.height}`,
    width: laid.width,
    height: laid.height,
    role: "img",
    "aria-label": label,
  });
  const marker = `${cls}-arrow`;
  svg.append(arrowMarker(marker));
  for (const e of laid.edges)
    svg.append(
      s("path", { d: edgePath(e.points), class: edgeClass, "marker-end": `url(#${marker})` }),
    );
  return svg;
}
