// The Graph tab: the forward and backward graphs as a layered DAG, nodes coloured by kind, each
// node's IR line and shape on hover; fusion on or off, and the rewrite report beside.
import { graphData, type Compiled, type GraphData, type GraphNode } from "nnc";
import { notice, type Ctx, type View } from "./app.ts";
import { h, markLine, optionBoxes, s } from "./dom.ts";
import { layout, svgWithEdges, textWidth } from "./layout.ts";

const legend: [string, string][] = [
  ["input", "input / target"],
  ["param", "param"],
  ["state", "state"],
  ["const", "constant"],
  ["elementwise", "elementwise"],
  ["reduce", "reduction"],
  ["matmul", "matrix product"],
  ["conv", "convolution / pool"],
  ["fused", "fused op"],
  ["other", "other"],
];

/**
 * The lines of a node's box: its name (or op), and its op (or value); a convolution or a pool
 * also sums itself up and gives its shape (`conv2d 6@5x5, padding: 2`, `[batch, 6, 28, 28]`).
 */
export function nodeLines(n: GraphNode): string[] {
  if (n.op === "const") return [n.text.match(/const (\S+)/)?.[1] ?? ""];
  if (n.inputs.length === 0) return [n.name ?? n.op, n.kind];
  if (n.summary !== undefined)
    return [...(n.name ? [n.name] : []), `${n.op} ${n.summary}`, n.shape];
  return n.name ? [n.name, n.op] : [n.op];
}

const lineHeight = 14;

export class GraphView implements View {
  private readonly opts = { fuse: true, backward: false };
  private svg: SVGSVGElement | null = null;

  constructor(private readonly panel: HTMLElement) {}

  render(ctx: Ctx): void {
    if (!ctx.compiled) {
      this.panel.replaceChildren(notice("The source has errors: see the list under the editor."));
      this.svg = null;
      return;
    }
    const compiled = this.opts.fuse ? ctx.compiled : ctx.compileWith({ fuse: false });
    const data = graphData(compiled, { backward: this.opts.backward });
    const controls = this.controls(ctx);
    const counts = h("p", { class: "counts" }, countsText(data));
    this.svg = drawGraph(data, ctx);
    const report = rewriteReport(compiled);
    this.panel.replaceChildren(
      controls,
      counts,
      h("div", { class: "graph-layout" }, h("div", { class: "graph-scroll" }, this.svg), report),
    );
  }

  hoverLine(line: number | null): void {
    markLine(this.svg, "g.node", line);
  }

  private controls(ctx: Ctx): HTMLElement {
    const labels = { fuse: "fuse", backward: "backward" };
    return h(
      "div",
      { class: "controls" },
      ...optionBoxes(this.opts, labels, () => this.render(ctx)),
      h(
        "span",
        { class: "legend" },
        ...legend.map(([kind, text]) => h("span", { class: `swatch kind-${kind}` }, text)),
        h("span", { class: "swatch backward" }, "backward (dashed)"),
      ),
    );
  }
}

function countsText(data: GraphData): string {
  const forward = data.nodes.filter((n) => !n.backward).length;
  const backward = data.nodes.length - forward;
  return `${forward} forward nodes` + (backward > 0 ? `, ${backward} backward nodes` : "");
}

function drawGraph(data: GraphData, ctx: Ctx): SVGSVGElement {
  const boxes = data.nodes.map((n) => {
    const lines = nodeLines(n);
    return {
      id: String(n.id),
      width: Math.max(36, textWidth(Math.max(...lines.map((l) => l.length))) + 16),
      height: lines.length === 1 ? 22 : 6 + lineHeight * lines.length,
    };
  });
  const outs = data.roots.map((r, i) => ({
    id: `out${i}`,
    width: textWidth(r.label.length) + 14,
    height: 20,
  }));
  const edges = [
    ...data.nodes.flatMap((n) => n.inputs.map((i) => ({ from: String(i), to: String(n.id) }))),
    ...data.roots.map((r, i) => ({ from: String(r.id), to: `out${i}` })),
  ];
  const laid = layout([...boxes, ...outs], edges, { rankdir: "TB", nodesep: 12, ranksep: 22 });
  const svg = svgWithEdges(laid, "graph", "the model's graph", "edge");
  for (const n of data.nodes) svg.append(nodeBox(n, laid.nodes.get(String(n.id))!, ctx));
  data.roots.forEach((r, i) => {
    const p = laid.nodes.get(`out${i}`)!;
    svg.append(
      s(
        "g",
        { class: "root", transform: `translate(${p.x},${p.y})` },
        s("text", { "text-anchor": "middle", dy: "0.35em" }, r.label),
      ),
    );
  });
  return svg;
}

function nodeBox(
  n: GraphNode,
  p: { x: number; y: number; width: number; height: number },
  ctx: Ctx,
) {
  const lines = nodeLines(n);
  const g = s(
    "g",
    {
      class: `node kind-${n.kind}${n.backward ? " backward" : ""}`,
      "data-op": n.op,
      "data-id": n.id,
      "data-line": n.line,
      transform: `translate(${p.x - p.width / 2},${p.y - p.height / 2})`,
    },
    s("title", {}, `${n.text}\nshape ${n.shape}`),
    s("rect", { width: p.width, height: p.height, rx: 5 }),
    ...lines.map((line, i) => {
      const y = lines.length === 1 ? 15 : lineHeight * (i + 1);
      const cls = i === 0 ? "a" : "b";
      return s("text", { x: p.width / 2, y, "text-anchor": "middle", class: cls }, line);
    }),
  );
  g.addEventListener("mouseenter", () => ctx.pointAt(n.line ? [n.line] : []));
  g.addEventListener("mouseleave", () => ctx.pointAt([]));
  return g;
}

function rewriteReport(compiled: Compiled): HTMLElement {
  const fired = Object.entries(compiled.passes.fired).sort((x, y) => y[1] - x[1]);
  const missed = compiled.passes.missed;
  return h(
    "aside",
    { class: "report", "aria-label": "rewrite report" },
    h("h3", {}, compiled.fused ? "Rewrites that fired" : "Rewrites that fired (fusion off)"),
    fired.length === 0
      ? h("p", {}, "none")
      : h(
          "ul",
          {},
          ...fired.map(([rule, n]) => h("li", {}, h("code", {}, rule), n > 1 ? ` ×${n}` : "")),
        ),
    h("h3", {}, "Fusions that did not fire"),
    missed.length === 0
      ? h("p", {}, "none")
      : h(
          "ul",
          {},
          ...missed.map((m) =>
            h(
              "li",
              {},
              h("code", {}, m.fusion),
              m.line ? ` (line ${m.line})` : "",
              `: ${m.reason}`,
            ),
          ),
        ),
  );
}
