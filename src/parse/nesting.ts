// Deep and long expressions, matched in parts with an explicit stack instead of the grammar's
// recursion. A match costs the matcher many stack frames per level of brackets and many
// milliseconds per kilobyte of one piece, so:
// - the items of brackets nested deeper than MAX_DEPTH are matched first, on their own, each
//   then standing in its bracket as a `hole` (deepest first, so no match sees more than MAX_DEPTH
//   levels of brackets);
// - an expression longer than CHUNK characters is cut at the operators of its lowest level
//   (`|>`, then `+ -`, then `* / @`, all left-associative) into parts of about CHUNK characters;
//   each part after the first is matched with a hole standing for everything before it.
import type { Span } from "./outline.ts";
import { commentEnd, HOLE, startsComment } from "./source.ts";

/** Brackets nested deeper than this are matched level by level. */
export const MAX_DEPTH = 16;
/** Expressions longer than this (in characters) are matched in parts of about this length. */
export const CHUNK = 500;

/** A part of the prepared text as a matcher reads it, with its holes. */
export interface View {
  text: string;
  /** the source offset of an offset in `text` */
  offset(i: number): number;
  /** what the hole at offset `i` of `text` stands for */
  hole(i: number): unknown;
}

/** Matches a view with the grammar's `Expr` (or `Stmt`); throws on a syntax error. */
export type Matcher = (view: View, rule: "Expr" | "Stmt") => unknown;

/** The prepared text and the parts of it already matched (holes), by their start. */
export class Holes {
  private readonly filled = new Map<number, { end: number; value: unknown }>();
  constructor(readonly text: string) {}

  /** the least and greatest start of a hole */
  private first = Infinity;
  private last = -Infinity;

  fill(span: Span, value: unknown): void {
    this.filled.set(span.start, { end: span.end, value });
    this.first = Math.min(this.first, span.start);
    this.last = Math.max(this.last, span.start);
  }

  /** The end of the hole starting at `i`, or -1. */
  endAt(i: number): number {
    if (i < this.first || i > this.last) return -1;
    return this.filled.get(i)?.end ?? -1;
  }

  /** [start, end) with each hole as one HOLE character; `lead` first, as a hole, if given. */
  view(start: number, end: number, lead?: { value: unknown; at: number }): View {
    if (!lead && (end <= this.first || start > this.last))
      return new Slice(this.text.slice(start, end), start);
    const parts: string[] = [];
    const marks: [view: number, source: number][] = [];
    const values = new Map<number, unknown>();
    let length = 0;
    if (lead) {
      parts.push(HOLE);
      marks.push([0, lead.at]);
      values.set(0, lead.value);
      length = 1;
    }
    let from = start;
    marks.push([length, start]);
    for (let i = start; i < end; i++) {
      const hole = this.filled.get(i);
      if (!hole) continue;
      parts.push(this.text.slice(from, i), HOLE);
      length += i - from;
      values.set(length, hole.value);
      length += 1;
      from = hole.end;
      marks.push([length, from]);
      i = hole.end - 1;
    }
    parts.push(this.text.slice(from, end));
    return {
      text: parts.join(""),
      offset: (v) => sourceOffset(marks, v),
      hole: (v) => values.get(v),
    };
  }
}

/** A view without holes: a slice of the text. */
class Slice implements View {
  constructor(
    readonly text: string,
    private readonly start: number,
  ) {}

  offset(i: number): number {
    return this.start + i;
  }

  hole(): unknown {
    return undefined;
  }
}

function sourceOffset(marks: [number, number][], v: number): number {
  let lo = 0;
  let hi = marks.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (marks[mid]![0] <= v) lo = mid;
    else hi = mid - 1;
  }
  const [view, source] = marks[lo]!;
  return source + (v - view);
}

interface Operator {
  at: number;
  length: number;
  /** 0: `|>`, 1: binary `+ -`, 2: `* / @` */
  level: number;
}

interface Scan {
  /** the item spans of the brackets at depth MAX_DEPTH that hold deeper ones */
  deepItems: Span[];
  /** the operators outside brackets */
  operators: Operator[];
  /** the characters outside holes */
  length: number;
}

/** `/\s/.test(ch)`, without the regular expression for ASCII. */
function isSpace(ch: string): boolean {
  const c = ch.charCodeAt(0);
  return c < 128 ? c === 32 || (c >= 9 && c <= 13) : /\s/.test(ch);
}

const isWord = (ch: string) => /[\p{L}\p{N}_.]/u.test(ch);

