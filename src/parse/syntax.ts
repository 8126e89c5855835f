// Parsing: the file's outline (declarations and their statements), each header and statement
// matched on its own with the grammar, and syntax errors from each match's rightmost failure: the
// first error of every statement, up to MAX_SYNTAX_ERRORS, each at its own line and column.
import type * as ohm from "ohm-js";
import { Diagnostics, NnError } from "../diagnostics.ts";
import type { BlockDecl, ModelDecl, Pos, Program, Stmt } from "./ast.ts";
import { CHUNK, fillDeep, Holes, matchExpr, type View } from "./nesting.ts";
import { outline, type DeclOutline, type OutlineError, type Span } from "./outline.ts";
import { parseWith, type Head } from "./semantics.ts";
import { CONTINUATION, isStackOverflow, LineMap, prepareSource } from "./source.ts";

/** A file's syntax errors are reported up to this many; then parsing stops. */
export const MAX_SYNTAX_ERRORS = 20;

/** A syntax error at a source offset. */
class SyntaxFailure extends Error {
  constructor(
    readonly offset: number,
    readonly expected: string,
    readonly code: "NN1001" | "NN1002" = "NN1001",
  ) {
    super(expected);
  }
}

/** One parse: the source, its prepared text, and what has been found so far. */
interface Parse {
  source: string;
  holes: Holes;
  lines: LineMap;
  infinite: { at: Pos; text: string }[];
  failures: SyntaxFailure[];
  work: Program["work"];
}

/** Parses a `.nn` file; throws NnError listing its syntax errors (NN1001, NN1002). */
export function parseProgram(source: string, file: string): Program {
  const prepared = prepareSource(source);
  const p: Parse = {
    source,
    holes: new Holes(prepared),
    lines: new LineMap(source),
    infinite: [],
    failures: [],
    work: { matches: 0, characters: 0 },
  };
  const { decls: outlines, errors } = outline(prepared);
  for (const e of errors) p.failures.push(outlineFailure(p, e));
  const decls: (ModelDecl | BlockDecl)[] = [];
  for (const d of outlines) {
    if (p.failures.length > MAX_SYNTAX_ERRORS) break;
    const decl = declaration(p, d);
    if (decl) decls.push(decl);
  }
  if (p.failures.length > 0) throw syntaxErrors(p, file);
  if (p.infinite.length > 0) {
    const diags = new Diagnostics(source);
    for (const n of p.infinite)
      diags.error(
        "NN3005",
        { file, ...n.at },
        `the number ${n.text} is too large (more than ${Number.MAX_VALUE})`,
      );
    throw new NnError(diags.list, source);
  }
  return { file, source, decls, work: p.work };
}

function declaration(p: Parse, d: DeclOutline): ModelDecl | BlockDecl | null {
  const head = attempt(p, () => matchView<Head>(p, p.holes.view(d.head.start, d.head.end), "Head"));
  const body: Stmt[] = [];
  for (const s of d.stmts) {
    if (p.failures.length > MAX_SYNTAX_ERRORS) break;
    const stmt = attempt(p, () => statement(p, s));
    if (stmt) body.push(stmt);
  }
  if (!head) return null;
  return head.kind === "model"
    ? { kind: "model", name: head.name, body, at: head.at }
    : { kind: "block", name: head.name, params: head.params, body, at: head.at };
}

/** Runs `f`, recording its syntax error. */
function attempt<T>(p: Parse, f: () => T): T | null {
  try {
    return f();
  } catch (e) {
    if (e instanceof SyntaxFailure) p.failures.push(e);
    else throw e;
    return null;
  }
}

function statement(p: Parse, s: Span): Stmt {
  try {
    fillDeep(p.holes, s, matcher(p));
    const value = longValue(p, s);
    if (value) p.holes.fill(value, matchExpr(p.holes, value, matcher(p)));
    return matchView<Stmt>(p, p.holes.view(s.start, s.end), "Stmt");
  } catch (e) {
    if (isStackOverflow(e)) throw tooDeep(firstNonBlank(p.holes.text, s.start));
    throw e;
  }
}

function tooDeep(offset: number): SyntaxFailure {
  return new SyntaxFailure(
    offset,
    "this statement is nested too deeply to parse (long chains of unary `-` or of `^`); " +
      "split it into several statements",
    "NN1002",
  );
}

function firstNonBlank(text: string, from: number): number {
  let i = from;
  while (i < text.length && /[\s\x0B\uFEFF]/.test(text[i]!)) i++;
  return i;
}

/** A long statement's expression (after its `=` or `return`), to be matched in parts. */
function longValue(p: Parse, s: Span): Span | null {
  const view = p.holes.view(s.start, s.end);
  if (view.text.length <= CHUNK) return null;
  const m = /^[\s\x0B\uFEFF]*return\b/.exec(view.text);
  const after = m ? m[0].length : topLevelEquals(view.text) + 1;
  if (after <= 0) return null;
  const start = firstNonBlank(p.holes.text, view.offset(after));
  return start < s.end ? { start, end: s.end } : null;
}

/** The offset of the first `=` outside brackets, or -1. */
function topLevelEquals(text: string): number {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === "(" || ch === "[") depth++;
    else if (ch === ")" || ch === "]") depth--;
    else if (ch === "=" && depth === 0) return i;
    else if (ch === "#" || (ch === "/" && text[i + 1] === "/")) return -1;
  }
  return -1;
}

function matcher(p: Parse) {
  return (view: View, rule: "Expr" | "Stmt"): unknown => matchView(p, view, rule);
}

