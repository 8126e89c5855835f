// What the views share: the source being shown, its compilation, and what they may ask of the
// page (open a model, edit the source, point at lines of the editor).
import { compile, NnError, type CompileOptions, type Compiled, type Diagnostic } from "nnc";

export interface Ctx {
  source: string;
  /** the source's file name, for diagnostics (`models/xor.nn`) */
  file: string;
  /** the model of the file to compile (absent: the first) */
  model: string | undefined;
  /** the source compiled with fusion, for the JS target; null where it has errors */
  compiled: Compiled | null;
  /** the same source compiled with other options (cached per source and options) */
  compileWith(options: CompileOptions): Compiled;
  /** puts a file of models/ in the editor and compiles it */
  open(path: string, model?: string): void;
  /** replaces the source and compiles it */
  edit(source: string): void;
  /** highlights lines of the editor (none: clears) */
  pointAt(lines: readonly number[]): void;
}

export interface View {
  /** draws the view for `ctx`; called when it is shown, and on each compile while shown */
  render(ctx: Ctx): void;
  /** the mouse is on this line of the editor (null: on none) */
  hoverLine?(line: number | null): void;
}

/** `source` compiled, or its diagnostics; an error that is no NnError becomes one at line 1. */
export function attempt(
  source: string,
  options: CompileOptions,
): { compiled: Compiled; diagnostics: [] } | { compiled: null; diagnostics: Diagnostic[] } {
  try {
    return { compiled: compile(source, options), diagnostics: [] };
  } catch (e) {
    if (e instanceof NnError) return { compiled: null, diagnostics: e.diagnostics };
    const message = e instanceof Error ? e.message : String(e);
    const at = { file: options.file ?? "", line: 1, col: 1 };
    return { compiled: null, diagnostics: [{ ...at, code: "NN9000", message }] };
  }
}

/** A message in a view where there is nothing to draw, with buttons that lead somewhere. */
export function notice(text: string, ...actions: [string, () => void][]): HTMLElement {
  const box = document.createElement("div");
  box.className = "notice";
  const p = document.createElement("p");
  p.textContent = text;
  box.append(p);
  for (const [label, run] of actions) {
    const b = document.createElement("button");
    b.textContent = label;
    b.addEventListener("click", run);
    box.append(b);
  }
  return box;
}
