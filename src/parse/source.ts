// Source text helpers: offsets to line and column, and the preparation of the text for the
// grammar: newlines that do not end a statement become blanks, one character for one, so that
// offsets in the prepared text are offsets in the source.
//
// One rule, everywhere: a line of `.nn` source ends at "\n" (LINE_END) and nowhere else, and a
// comment runs from `#` or `//` to the end of its line, whatever it holds ("\r", "\v", "\f",
// U+2028...). The grammar's comment ends at "\n" or at CONTINUATION, which in the prepared text is
// only ever a newline made a blank: a vertical tab written in the file is prepared as a space.
// LineMap splits lines at LINE_END, and src/codegen/text.ts (sourceLine) cuts a comment off a line
// with startsComment; test/comments.test.ts checks that all of them agree, character by character.

import type { Pos } from "./ast.ts";

/** Maps offsets of a source text to 1-based lines and columns. */
export class LineMap {
  private readonly starts: number[] = [0];
  readonly lines: string[];

  constructor(readonly source: string) {
    for (let i = 0; i < source.length; i++) if (source[i] === LINE_END) this.starts.push(i + 1);
    this.lines = source.split(LINE_END).map((l) => l.replace(/\r$/, ""));
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

  /** Lines whose end continues the statement on the next line (from the prepared text). */
  private continued: Set<number> | null = null;

  /** Marks the lines that continue on the next one, read off the text the grammar matches. */
  markContinuations(prepared: string): void {
    this.continued = new Set();
    for (let k = 1; k < this.starts.length; k++)
      if (prepared[this.starts[k]! - 1] === CONTINUATION) this.continued.add(k);
  }

  /** The lines of the statement that starts on a 1-based line, joined by LINE_END (no more
   * lines once `max` characters are reached). */
  statement(line: number, max = Infinity): string {
    let text = this.text(line);
    for (let l = line; this.continued?.has(l) && l < this.lines.length && text.length < max; l++)
      text += LINE_END + this.text(l + 1);
    return text;
  }

  /** The full text of a 1-based line. */
  text(line: number): string {
    return this.lines[line - 1] ?? "";
  }
}

/** The one character that ends a line of source (and so a comment). */
export const LINE_END = "\n";

/**
 * What the grammar skips as a blank where a newline does not end a statement. In the prepared
 * text it is always such a newline: a vertical tab written in the file becomes WRITTEN_VT.
 */
export const CONTINUATION = "\x0B";

/** What a vertical tab written in a source file becomes: a blank, which ends nothing. */
const WRITTEN_VT = " ";

/** The grammar's `hole`: a part of an expression parsed on its own (nesting.ts). */
export const HOLE = "\x01";

/** What a HOLE written in a source file becomes: a character no rule accepts. */
const NOT_A_HOLE = "\uFFFF";

/** The binary operators (and the comma) after which a line continues on the next one. */
const continuesAfter = new Set(["+", "-", "*", "/", "@", "^", ","]);

/**
 * The end of the comment that starts at `i` of the prepared text (the index of its line end, or of
 * the text's end): LINE_END, or CONTINUATION, a line end made a blank.
 */
export function commentEnd(text: string, i: number): number {
  let j = i;
  while (j < text.length && text[j] !== LINE_END && text[j] !== CONTINUATION) j++;
  return j;
}

export function startsComment(text: string, i: number): boolean {
  return text[i] === "#" || (text[i] === "/" && text[i + 1] === "/");
}

/**
 * The source as the grammar reads it: a newline inside brackets, before a line that starts with
 * `|>`, or after a line that ends in a binary operator or a comma (blank lines and comments between
 * do not count) becomes CONTINUATION. Braces reset
 * the bracket depth, so that an unclosed `(` is reported on its own line rather than at the end of
 * the file.
 */
export function prepareSource(written: string): string {
  // (a written vertical tab was always a blank outside comments; now it is one inside them too)
  const source = written.includes(CONTINUATION)
    ? written.replaceAll(CONTINUATION, WRITTEN_VT)
    : written;
  const parts: string[] = []; // the source in pieces, with the characters replaced
  let from = 0;
  const replace = (i: number, ch: string) => {
    parts.push(source.slice(from, i), ch);
    from = i + 1;
  };
  let depth = 0;
  let last = -1; // the last character of the line that is not a blank or in a comment
  for (let i = 0; i < source.length; i++) {
    const ch = source[i]!;
    if (startsComment(source, i)) {
      i = commentEnd(source, i) - 1;
      continue;
    }
    if (ch === HOLE) replace(i, NOT_A_HOLE);
    if (ch === "(" || ch === "[") depth++;
    else if (ch === ")" || ch === "]") depth = Math.max(0, depth - 1);
    else if (ch === "{" || ch === "}") depth = 0;
    if (ch === LINE_END) {
      // a continued statement stays open over blank lines: `last` is kept until one ends
      if (depth > 0 || endsInOperator(source, last) || nextLineIsPipe(source, i + 1))
        replace(i, CONTINUATION);
      else last = -1;
    } else if (!isBlank(ch)) last = i;
  }
  parts.push(source.slice(from));
  return parts.join("");
}

function isBlank(ch: string): boolean {
  return ch === " " || ch === "\t" || ch === "\r" || ch === CONTINUATION || ch === "\uFEFF";
}

function endsInOperator(source: string, last: number): boolean {
  if (last < 0) return false;
  const ch = source[last]!;
  return continuesAfter.has(ch) || (ch === ">" && source[last - 1] === "|");
}

function nextLineIsPipe(source: string, from: number): boolean {
  let i = from;
  while (source[i] === " " || source[i] === "\t" || source[i] === "\r") i++;
  return source.startsWith("|>", i);
}

/** Whether `e` is the engine's "Maximum call stack size exceeded". */
export function isStackOverflow(e: unknown): boolean {
  return e instanceof RangeError && /call stack/i.test(e.message);
}
