// Every user-facing error goes through here: one catalog of codes, one error type, one format
// (`FILE:LINE:COL: error NNxxxx: message`, then the source line and a caret).

/** The catalog: a stable code per kind of error. */
export const codes = {
  NN1001: "syntax error",
  NN2001: "unknown name",
  NN2002: "name defined twice",
  NN2003: "unknown function",
  NN2004: "bad argument",
  NN2005: "missing declaration",
  NN2006: "bad declaration",
  NN2007: "unknown model",
  NN2020: "weight decay applies to no param",
  NN3001: "shapes do not broadcast",
  NN3002: "axis out of range",
  NN3003: "matrix sizes do not agree",
  NN3004: "loss is not a scalar",
  NN3005: "bad value",
  NN3006: "shape too large",
  NN3007: "bad dimension",
  NN3008: "wrong rank",
  NN3010: "window does not fit",
  NN3011: "integers where numbers are needed",
  NN3020: "metric's prediction and target do not match",
  NN4001: "no gradient rule",
  NN4002: "output depends on a target",
  NN4003: "param does not affect the loss",
  NN5001: "bad option",
  NN6001: "cannot read the data",
  NN6002: "no data",
  NN6003: "wrong number of columns",
  NN6004: "not a number",
  NN6005: "data does not fit the model",
  NN6006: "no header row",
  NN6050: "a target holds values the model cannot read as labels",
  NN6101: "bad weights file",
  NN6102: "weights do not match the model",
  NN7001: "non-finite value in training",
  NN8001: "op cannot be exported",
  NN8002: "nothing to export",
  NN8003: "no loss to export a training step of",
  NN8004: "export too large for its format",
  // limits, reserved names, files, data and weights (hardening)
  NN1002: "nested too deeply",
  NN2008: "reserved name",
  NN2009: "nothing to train",
  NN3009: "graph too large",
  NN5002: "not a regular file",
  NN5003: "file too large",
  NN5004: "output would overwrite an input",
  NN5005: "output cannot be written there",
  NN5006: "output written to a fallback file",
  NN6007: "target out of range",
  NN6008: "value beyond the float range",
  NN6103: "weights not finite",
  NN6104: "weights beyond the float range",
  // characters as data (--data words, text:FILE) and sampling
  NN6201: "model does not read characters",
  NN6202: "vocabulary larger than the model",
  NN6203: "character outside the vocabulary",
  NN6204: "no vocabulary in the weights",
  NN9000: "internal compiler error",
} as const;

export type Code = keyof typeof codes;

export interface Diagnostic {
  file: string;
  line: number;
  col: number;
  code: Code;
  message: string;
}

/** Thrown by `compile` for bad source; `diagnostics` lists every error found. */
export class NnError extends Error {
  /** `cause`: for an internal error (NN9000), the exception the compiler failed with */
  constructor(
    readonly diagnostics: Diagnostic[],
    readonly source = "",
    options?: { cause: unknown },
  ) {
    super(diagnostics.map((d) => formatDiagnostic(d, source)).join("\n"), options);
    this.name = "NnError";
  }
}

export interface At {
  file: string;
  line: number;
  col: number;
}

/** Collects the diagnostics of one compilation. */
export class Diagnostics {
  readonly list: Diagnostic[] = [];
  constructor(readonly source: string) {}

  error(code: Code, at: At, message: string): void {
    const dup = this.list.some(
      (d) => d.line === at.line && d.col === at.col && d.code === code && d.message === message,
    );
    if (!dup) this.list.push({ file: at.file, line: at.line, col: at.col, code, message });
  }

  /** Records an error unless `condition` holds; returns the condition. */
  must(condition: boolean, code: Code, at: At, message: () => string): boolean {
    if (!condition) this.error(code, at, message());
    return condition;
  }

  throwIfAny(): void {
    if (this.list.length > 0) {
      const sorted = [...this.list].sort((a, b) => a.line - b.line || a.col - b.col);
      throw new NnError(sorted, this.source);
    }
  }
}

/** `FILE:LINE:COL: error CODE: message`, the source line, and a caret under the column. */
export function formatDiagnostic(d: Diagnostic, source: string): string {
  const line = (source.split(/\r?\n/)[d.line - 1] ?? "").replace(/\t/g, " ");
  const head = `${d.file}:${d.line}:${d.col}: error ${d.code}: ${d.message}`;
  if (!line.trim()) return head;
  const { text, at } = excerpt(line, Math.max(0, d.col - 1));
  const gutter = `${d.line} | `;
  return `${head}\n${gutter}${text}\n${" ".repeat(gutter.length + at)}^`;
}

/** The most characters of a source line an error shows: a statement may be megabytes long. */
const SHOWN = 120;

/** The part of `line` an error shows, around index `at`, and where `at` is in it. */
function excerpt(line: string, at: number): { text: string; at: number } {
  if (line.length <= SHOWN) return { text: line, at };
  const start = Math.max(0, Math.min(at - SHOWN / 2, line.length - SHOWN));
  const before = start > 0 ? "..." : "";
  const after = start + SHOWN < line.length ? "..." : "";
  return {
    text: before + line.slice(start, start + SHOWN) + after,
    at: at - start + before.length,
  };
}

/** The closest name to `wanted` among `candidates`, for "did you mean ...?". */
export function suggest(wanted: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDist = Infinity;
  for (const c of candidates) {
    const d = editDistance(wanted.toLowerCase(), c.toLowerCase());
    if (d < bestDist) [best, bestDist] = [c, d];
  }
  const limit = Math.max(1, Math.floor(wanted.length / 3));
  return bestDist <= limit ? best : undefined;
}

export function didYouMean(wanted: string, candidates: Iterable<string>): string {
  const s = suggest(wanted, candidates);
  return s ? ` (did you mean \`${s}\`?)` : "";
}

/** Edits from a to b: insertions, deletions, substitutions and swaps of neighbours (`sdt`). */
function editDistance(a: string, b: string): number {
  let before: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      let d = Math.min(
        prev[j]! + 1,
        cur[j - 1]! + 1,
        prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d = Math.min(d, before[j - 2]! + 1);
      cur[j] = d;
    }
    [before, prev] = [prev, cur];
  }
  return prev[b.length]!;
}
