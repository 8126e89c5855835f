// Source text helpers: offsets to line and column, and the preparation of the text for the
// grammar (newlines inside brackets, or before a line starting with `|>`, become blanks).

import type { Pos } from "./ast.ts";

/** Maps offsets of a source text to 1-based lines and columns. */
export class LineMap {
  private readonly starts: number[] = [0];
  readonly lines: string[];

  constructor(readonly source: string) {
    for (let i = 0; i < source.length; i++) if (source[i] === "\n") this.starts.push(i + 1);
    this.lines = source.split("\n").map((l) => l.replace(/\r$/, ""));
  }

  pos(offset: number): Pos {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: offset - this.starts[lo]! + 1 };
  }

  /** The full text of a 1-based line. */
  text(line: number): string {
    return this.lines[line - 1] ?? "";
  }
}

/** What the grammar skips as a blank where a newline does not end a statement. */
export const CONTINUATION = "\x0B";

/**
 * The source with the newlines that do not end a statement replaced by CONTINUATION, one
 * character for one, so offsets stay valid. Braces reset the bracket depth, so that an unclosed
 * `(` is reported on its own line rather than at the end of the file.
 */
export function joinContinuations(source: string): string {
  const out = source.split("");
  let depth = 0;
  for (let i = 0; i < source.length; i++) {
    const ch = source[i]!;
    if (ch === "#" || (ch === "/" && source[i + 1] === "/")) {
      while (i + 1 < source.length && source[i + 1] !== "\n") i++;
    } else if (ch === "(" || ch === "[") depth++;
    else if (ch === ")" || ch === "]") depth = Math.max(0, depth - 1);
    else if (ch === "{" || ch === "}") depth = 0;
    else if (ch === "\n" && (depth > 0 || nextLineIsPipe(source, i + 1))) out[i] = CONTINUATION;
  }
  return out.join("");
}

function nextLineIsPipe(source: string, from: number): boolean {
  let i = from;
  while (source[i] === " " || source[i] === "\t" || source[i] === "\r") i++;
  return source.startsWith("|>", i);
}
