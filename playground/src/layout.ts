// Layered layout of a DAG with dagre: boxes of given sizes, edges (optionally with a label box),
// and where each ends up. The graph and circuit views draw the result as SVG.
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

export function layout(
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
