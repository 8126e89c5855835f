// The source editor: CodeMirror 6 with the `.nn` language, the compiler's diagnostics underlined
// as you type (the message on hover), Ctrl/Cmd+Enter to compile, and lines that other views
// highlight (the gradient code's line under the mouse) or learn of (the line under the mouse).
import { defaultKeymap, history, historyKeymap } from "@codemirror/commands";
import { bracketMatching, syntaxHighlighting } from "@codemirror/language";
import { linter, lintGutter, type Diagnostic as CmDiagnostic } from "@codemirror/lint";
import { EditorState, Prec, StateEffect, StateField, type Text } from "@codemirror/state";
import {
  Decoration,
  EditorView,
  drawSelection,
  highlightActiveLine,
  keymap,
  lineNumbers,
  type DecorationSet,
} from "@codemirror/view";
import type { Diagnostic } from "nnc";
import { nnHighlight, nnLanguage } from "./nn-language.ts";

export interface EditorOptions {
  source: string;
  /** the diagnostics of a source: an empty list where it compiles */
  check(source: string): Diagnostic[];
  /** after every check, with its diagnostics */
  onDiagnostics(list: Diagnostic[]): void;
  onChange(source: string): void;
  /** Ctrl/Cmd+Enter */
  onCompile(): void;
  /** the line under the mouse (1-based), or null when it leaves */
  onHoverLine(line: number | null): void;
}

const setLinked = StateEffect.define<readonly number[]>();
const linkedLine = Decoration.line({ class: "cm-linked" });

/** Lines highlighted because another view points at them. */
const linked = StateField.define<DecorationSet>({
  create: () => Decoration.none,
  update(deco, tr) {
    for (const e of tr.effects)
      if (e.is(setLinked)) {
        const doc = tr.state.doc;
        const lines = [...new Set(e.value)]
          .filter((l) => l >= 1 && l <= doc.lines)
          .sort((a, b) => a - b);
        return Decoration.set(lines.map((l) => linkedLine.range(doc.line(l).from)));
      }
    return deco.map(tr.changes);
  },
  provide: (f) => EditorView.decorations.from(f),
});

/** A diagnostic's range: from its column to the end of the word there, within its line. */
export function diagnosticRange(
  doc: Text,
  line: number,
  col: number,
): { from: number; to: number } {
  const l = doc.line(Math.min(Math.max(1, line), doc.lines));
  const from = Math.min(l.from + Math.max(0, col - 1), Math.max(l.from, l.to - 1));
  const word = /^[A-Za-z0-9_.]+/.exec(doc.sliceString(from, l.to));
  return { from, to: Math.min(l.to, from + Math.max(1, word?.[0].length ?? 1)) };
}

/** The compiler's diagnostics as lint underlines (checked 250 ms after the last change). */
function nnLint(options: EditorOptions) {
  return linter(
    (view) => {
      const list = options.check(view.state.doc.toString());
      options.onDiagnostics(list);
      return list.map((d): CmDiagnostic => ({
        ...diagnosticRange(view.state.doc, d.line, d.col),
        severity: "error",
        source: d.code,
        message: `${d.line}:${d.col}: ${d.message}`,
      }));
    },
    { delay: 250 },
  );
}

/** What the page hears of the editor: changes, Ctrl/Cmd+Enter, the line under the mouse. */
function listeners(options: EditorOptions) {
  return [
    Prec.highest(keymap.of([{ key: "Mod-Enter", run: () => (options.onCompile(), true) }])),
    EditorView.updateListener.of((u) => {
      if (u.docChanged) options.onChange(u.state.doc.toString());
    }),
    EditorView.domEventHandlers({
      mousemove: (e, view) => {
        const pos = view.posAtCoords({ x: e.clientX, y: e.clientY });
        options.onHoverLine(pos === null ? null : view.state.doc.lineAt(pos).number);
      },
      mouseleave: () => options.onHoverLine(null),
    }),
  ];
}

export class NnEditor {
  readonly view: EditorView;

  constructor(parent: HTMLElement, options: EditorOptions) {
    this.view = new EditorView({
      parent,
      state: EditorState.create({
        doc: options.source,
        extensions: [
          lineNumbers(),
          history(),
          drawSelection(),
          highlightActiveLine(),
          bracketMatching(),
          nnLanguage,
          syntaxHighlighting(nnHighlight),
          nnLint(options),
          lintGutter(),
          linked,
          ...listeners(options),
          keymap.of([...defaultKeymap, ...historyKeymap]),
          EditorView.contentAttributes.of({ "aria-label": ".nn source" }),
        ],
      }),
    });
  }

  get source(): string {
    return this.view.state.doc.toString();
  }

  /** Replaces the whole text (a model picked, a link opened). */
  setSource(text: string): void {
    this.view.dispatch({ changes: { from: 0, to: this.view.state.doc.length, insert: text } });
  }

  /** Highlights these lines (1-based) and scrolls the first into view; none clears. */
  highlight(lines: readonly number[]): void {
    const first = lines.length > 0 ? Math.min(...lines) : 0;
    const doc = this.view.state.doc;
    this.view.dispatch({
      effects: [
        setLinked.of(lines),
        ...(first >= 1 && first <= doc.lines
          ? [EditorView.scrollIntoView(doc.line(first).from, { y: "nearest" })]
          : []),
      ],
    });
  }
}
