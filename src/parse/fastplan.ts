// What the fast matcher (fastmatch.ts) learns from a grammar before it matches anything, from
// Ohm's own parsing expressions (pexprs): which rules to memoize, so that a match stays linear
// without a memo entry for every rule at every position as Ohm keeps, and the first characters a
// rule can start with, so that an application that cannot match fails without running its body.
import * as ohm from "ohm-js";

const { pexprs } = ohm;

/** The fields of Ohm's pexprs that the fast matcher reads (Ohm's typings declare few of them). */
export interface PExpr extends ohm.PExpr {
  obj?: unknown;
  from?: string;
  to?: string;
  matchCodePoint?: boolean;
  expr?: PExpr;
  terms?: PExpr[];
  factors?: PExpr[];
  ruleName?: string;
  args?: PExpr[];
  minNumMatches?: number;
  maxNumMatches?: number;
  pattern?: RegExp;
  substituteParams(actuals: PExpr[]): PExpr;
  toMemoKey?(): string;
}

export const isSyntactic = (rule: string) => rule[0] === rule[0]!.toUpperCase();

/** The rule names an expression applies, at any depth (arguments included). */
function applied(e: PExpr, out: Set<string>): Set<string> {
  if (e instanceof pexprs.Apply) out.add(e.ruleName!);
  for (const sub of [e.expr, ...(e.terms ?? []), ...(e.factors ?? []), ...(e.args ?? [])])
    if (sub) applied(sub, out);
  return out;
}

/** The rule names an expression may apply before it consumes any input (overestimated). */
function leading(g: ohm.Grammar, e: PExpr, out: Set<string>): Set<string> {
  if (e instanceof pexprs.Apply) {
    out.add(e.ruleName!);
    // a parameter of the rule may come first: count every argument as leading
    for (const a of e.args ?? []) leading(g, a, out);
  } else if (e.terms) for (const t of e.terms) leading(g, t, out);
  else if (e.factors) {
    for (const f of e.factors) {
      leading(g, f, out);
      // (what a parameter stands for may match nothing: then the next factor leads too)
      const opaque = f instanceof pexprs.Param || (f.args?.length ?? 0) > 0;
      if (!opaque && !nullable(g, f)) break;
    }
  } else if (e.expr) leading(g, e.expr, out);
  return out;
}

function nullable(g: ohm.Grammar, e: PExpr): boolean {
  return (e.isNullable as (g: ohm.Grammar) => boolean)(g);
}

/** The closure of `start` under "rule R may apply rule S first" (or "anywhere", with `edges`). */
function closure(start: Set<string>, edges: (rule: string) => Set<string>): Set<string> {
  const seen = new Set(start);
  const todo = [...start];
  while (todo.length > 0)
    for (const next of edges(todo.pop()!))
      if (!seen.has(next)) {
        seen.add(next);
        todo.push(next);
      }
  return seen;
}

/**
 * The rules to memoize: the recursive rules that two alternatives of one choice may both apply at
 * the choice's position (in `Power = Primary "^" Unary | Primary`, `Primary`). Any other rule is
 * retried at one position at most a bounded number of times, and only a recursive rule can be
 * long, so memoizing these keeps a match linear in its length.
 */
export function memoized(g: ohm.Grammar, reachable: Iterable<string>): Set<string> {
  const body = (r: string) => g.rules[r]?.body as PExpr | undefined;
  const calls = new Map<string, Set<string>>();
  const firsts = new Map<string, Set<string>>();
  const edge = (m: Map<string, Set<string>>, f: (e: PExpr) => Set<string>) => (r: string) => {
    if (!m.has(r)) m.set(r, body(r) ? f(body(r)!) : new Set());
    return m.get(r)!;
  };
  const callEdges = edge(calls, (e) => applied(e, new Set()));
  const firstEdges = edge(firsts, (e) => leading(g, e, new Set()));
  const cycles = new Map<string, boolean>();
  const recursive = (r: string) => {
    if (!cycles.has(r)) cycles.set(r, closure(callEdges(r), callEdges).has(r));
    return cycles.get(r)!;
  };
  const out = new Set<string>();
  const visit = (e: PExpr) => {
    if (e.terms) {
      const sets = e.terms.map((t) => closure(leading(g, t, new Set()), firstEdges));
      for (let i = 0; i < sets.length; i++)
        for (let j = i + 1; j < sets.length; j++)
          for (const r of sets[i]!) if (sets[j]!.has(r) && recursive(r)) out.add(r);
    }
    for (const sub of [e.expr, ...(e.terms ?? []), ...(e.factors ?? []), ...(e.args ?? [])])
      if (sub) visit(sub);
  };
  for (const r of reachable) if (body(r)) visit(body(r)!);
  return out;
}