function matchView<T>(p: Parse, view: View, rule: "Expr" | "Stmt" | "Head"): T {
  p.work.matches++;
  p.work.characters += view.text.length;
  const op = rule === "Expr" ? "expr" : rule === "Stmt" ? "stmt" : "head";
  const parsed = parseWith<T>(view.text, rule, op, { view, lines: p.lines, infinite: p.infinite });
  if ("failure" in parsed) throw failureOf(p, view, parsed.failure);
  return parsed.value;
}

function failureOf(p: Parse, view: View, match: ohm.FailedMatchResult): SyntaxFailure {
  const offset = view.offset(match.getRightmostFailurePosition());
  return new SyntaxFailure(offset, readableExpected(match.getExpectedText()));
}

/** A break in the outline; before a missing `{`, a header that does not parse is the better report. */
function outlineFailure(p: Parse, e: OutlineError): SyntaxFailure {
  if (e.head)
    try {
      matchView(p, p.holes.view(e.head.start, e.head.end), "Head");
    } catch (f) {
      if (f instanceof SyntaxFailure) return f;
      throw f;
    }
  return new SyntaxFailure(e.at, e.expected);
}

function syntaxErrors(p: Parse, file: string): NnError {
  const sorted = [...p.failures].sort((a, b) => a.offset - b.offset);
  const diags = new Diagnostics(p.source);
  for (const f of sorted.slice(0, MAX_SYNTAX_ERRORS)) {
    const open = f.code === "NN1002" ? null : unclosed(p, f.offset);
    if (open) {
      diags.error(f.code, { file, ...p.lines.pos(open.end) }, open.message);
      continue;
    }
    const message =
      f.code === "NN1002"
        ? f.expected
        : `expected ${f.expected}, found ${found(p.source, f.offset)}${continued(p, f.offset)}`;
    diags.error(f.code, { file, ...p.lines.pos(f.offset) }, message);
  }
  const rest = sorted[MAX_SYNTAX_ERRORS];
  if (rest)
    diags.error(
      "NN1001",
      { file, ...p.lines.pos(rest.offset) },
      `more syntax errors follow; nnc reports the first ${MAX_SYNTAX_ERRORS}`,
    );
  return new NnError(diags.list, p.source);
}

/**
 * A bracket left open: the parse fails on a later line (the newline inside the bracket joined
 * the lines), so the error belongs at the end of the line where the bracket should have closed.
 */
function unclosed(p: Parse, offset: number): { end: number; message: string } | null {
  const text = p.holes.text;
  let i = offset - 1;
  let lines = 0;
  for (; i >= 0 && /[ \t\r\x0B]/.test(text[i]!); i--) if (p.source[i] === "\n") lines++;
  if (lines === 0 || i < 0) return null;
  const end = i + 1;
  let depth = 0;
  for (let k = i; k >= 0; k--) {
    const ch = text[k]!;
    if (ch === "{" || ch === "}" || ch === ";" || (ch === "\n" && depth === 0)) return null;
    if (ch === ")" || ch === "]") depth++;
    else if (ch === "(" || ch === "[") {
      if (depth > 0) {
        depth--;
        continue;
      }
      const close = ch === "(" ? ")" : "]";
      const at = p.lines.pos(k);
      return {
        end,
        message: `expected \`${close}\` to close the \`${ch}\` of line ${at.line}, column ${at.col}, before the line ends`,
      };
    }
  }
  return null;
}

/** A note for an error on a line that continues an earlier one, which ends in an operator. */
function continued(p: Parse, offset: number): string {
  const text = p.holes.text;
  let i = offset - 1;
  let lines = 0;
  for (; i >= 0 && /[ \t\r\x0B]/.test(text[i]!); i--) if (p.source[i] === "\n") lines++;
  if (lines === 0 || i < 0) return "";
  const op = text[i] === ">" && text[i - 1] === "|" ? "|>" : text[i]!;
  if (!/^([+\-*/@^,]|\|>)$/.test(op)) return "";
  const { line } = p.lines.pos(i);
  return ` (line ${line} ends in \`${op}\`, so the statement continues on line ${line + lines})`;
}

/** Ohm lists what could start an expression item by item; say "an expression" instead. */
function readableExpected(text: string): string {
  const parts = text
    .split(/, or |, | or /)
    .map((p) => p.trim())
    .filter((p) => p !== '"\\u0001"');
  const exprStart = ["a name", "a number", "an identifier", "a string", '"["', '"("', '"-"'];
  const isExpr = exprStart.slice(0, 2).every((p) => parts.includes(p));
  const rest = isExpr ? parts.filter((p) => !exprStart.includes(p)) : parts;
  const all = [...(isExpr ? ["an expression"] : []), ...rest]
    .map((p) => p.replace(/^"(.*)"$/, "`$1`"))
    .map((p) => (p === "end of input" ? "the end of the statement" : p));
  const unique = [...new Set(all)];
  if (unique.length <= 1) return unique[0] ?? "something else";
  return `${unique.slice(0, -1).join(", ")} or ${unique[unique.length - 1]}`;
}

function found(source: string, offset: number): string {
  if (offset >= source.length) return "the end of the file";
  const ch = source[offset]!;
  if (ch === "\n" || ch === "\r" || ch === ";") return "the end of the statement";
  const word = /^[\p{L}\p{N}_.]+/u.exec(source.slice(offset))?.[0] ?? ch;
  return `\`${word}\``;
}
