// The outline of a file: its declarations (a header, then statements between braces), found by
// cutting the prepared text at the marks that end statements (newline, `;`) and at braces, outside
// comments. Each header and statement is then matched on its own (syntax.ts), so a syntax error
// ends only its own statement, and no match ever sees more than one statement.
import { commentEnd, startsComment } from "./source.ts";

/** A range of the prepared text: [start, end). */
export interface Span {
  start: number;
  end: number;
}

type Token = { kind: "text"; span: Span } | { kind: "{" | "}"; at: number };

export interface DeclOutline {
  head: Span;
  /** the offset of `{` */
  open: number;
  stmts: Span[];
}

/** A problem with the outline itself: where, and what was expected there. */
export interface OutlineError {
  at: number;
  expected: string;
  /** the header before a missing `{`: its own syntax error, if it has one, is the better report */
  head?: Span;
}

export interface Outline {
  decls: DeclOutline[];
  errors: OutlineError[];
}

/** The text pieces and braces of `text`; pieces of only blanks and comments are left out. */
export function tokens(text: string): Token[] {
  const out: Token[] = [];
  let start = 0;
  let blank = true;
  const flush = (end: number) => {
    if (!blank) out.push({ kind: "text", span: { start, end } });
    blank = true;
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (startsComment(text, i)) {
      i = commentEnd(text, i) - 1;
    } else if (ch === "\n" || ch === ";") flush(i);
    else if (ch === "{" || ch === "}") {
      flush(i);
      out.push({ kind: ch, at: i });
    } else if (blank && !isSpace(ch)) {
      blank = false;
      start = i;
    }
  }
  flush(text.length);
  return out;
}

function isSpace(ch: string): boolean {
  return ch === " " || ch === "\t" || ch === "\r" || ch === "\x0B" || ch === "\uFEFF";
}

/** The declarations of a file: `HEAD {` statements `}`, and what breaks that structure. */
export function outline(text: string): Outline {
  const ts = tokens(text);
  const decls: DeclOutline[] = [];
  const errors: OutlineError[] = [];
  let i = 0;
  const at = (k: number) => {
    const t = ts[k];
    return t === undefined ? text.length : t.kind === "text" ? t.span.start : t.at;
  };
  while (i < ts.length) {
    const head = ts[i]!;
    const open = ts[i + 1];
    if (head.kind !== "text") {
      errors.push({ at: at(i), expected: "`model` or `block`" });
      i = skipDecl(ts, i + 1);
      continue;
    }
    if (open?.kind !== "{") {
      errors.push({ at: at(i + 1), expected: "`{`", head: head.span });
      i = skipDecl(ts, i + 1);
      continue;
    }
    const stmts: Span[] = [];
    let k = i + 2;
    for (; k < ts.length && ts[k]!.kind !== "}"; k++) {
      const t = ts[k]!;
      if (t.kind === "text") stmts.push(t.span);
      else errors.push({ at: t.at, expected: "a statement or `}`" });
    }
    if (k >= ts.length) errors.push({ at: text.length, expected: "`}`" });
    decls.push({ head: head.span, open: open.at, stmts });
    i = k + 1;
  }
  return { decls, errors };
}

/** After a broken header: the token after the next `}`, where the next declaration may start. */
function skipDecl(ts: Token[], from: number): number {
  let k = from;
  while (k < ts.length && ts[k]!.kind !== "}") k++;
  return k + 1;
}
