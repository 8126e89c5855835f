// The generated code's layout: every line at most 100 columns, as it is written (no formatter
// runs over it). A longer statement is broken where a reader expects it: an argument list one
// argument a line, an assignment after its `=`, an expression before its outermost operators; a
// long comment is wrapped at its words. Breaks fall between tokens only, so the code means the
// same; a line that cannot be broken (one long string) is left as it is.
import { jsString } from "../text.ts";

export const WIDTH = 100;

/** The lines of a text, each fitted (the text itself where every line fits, as most do). */
export function layout(text: string, width = WIDTH): string {
  let out = "";
  // the text up to `copied` is in `out`
  let copied = 0;
  for (let start = 0; start <= text.length;) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = text.length;
    if (end - start > width) {
      out += text.slice(copied, start) + fit(text.slice(start, end), width).join("\n");
      copied = end;
    }
    start = end + 1;
  }
  return copied === 0 ? text : out + text.slice(copied);
}

/** One line as lines of at most `width` columns, where it can be broken. */
export function fit(line: string, width = WIDTH): string[] {
  if (line.length <= width) return [line];
  const indent = /^ */.exec(line)![0];
  const code = line.slice(indent.length);
  if (code.startsWith("//")) return wrapComment(indent, code, width);
  const s = scan(code);
  const broken =
    breakControl(indent, code, s) ??
    breakList(indent, code, s) ??
    breakAssignment(indent, code, s) ??
    breakOperators(indent, code, s) ??
    breakGroup(indent, code, s);
  if (!broken) return [line];
  return broken.flatMap((l) => (l.length < line.length ? fit(l, width) : [l]));
}

function wrapComment(indent: string, code: string, width: number): string[] {
  const lead = /^\/\/ *\**/.exec(code)![0];
  const words = code.slice(lead.length).trim().split(/\s+/);
  const lines: string[] = [];
  let current = "";
  for (const w of words) {
    const next = current ? `${current} ${w}` : w;
    if (current && indent.length + lead.length + 1 + next.length > width) {
      lines.push(current);
      current = w;
    } else current = next;
  }
  if (current) lines.push(current);
  const prefix = `${indent}${lead.trimEnd()} `;
  return lines.map((l) => prefix + l);
}

interface Scan {
  /** each character's bracket depth */
  depth: Int32Array;
  /** whether each character is inside a string (1) or not (0) */
  quoted: Uint8Array;
  /** the line's outermost depth (below 0 on a line that closes brackets opened above it) */
  top: number;
  /**
   * the characters outside strings at the outermost depth, in order: the only places a line is
   * broken at, few even on a long line (a wasm module's bytes are one string)
   */
  tops: number[];
}

/**
 * Where each character of `code` sits: its bracket depth, and whether it is inside a string. A line
 * is scanned once, and every way of breaking it reads that scan (a line holding a wasm module's
 * bytes is long: a string is passed over whole, with indexOf).
 */
function scan(code: string): Scan {
  const depth = new Int32Array(code.length);
  const quoted = new Uint8Array(code.length);
  const plain: number[] = [];
  let d = 0;
  let top = 0;
  for (let i = 0; i < code.length; i++) {
    const ch = code.charCodeAt(i);
    if (ch === 34 || ch === 39 || ch === 96) {
      // " ' `: the string, quotes included
      const end = stringEnd(code, i);
      depth.fill(d, i, end + 1);
      quoted.fill(1, i, end + 1);
      i = end;
      continue;
    }
    if (ch === 41 || ch === 93 || ch === 125) d--; // ) ] }
    depth[i] = d;
    plain.push(i);
    if (d < top) top = d;
    if (ch === 40 || ch === 91 || ch === 123) d++; // ( [ {
  }
  return { depth, quoted, top, tops: plain.filter((i) => depth[i] === top) };
}

/** The index of the quote closing the string opened at `open`, or the line's last index. */
function stringEnd(code: string, open: number): number {
  const quote = code[open]!;
  let from = open + 1;
  for (;;) {
    const close = code.indexOf(quote, from);
    const escape = code.indexOf("\\", from);
    if (escape < 0 || (close >= 0 && close < escape)) return close < 0 ? code.length - 1 : close;
    // a backslash and the character after it, whatever it is
    from = escape + 2;
  }
}