/** Whether a rule may apply itself before consuming input (overestimated: then it is Unsupported). */
export function leftRecursive(g: ohm.Grammar, reachable: Iterable<string>): string | null {
  const firsts = new Map<string, Set<string>>();
  const edges = (r: string) => {
    if (!firsts.has(r)) {
      const body = g.rules[r]?.body as PExpr | undefined;
      firsts.set(r, body ? leading(g, body, new Set()) : new Set());
    }
    return firsts.get(r)!;
  };
  for (const r of reachable) if (closure(edges(r), edges).has(r)) return r;
  return null;
}

/**
 * Which UTF-16 code units an expression can start with when it matches: a table with a 1 for each
 * ASCII unit it may start with and, at index 128, a 1 if it may start with any unit past ASCII;
 * null if it can match the empty string or this cannot tell. Read without space skipping: valid at
 * a position where blanks have been skipped already (skipping them again skips nothing).
 */
export type First = Uint8Array;

/** Whether the code unit `c` (NaN past the end of the input) is in `first`. */
export const startsWith = (first: First, c: number): boolean =>
  c < 128 ? first[c] === 1 : c >= 128 && first[128] === 1;

const firstCache = new WeakMap<ohm.Grammar, Map<string, First | null>>();

export function firstUnits(g: ohm.Grammar, e: PExpr, active = new Set<string>()): First | null {
  const units = (test: (c: number) => boolean, high: boolean) => {
    const t = new Uint8Array(129);
    for (let c = 0; c < 128; c++) t[c] = test(c) ? 1 : 0;
    t[128] = high ? 1 : 0;
    return t;
  };
  if (e instanceof pexprs.Terminal) {
    if (typeof e.obj !== "string" || e.obj.length === 0) return null;
    const first = e.obj.charCodeAt(0);
    return units((c) => c === first, first >= 128);
  }
  if (e instanceof pexprs.Range) {
    const [from, to] = [e.from!.codePointAt(0)!, e.to!.codePointAt(0)!];
    return units((c) => from <= c && c <= to, to >= 128);
  }
  if (e instanceof pexprs.UnicodeChar && e.pattern instanceof RegExp) {
    const pattern = e.pattern;
    return units((c) => pattern.test(String.fromCharCode(c)), true);
  }
  if (e === pexprs.any) return units(() => true, true);
  if (e instanceof pexprs.Alt) {
    const out = new Uint8Array(129);
    for (const t of e.terms) {
      const s = firstUnits(g, t as PExpr, active);
      if (!s) return null;
      for (let c = 0; c < 129; c++) out[c]! |= s[c]!;
    }
    return out;
  }
  if (e instanceof pexprs.Seq) {
    // a lookahead moves nothing: what follows it reads the first unit
    const k = e.factors.findIndex(
      (f) => !(f instanceof pexprs.Not || f instanceof pexprs.Lookahead),
    );
    return k >= 0 ? firstUnits(g, e.factors[k] as PExpr, active) : null;
  }
  if (e instanceof pexprs.Plus) return firstUnits(g, e.expr!, active);
  if (e instanceof pexprs.Apply) {
    // (an answer cut short by recursion is null, and so is all it goes into: each can be kept)
    const cache = firstCache.get(g) ?? firstCache.set(g, new Map()).get(g)!;
    const key = e.toMemoKey!();
    const rule = g.rules[e.ruleName!];
    if (cache.has(key)) return cache.get(key)!;
    if (!rule || active.has(key)) return null;
    active.add(key);
    const s = firstUnits(g, (rule.body as PExpr).substituteParams(e.args ?? []), active);
    active.delete(key);
    cache.set(key, s);
    return s;
  }
  return null; // (`#(...)` among them: inside it, blanks are not skipped)
}

/** Whether Ohm skips blanks before `e` in a syntactic rule: before what reads the input. */
export function skipsBefore(e: PExpr): boolean {
  return (
    e instanceof pexprs.Apply ||
    e instanceof pexprs.Terminal ||
    e instanceof pexprs.Range ||
    e instanceof pexprs.UnicodeChar ||
    e instanceof pexprs.CaseInsensitiveTerminal ||
    e === pexprs.any ||
    e === pexprs.end
  );
}

/** Every rule of a grammar, its super-grammars' included. */
export function allRules(g: ohm.Grammar): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let r: ohm.Grammar | undefined = g; r; r = r.superGrammar) Object.assign(out, r.rules);
  return out;
}