/** One pass over [start, end): deep brackets' items and the operators outside brackets. */
function scan(holes: Holes, start: number, end: number): Scan {
  const text = holes.text;
  const out: Scan = { deepItems: [], operators: [], length: 0 };
  let depth = 0;
  let group: { items: Span[]; from: number; deep: boolean } | null = null;
  let last = ""; // the last character that is not a blank, or HOLE after a hole
  let lastAt = -1;
  for (let i = start; i < end; i++) {
    const skip = holes.endAt(i);
    if (skip >= 0) {
      [last, lastAt, i] = [HOLE, i, skip - 1];
      out.length++;
      continue;
    }
    out.length++;
    if (startsComment(text, i)) {
      i = commentEnd(text, i) - 1;
      continue;
    }
    const ch = text[i]!;
    if (ch === "(" || ch === "[") {
      depth++;
      if (depth === MAX_DEPTH) group = { items: [], from: i + 1, deep: false };
      else if (depth > MAX_DEPTH && group) group.deep = true;
    } else if ((ch === ")" || ch === "]") && depth > 0) {
      if (depth === MAX_DEPTH && group) {
        closeGroup(out, group, i, text);
        group = null;
      }
      depth--;
    } else if (ch === "," && depth === MAX_DEPTH && group) {
      group.items.push({ start: group.from, end: i });
      group.from = i + 1;
    } else if (depth === 0) operatorAt(out, text, i, last, lastAt);
    if (!isSpace(ch) && ch !== "\x0B") [last, lastAt] = [ch, i];
  }
  if (group && depth >= MAX_DEPTH) closeGroup(out, group, end, text); // unclosed: the match says so
  return out;
}

function closeGroup(
  out: Scan,
  group: { items: Span[]; from: number; deep: boolean },
  at: number,
  text: string,
) {
  group.items.push({ start: group.from, end: at });
  if (group.deep)
    for (const item of group.items) {
      const value = valueSpan(text, item);
      if (value) out.deepItems.push(value);
    }
}

/** An item without its blanks and without a `name:` before it; null if empty. */
function valueSpan(text: string, item: Span): Span | null {
  const raw = text.slice(item.start, item.end);
  const named = /^[\s\x0B]*[\p{L}_][\p{L}\p{N}_]*[\s\x0B]*:/u.exec(raw);
  const from = item.start + (named ? named[0].length : 0);
  const body = text.slice(from, item.end);
  const lead = body.length - body.trimStart().length;
  const trail = body.length - body.trimEnd().length;
  return body.trim() === "" ? null : { start: from + lead, end: item.end - trail };
}

function operatorAt(out: Scan, text: string, i: number, last: string, lastAt: number): void {
  const ch = text[i]!;
  if (ch === "|" && text[i + 1] === ">") out.operators.push({ at: i, length: 2, level: 0 });
  else if ((ch === "+" || ch === "-") && isOperandEnd(text, last, lastAt))
    out.operators.push({ at: i, length: 1, level: 1 });
  else if (ch === "*" || ch === "/" || ch === "@")
    out.operators.push({ at: i, length: 1, level: 2 });
}

/** Whether a `+` or `-` after `last` is binary: after an operand, and not a number's exponent sign. */
function isOperandEnd(text: string, last: string, lastAt: number): boolean {
  if (last === HOLE || last === ")" || last === "]") return true;
  if (!isWord(last)) return false;
  if (last !== "e" && last !== "E") return true;
  let k = lastAt;
  while (k > 0 && isWord(text[k - 1]!)) k--;
  return !/^\d+(\.\d+)?[eE]$/.test(text.slice(k, lastAt + 1));
}

/**
 * Matches the expression [start, end) of the prepared text: deep brackets and long operator chains
 * in parts, as the file's header describes. Returns what `match` returns for the whole.
 */
export function matchExpr(holes: Holes, span: Span, match: Matcher): unknown {
  const s = fillDeep(holes, span, match);
  if (s.length <= CHUNK) return match(holes.view(span.start, span.end), "Expr");
  // a loop, not Math.min(...): a long statement has 100,000 operators and more
  const level = s.operators.reduce((m, o) => Math.min(m, o.level), Infinity);
  const cuts = s.operators.filter((o) => o.level === level);
  let value: unknown = undefined;
  let from = span.start;
  let next = 0;
  while (from < span.end) {
    // the part [from, to): up to the first cut at least CHUNK characters on
    while (next < cuts.length && cuts[next]!.at <= from + CHUNK) next++;
    const to = next < cuts.length ? cuts[next]!.at : span.end;
    const lead = value === undefined ? undefined : { value, at: from - 1 };
    value = match(holes.view(from, to, lead), "Expr");
    from = to;
  }
  return value;
}

/** Matches the items of brackets nested deeper than MAX_DEPTH in [start, end) as holes. */
export function fillDeep(holes: Holes, span: Span, match: Matcher): Scan {
  const s = scan(holes, span.start, span.end);
  if (s.deepItems.length === 0) return s;
  for (const item of s.deepItems) holes.fill(item, matchExpr(holes, item, match));
  return scan(holes, span.start, span.end);
}