/** `if (condition) statement;` (or `for`, `while`) as `if (condition)` / `  statement;`. */
function breakControl(indent: string, code: string, s: Scan): string[] | null {
  const head = /^(if|for|while) \(/.exec(code);
  if (!head) return null;
  const { depth, quoted } = s;
  const close = matching(code, head[0].length - 1, depth, quoted);
  const rest = close < 0 ? "" : code.slice(close + 1).trim();
  if (rest === "" || rest === "{") return null;
  return [`${indent}${code.slice(0, close + 1)}`, `${indent}  ${rest}`];
}

/**
 * `f(a, b, c);` as `f(` / `  a,` / `  b,` / `  c,` / `);`: the first argument list, array or
 * object at depth 0 with a top-level comma (or one long argument), one item a line, each with a
 * trailing comma (which calls, arrays and objects allow; control statements and grouping
 * parentheses do not, so they are never broken this way).
 */
function breakList(indent: string, code: string, s: Scan): string[] | null {
  const { depth, quoted, top } = s;
  for (const open of s.tops) {
    if (!isList(code, open)) continue;
    const close = matching(code, open, depth, quoted);
    if (close < 0) continue;
    const [from, to] = [open + 1, close];
    const items = splitAt(
      code.slice(from, to),
      ",",
      depth.subarray(from, to),
      quoted.subarray(from, to),
      top + 1,
    );
    if (items.length < 2 && (items.length === 0 || items[0]!.length < 40)) continue;
    const inner = indent + "  ";
    return [
      `${indent}${code.slice(0, open + 1)}`,
      ...items.map((it) => `${inner}${it.trim()},`),
      `${indent}${code.slice(close)}`,
    ];
  }
  return null;
}

/** Whether the bracket at `i` opens an argument list (`f(`), an array or an object literal. */
function isList(code: string, i: number): boolean {
  if (!"([{".includes(code[i]!)) return false;
  const before = code.slice(0, i).trimEnd();
  const prev = before[before.length - 1] ?? "";
  if (code[i] === "(")
    return /[\w$)\]]/.test(code[i - 1] ?? "") && !/\b(if|for|while)$/.test(before);
  // an array or object where a value starts: at the start, after `return`, an operator or one of
  // `( , : [ ?`
  return /^$|[=(,:[?+\-*/%&|<>!]$/.test(prev) || /\breturn$/.test(before);
}

function matching(code: string, open: number, depth: Int32Array, quoted: Uint8Array): number {
  for (let i = open + 1; i < code.length; i++)
    if (!quoted[i] && depth[i] === depth[open] && ")]}".includes(code[i]!)) return i;
  return -1;
}

/** Pieces of `text` between the separators found at `level` (outside strings). */
function splitAt(
  text: string,
  sep: string,
  depth: Int32Array,
  quoted: Uint8Array,
  level: number,
): string[] {
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i < text.length; i++)
    if (text[i] === sep && depth[i] === level && !quoted[i]) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  out.push(text.slice(start));
  return out.filter((p) => p.trim() !== "");
}

/** `x = expression;` as `x =` / `  expression;`. */
function breakAssignment(indent: string, code: string, s: Scan): string[] | null {
  for (const i of s.tops) {
    if (i < 1 || i >= code.length - 2 || code.slice(i - 1, i + 2) !== " = ") continue;
    const lhs = code.slice(0, i - 1);
    const rhs = code.slice(i + 2);
    if (rhs.length === 0) return null;
    return [`${indent}${lhs} =`, `${indent}  ${rhs}`];
  }
  return null;
}

/** Binary operators, loosest first: an expression is broken before its loosest ones. */
const LEVELS = [[" ? ", " : "], [" || "], [" && "], [" + ", " - "], [" * ", " / "]];

function breakOperators(indent: string, code: string, s: Scan): string[] | null {
  for (const ops of LEVELS) {
    const cuts = s.tops.filter((i) => ops.some((op) => code.startsWith(op, i)));
    if (cuts.length === 0) continue;
    const pieces: string[] = [];
    let start = 0;
    for (const c of cuts) {
      pieces.push(code.slice(start, c));
      start = c + 1; // keep the operator with the piece it starts
    }
    pieces.push(code.slice(start));
    return pieces.map((p, k) => `${indent}${k === 0 ? "" : "  "}${p.trim()}`);
  }
  return null;
}

/** `a * (b + c);` as `a * (` / `  b + c` / `);`: the first parenthesized group at depth 0. */
function breakGroup(indent: string, code: string, s: Scan): string[] | null {
  const { depth, quoted } = s;
  for (const open of s.tops) {
    if (code[open] !== "(") continue;
    const close = matching(code, open, depth, quoted);
    if (close < 0 || close - open < 20) continue;
    return [
      `${indent}${code.slice(0, open + 1)}`,
      `${indent}  ${code.slice(open + 1, close).trim()}`,
      `${indent}${code.slice(close)}`,
    ];
  }
  return null;
}

/**
 * A JSON value as a JS literal laid out to fit: on one line where it fits, else one member a line.
 * A key `__proto__` is written computed (`["__proto__"]:`), so that it stays a key.
 */
export function literal(value: unknown, indent = "", width = WIDTH): string {
  const key = (k: string) =>
    k === "__proto__" ? `[${jsString(k)}]` : /^[A-Za-z_$][\w$]*$/.test(k) ? k : jsString(k);
  const flat = (v: unknown): string =>
    Array.isArray(v)
      ? `[${v.map(flat).join(", ")}]`
      : v !== null && typeof v === "object"
        ? `{ ${Object.entries(v)
            .map(([k, x]) => `${key(k)}: ${flat(x)}`)
            .join(", ")} }`
        : typeof v === "string"
          ? jsString(v)
          : JSON.stringify(v);
  const one = flat(value);
  if (indent.length + one.length <= width || value === null || typeof value !== "object")
    return one;
  const inner = indent + "  ";
  const items = Array.isArray(value)
    ? value.map((v) => `${inner}${literal(v, inner, width - 1)},`)
    : Object.entries(value).map(
        ([k, v]) => `${inner}${key(k)}: ${literal(v, inner, width - key(k).length - 3)},`,
      );
  const [open, close] = Array.isArray(value) ? ["[", "]"] : ["{", "}"];
  return [open, ...items, `${indent}${close}`].join("\n");
}
