// The Circuit tab: a scalar model as the backprop circuit of CS231n's notes, drawn from nnc's own
// trace: every gate, each wire with its value above (green) and the loss's gradient below (red).
// Inputs and params are edited in place; "step" applies one step of the model's optimizer.
import { graphData, trace, type Compiled, type Trace, type TraceNode } from "nnc";
import { notice, type Ctx, type View } from "./app.ts";
import { h, markLine, s, short } from "./dom.ts";
import { layout, svgWithEdges, textWidth } from "./layout.ts";

/** Starting inputs of the classic examples (others start at 1): CS231n's neuron at (-1, -2). */
export const startingInputs: Record<string, Record<string, number>> = {
  neuron: { x0: -1, x1: -2 },
};

/** A gate's symbol: its op, with a constant input folded in (`+1`, `1/x`, `*-1`). */
export function gateLabel(n: TraceNode, byId: ReadonlyMap<number, TraceNode>): string {
  const c = n.inputs.map((id) => byId.get(id)?.constant);
  const k = c[0] ?? c[1];
  switch (n.op) {
    case "add":
      return k === undefined ? "+" : k < 0 ? `${k}` : `+${k}`;
    case "mul":
      return k === undefined ? "*" : `*${k}`;
    case "sub":
      return c[0] !== undefined ? `${c[0]}-x` : c[1] !== undefined ? `-${c[1]}` : "-";
    case "div":
      return c[0] !== undefined ? `${c[0]}/x` : c[1] !== undefined ? `/${c[1]}` : "/";
    case "pow":
      return c[1] !== undefined ? `^${c[1]}` : "^";
    case "neg":
      return "*-1";
    case "sigmoid":
      return "σ";
    default:
      return n.op;
  }
}

/** The most gates the circuit draws: a diagram to read wire by wire, not a whole network. */
export const maxGates = 400;

/** Whether every input, target and param of the model is a scalar. */
function isScalar(compiled: Compiled): boolean {
  const m = compiled.model;
  return [...m.inputs, ...m.targets, ...m.params].every((l) => l.shape.length === 0);
}

export class CircuitView implements View {
  /** the values set by hand or by a step, by name */
  private readonly at = new Map<string, number>();
  private modelName = "";
  private message = "";
  private svg: SVGSVGElement | null = null;

  constructor(private readonly panel: HTMLElement) {}

  render(ctx: Ctx): void {
    this.svg = null;
    if (!ctx.compiled) {
      this.panel.replaceChildren(notice("The source has errors: see the list under the editor."));
      return;
    }
    const gates = graphData(ctx.compiled).nodes.filter((n) => n.inputs.length > 0).length;
    if (gates > maxGates) {
      this.panel.replaceChildren(
        notice(
          `The circuit draws a scalar model gate by gate, up to ${maxGates} gates; this one has ` +
            `${gates.toLocaleString("en")}, too many to read wire by wire. The Graph tab draws it.`,
          ["Open models/neuron.nn", () => ctx.open("models/neuron.nn")],
        ),
      );
      return;
    }
    const compiled = ctx.compileWith({ fuse: false, dtype: "f64", wrt: "all" });
    if (!isScalar(compiled) || !compiled.model.train.loss) {
      this.panel.replaceChildren(
        notice(
          "The circuit draws a model whose inputs and params are all scalars and that has a loss, " +
            "gate by gate, as CS231n's backprop diagrams do. This model has tensors.",
          ["Open models/neuron.nn", () => ctx.open("models/neuron.nn")],
        ),
      );
      return;
    }
    this.resetIfNew(compiled);
    const t = trace(compiled, this.at, 0);
    this.svg = this.draw(t, ctx);
    this.panel.replaceChildren(
      this.controls(ctx, t),
      h(
        "p",
        { class: "hint" },
        "Values above the wires (green), the gradient of the loss below (red). " +
          "Edit an input or param in place; step applies one step of the optimizer.",
      ),
      h("div", { class: "graph-scroll" }, this.svg),
      h("p", { class: "step-note", role: "status" }, this.message),
    );
  }

  hoverLine(line: number | null): void {
    markLine(this.svg, "g.gate", line);
  }

  /** A new model starts from its inputs' starting values and its params' initial values. */
  private resetIfNew(compiled: Compiled): void {
    const m = compiled.model;
    const names = [...m.inputs, ...m.targets, ...m.params].map((l) => l.name).join(",");
    const key = `${m.name}:${names}`;
    if (key === this.modelName) return;
    this.modelName = key;
    this.reset(compiled);
  }

  private reset(compiled: Compiled): void {
    const m = compiled.model;
    this.at.clear();
    this.message = "";
    for (const leaf of [...m.inputs, ...m.targets])
      this.at.set(leaf.name, startingInputs[m.name]?.[leaf.name] ?? 1);
  }

  private controls(ctx: Ctx, t: Trace): HTMLElement {
    const step = h("button", { class: "step" }, "step");
    const opt = t.step?.optimizer;
    step.title = opt ? `one step of ${opt.kind}(lr: ${opt.lr})` : "";
    step.disabled = !t.step;
    step.addEventListener("click", () => {
      if (!t.step) return;
      const changes = Object.entries(t.step.params).map(([name, v]) => {
        const before = t.nodes.find((n) => n.name === name)?.value[0] ?? NaN;
        this.at.set(name, v[0]!);
        return `${name} ${short(before)} → ${short(v[0]!)}`;
      });
      this.message = `one step of ${opt!.kind}(lr: ${opt!.lr}) from loss ${t.step.loss.toFixed(4)}: ${changes.join(", ")}`;
      this.render(ctx);
    });
    const reset = h("button", {}, "reset");
    reset.addEventListener("click", () => {
      this.modelName = "";
      this.render(ctx);
    });
    return h(
      "div",
      { class: "controls" },
      step,
      reset,
      h("span", { class: "hint" }, `model ${t.model}`),
    );
  }

