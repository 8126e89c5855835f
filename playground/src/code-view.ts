// The Gradient code tab: the generated `grad` function and the derivation (`nnc grad --math`),
// each line linked to the `.nn` line it comes from: hover one and the other lights up.
import type { Compiled } from "nnc";
import { notice, type Ctx, type View } from "./app.ts";
import { h, markLine, optionBoxes } from "./dom.ts";

/** A line of shown text and the `.nn` line it comes from. */
export interface LinkedLine {
  text: string;
  line: number | undefined;
}

/**
 * The generated code's lines, each with the `.nn` line of the `// line N:` comment above it; the
 * kernels after the function (from a line `}` on its own) belong to no line.
 */
export function linkCode(code: string): LinkedLine[] {
  let line: number | undefined;
  return code.split("\n").map((text) => {
    const m = /^\s*\/\/ line (\d+):/.exec(text);
    if (m) line = Number(m[1]);
    const out = { text, line };
    if (text === "}") line = undefined;
    return out;
  });
}

/** The derivation's equations, each with the line its group's comment names (`line N: ...`). */
export function linkDerivation(rows: Compiled["derivation"]): (LinkedLine & { comment: string })[] {
  let line: number | undefined;
  return rows.map((r) => {
    const m = /(?:^|; )line (\d+):/.exec(r.comment);
    if (m) line = Number(m[1]);
    return { text: r.math, comment: r.comment, line };
  });
}

export class CodeView implements View {
  private readonly opts = { fuse: true, forward: false, kernels: false };

  constructor(private readonly panel: HTMLElement) {}

  render(ctx: Ctx): void {
    if (!ctx.compiled) {
      this.panel.replaceChildren(notice("The source has errors: see the list under the editor."));
      return;
    }
    const compiled = this.opts.fuse ? ctx.compiled : ctx.compileWith({ fuse: false });
    if (!compiled.model.train.loss) {
      this.panel.replaceChildren(
        this.controls(ctx),
        notice("This model has no loss, so there is no gradient to show."),
      );
      return;
    }
    this.show(ctx, compiled);
  }

  /** The derivation and the generated code, side by side (one above the other where narrow). */
  private show(ctx: Ctx, compiled: Compiled): void {
    const code = linkCode(
      compiled.gradCode({ forward: this.opts.forward, kernels: this.opts.kernels }),
    );
    const math = linkDerivation(compiled.derivation);
    const mathLine = (r: LinkedLine & { comment: string }) =>
      h("div", {}, r.text, r.comment ? h("span", { class: "note" }, `  # ${r.comment}`) : "");
    const codeLine = (r: LinkedLine) =>
      h("div", { class: /^\s*\/\//.test(r.text) ? "comment" : "" }, r.text || " ");
    this.panel.replaceChildren(
      this.controls(ctx),
      h(
        "div",
        { class: "code-layout" },
        h(
          "section",
          { "aria-label": "derivation" },
          h("h3", {}, "The derivation (", h("code", {}, "nnc grad --math"), ")"),
          h("div", { class: "code math" }, ...math.map((r) => this.linked(ctx, r, mathLine))),
        ),
        h(
          "section",
          { "aria-label": "gradient code" },
          h("h3", {}, "The generated ", h("code", {}, "grad"), ` (${compiled.target} target)`),
          h("div", { class: "code js" }, ...code.map((r) => this.linked(ctx, r, codeLine))),
        ),
      ),
    );
  }

  /** A shown line that lights up its `.nn` line (and the lines linked to it) under the mouse. */
  private linked<R extends LinkedLine>(ctx: Ctx, r: R, render: (r: R) => HTMLElement) {
    const e = render(r);
    e.classList.add("ln");
    const line = r.line;
    if (line === undefined) return e;
    e.dataset["line"] = String(line);
    e.addEventListener("mouseenter", () => {
      ctx.pointAt([line]);
      this.hoverLine(line);
    });
    e.addEventListener("mouseleave", () => {
      ctx.pointAt([]);
      this.hoverLine(null);
    });
    return e;
  }

  hoverLine(line: number | null): void {
    markLine(this.panel, ".ln[data-line]", line);
  }

  private controls(ctx: Ctx): HTMLElement {
    const labels = { fuse: "fuse", forward: "forward pass", kernels: "kernels" };
    return h(
      "div",
      { class: "controls" },
      ...optionBoxes(this.opts, labels, () => this.render(ctx)),
      h("span", { class: "hint" }, "Hover a line: its .nn line lights up in the editor, and back."),
    );
  }
}