  private draw(t: Trace, ctx: Ctx): SVGSVGElement {
    const byId = new Map(t.nodes.map((n) => [n.id, n]));
    const shown = t.nodes.filter((n) => n.op !== "const" && n.op !== "dimsize");
    const loss = byId.get(t.loss)!;
    const laid = layOutCircuit(t, shown, byId);
    const svg = svgWithEdges(laid, "circuit", "the backprop circuit", "wire");
    for (const e of laid.edges) {
      const to = e.to === "out" ? "out" : gateLabel(byId.get(Number(e.to))!, byId);
      if (e.label) svg.append(wireLabel(byId.get(Number(e.from))!, to, e.label));
    }
    for (const n of shown) {
      const p = laid.nodes.get(String(n.id))!;
      svg.append(n.inputs.length === 0 ? this.leaf(n, p, ctx) : gateNode(n, p, byId, ctx));
    }
    const o = laid.nodes.get("out")!;
    svg.append(
      s(
        "text",
        { x: o.x - o.width / 2 + 4, y: o.y, dy: "0.35em", class: "out-name" },
        loss.name ?? "loss",
      ),
    );
    return svg;
  }

  /** An input or param: its name and its value, editable. */
  private leaf(n: TraceNode, p: { x: number; y: number; width: number; height: number }, ctx: Ctx) {
    const input = h("input", {
      type: "number",
      step: "any",
      "aria-label": n.name ?? `%${n.id}`,
      value: String(Number(n.value[0]!.toPrecision(6))),
    });
    input.addEventListener("change", () => {
      const v = Number(input.value);
      if (input.value.trim() === "" || !Number.isFinite(v)) return;
      this.at.set(n.name!, v);
      this.message = "";
      this.render(ctx);
    });
    return s(
      "g",
      {
        class: `leaf role-${n.role ?? "leaf"}`,
        "data-name": n.name,
        transform: `translate(${p.x - p.width / 2},${p.y - p.height / 2})`,
      },
      s("rect", { width: p.width, height: p.height, rx: 6 }),
      s("text", { x: 6, y: 13, class: "leaf-name" }, `${n.name ?? ""} (${n.role ?? ""})`),
      s("foreignObject", { x: 4, y: 18, width: p.width - 8, height: 24 }, input),
    );
  }
}

/** The circuit laid out left to right: leaves as boxes, gates as circles, room on each wire for
 * its value and gradient, and the loss's name at the end (`out`). */
function layOutCircuit(t: Trace, shown: TraceNode[], byId: ReadonlyMap<number, TraceNode>) {
  const leafBox = { width: 96, height: 46 };
  const gate = 36;
  const wire = { width: 46, height: 36 };
  const nodes = shown.map((n) =>
    n.inputs.length === 0
      ? { id: String(n.id), ...leafBox }
      : {
          id: String(n.id),
          width: Math.max(gate, textWidth(gateLabel(n, byId).length, 13) + 14),
          height: gate,
        },
  );
  const drawn = (id: number) => byId.get(id)?.op !== "const" && byId.get(id)?.op !== "dimsize";
  const edges = shown.flatMap((n) =>
    n.inputs.filter(drawn).map((id) => ({ from: String(id), to: String(n.id), label: wire })),
  );
  const name = byId.get(t.loss)!.name ?? "loss";
  const out = { id: "out", width: Math.max(30, textWidth(name.length) + 12), height: 24 };
  edges.push({ from: String(t.loss), to: "out", label: wire });
  return layout([...nodes, out], edges, { rankdir: "LR", nodesep: 14, ranksep: 8 });
}

function gateNode(
  n: TraceNode,
  p: { x: number; y: number; width: number; height: number },
  byId: ReadonlyMap<number, TraceNode>,
  ctx: Ctx,
) {
  const g = s(
    "g",
    { class: "gate", "data-op": n.op, "data-line": n.line, transform: `translate(${p.x},${p.y})` },
    s(
      "title",
      {},
      `${n.text}${n.name ? ` (${n.name})` : ""}: value ${n.value[0]}, gradient ${n.gradient[0]}`,
    ),
    s("ellipse", { rx: p.width / 2, ry: p.height / 2 }),
    s("text", { "text-anchor": "middle", dy: "0.35em" }, gateLabel(n, byId)),
  );
  g.addEventListener("mouseenter", () => ctx.pointAt(n.line ? [n.line] : []));
  g.addEventListener("mouseleave", () => ctx.pointAt([]));
  return g;
}

/** A wire's value (green, above) and gradient (red, below), from the node it leaves. */
function wireLabel(from: TraceNode, to: string, at: { x: number; y: number }): SVGGElement {
  return s(
    "g",
    {
      class: "wire-label",
      "data-from": from.id,
      "data-from-name": from.name,
      "data-to-gate": to,
      transform: `translate(${at.x},${at.y})`,
    },
    s("title", {}, `value ${from.value[0]}, gradient ${from.gradient[0]}`),
    s("text", { class: "value", "text-anchor": "middle", y: -5 }, short(from.value[0]!)),
    s("text", { class: "grad", "text-anchor": "middle", y: 14 }, short(from.gradient[0]!)),
  );
}
