// The derivation `nnc grad --math` prints: the backward pass as `.nn` equations in the source's
// names, from `d_loss = 1`. Every name it uses is an input, a param, a target, a value the source
// names, or defined on a line above: a forward value the source does not name (`c1_relu`) is
// written out in the source's names just before the first equation that reads it. Each line of
// the source is quoted once, whole, beside the first equation it gives, with the rule's note.
import { adjointOf, originOf, shareOf, type Node, type Origin } from "../../ir/node.ts";
import { oneLine, sourceLine } from "../text.ts";
import { findFolds, renamed } from "./fold.ts";
import { isStatement, MathPrinter } from "./math.ts";
import type { Plan } from "./plan.ts";
import type { FnSteps } from "./steps.ts";

/** One equation of the derivation: the value it defines, its math, and where it comes from. */
export interface DerivationRow {
  /** null for the seed, `d_loss = 1` */
  node: Node | null;
  math: string;
  /** `line 7: z = h |> dense(10)`, and the rule's note, on the first equation they concern */
  comment: string;
  /** the line of the statement it comes from, and that statement, whether the comment says so */
  line?: number;
  statement?: string;
}

export function derivation(steps: FnSteps, plan: Plan): DerivationRow[] {
  const rows: DerivationRow[] = plan.model.train.loss
    ? [{ node: null, math: "d_loss = 1", comment: "" }]
    : [];
  const printer = new MathPrinter(plan);
  const forward = new Set([...plan.fns.loss.order, ...plan.fns.forward.order]);
  const defined = new Set<Node>();
  // what needs no line of its own: a leaf (but a dropout mask), a value a statement of the model
  // names (a block's own values, `x1.attention.a`, are defined as any other)
  const known = (n: Node) =>
    (n.inputs.length === 0 && n.op !== "dropout_mask") || isStatement(n) || defined.has(n);
  let lastLine = -1;
  const notes = new Set<string>();
  const quoted = new Set<number>();
  // a statement is quoted whole the first time; after that, its line number says which
  const quote = (o: Origin) => {
    if (quoted.has(o.line)) return `line ${o.line}`;
    quoted.add(o.line);
    return `line ${o.line}: ${oneLine(sourceLine(o.text))}`;
  };
  const push = (node: Node, math: string, origin: Origin | undefined, note?: string) => {
    const line = origin && origin.line !== lastLine ? origin : undefined;
    if (line) lastLine = line.line;
    const fresh = note !== undefined && !notes.has(note) ? note : undefined;
    if (fresh) notes.add(fresh);
    const why = [line ? quote(line) : "", fresh ?? ""];
    const comment = why.filter((w) => w !== "").join("; ");
    const where = origin ? { line: origin.line, statement: oneLine(sourceLine(origin.text)) } : {};
    rows.push({ node, math, comment, ...where });
    defined.add(node);
  };
  const backward = steps.steps.filter(
    (s) => s.backward && s.math !== "" && !plan.isConstant(s.node),
  );
  // the forward values some equation reads by name: each is defined once, on a line of its own,
  // and the others read it by its name (a layernorm's mean and invstd)
  const named = new Set<Node>();
  for (const s of backward) for (const r of printer.reads(s.node)) named.add(r);
  // a forward value the equations read, written out (after what its written form still names)
  const define = (n: Node, depth = 0): void => {
    if (known(n) || !forward.has(n) || depth > 64) return;
    const { shown, reads } = printer.written(n, (x) => defined.has(x) || named.has(x));
    for (const r of reads) define(r, depth + 1);
    push(n, `${plan.sourceName(n)} = ${shown.text}`, originOf(n));
  };
  for (const s of backward) {
    for (const r of printer.reads(s.node)) define(r);
    // a gradient summed from parts: quoted at the line of the part written out in it (the L2
    // term of a loss line is that line's, not the dense layer's where the other part comes from)
    const term = inlineTerms(s.node, plan).find((o) => o.line !== lastLine);
    push(s.node, s.math, term ?? s.origin, s.note ?? (isSumOfParts(s.node) ? SUM : undefined));
  }
  return rows;
}

const SUM =
  "a value read by several ops: its gradient is the sum of the parts through each (a residual `+` passes its gradient on unchanged)";

/** Whether `n` adds up parts of a value's gradient, each computed on a row of its own. */
function isSumOfParts(n: Node): boolean {
  return (
    n.op === "add" &&
    adjointOf(n) !== undefined &&
    n.inputs.every((x) => adjointOf(x) !== undefined || shareOf(x) !== undefined)
  );
}

/** The lines of the terms a sum of gradient parts writes out (its stored parts have rows). */
function inlineTerms(n: Node, plan: Plan): Origin[] {
  if (n.op !== "add" || adjointOf(n) === undefined) return [];
  const out: Origin[] = [];
  const inline = (x: Node) => plan.fused.has(x) || plan.inlined.has(x);
  const walk = (x: Node): void => {
    for (const t of x.inputs) {
      if (t.op === "add" && inline(t)) walk(t);
      else if (inline(t) && originOf(t) !== undefined) out.push(originOf(t)!);
    }
  };
  walk(n);
  return out;
}

/** One line of the printout: an equation (or a loop's header), indented in a loop, and its comment. */
interface Line {
  text: string;
  comment: string;
}

/**
 * The rows as text: the equations aligned, a value after each where given, then the comment. A run
 * of rows that repeats with other names is printed once, as a loop over those names (fold.ts),
 * unless values are shown (they differ from one repetition to the next) or `fold` is false.
 */
export function formatDerivation(
  rows: DerivationRow[],
  values?: (n: Node | null) => string,
  fold = values === undefined,
): string[] {
  const lines: Line[] = fold
    ? folded(rows)
    : rows.map((r) => ({
        text: values
          ? `${r.math.padEnd(widthOf(rows.map((x) => x.math)))}  = ${values(r.node)}`
          : r.math,
        comment: r.comment,
      }));
  const w2 = widthOf(lines.filter((l) => l.comment !== "").map((l) => l.text));
  return lines.map((l) => (l.comment === "" ? l.text : `${l.text.padEnd(w2)}  # ${l.comment}`));
}

/** The column comments (or values) start at: after the longest text, up to 48. */
function widthOf(texts: string[]): number {
  // a reduction, not Math.max(...): a model's backward pass may have 100,000 steps and more
  return Math.min(
    48,
    texts.reduce((m, t) => Math.max(m, t.length), 0),
  );
}

/** The rows, each run that repeats with other names printed once under a `for` over them. */
function folded(rows: DerivationRow[]): Line[] {
  const taken = new Set<string>();
  for (const r of rows)
    for (const t of `${r.math} ${r.comment}`.matchAll(/[A-Za-z0-9]+/g)) taken.add(t[0]);
  const out: Line[] = [];
  let at = 0;
  for (const f of findFolds(
    rows.map((r) => r.math),
    taken,
  )) {
    for (; at < f.start; at++) out.push({ text: rows[at]!.math, comment: rows[at]!.comment });
    const tuples = f.names.map((n) => `(${n.join(", ")})`).join(", ");
    const vars =
      f.placeholders.length === 1 ? f.placeholders[0]! : `(${f.placeholders.join(", ")})`;
    out.push({ text: `for ${vars} in ${tuples}:`, comment: "" });
    const toPlaceholder = new Map(f.names[0]!.map((n, i) => [n, f.placeholders[i]!]));
    const rename = (x: string) => toPlaceholder.get(x) ?? x;
    for (let j = 0; j < f.period; j++) {
      const reps = f.names.map((_, k) => rows[f.start + k * f.period + j]!);
      out.push({ text: `  ${renamed(reps[0]!.math, rename)}`, comment: loopComment(reps, rename) });
    }
    at = f.start + f.period * f.names.length;
  }
  for (; at < rows.length; at++) out.push({ text: rows[at]!.math, comment: rows[at]!.comment });
  return out;
}

/**
 * The comment of a row of a loop: the first repetition's, where the statement it quotes is the
 * same in each; else each repetition's line and the statement in the loop's names
 * (`lines 34, 32, 30, 28: Y = H + mlp(layernorm(H))`).
 */
function loopComment(reps: DerivationRow[], rename: (x: string) => string): string {
  const first = reps[0]!;
  const lines = [...new Set(reps.map((r) => r.line))];
  const quoted = /^line \d+(: [^;]*)?/.exec(first.comment);
  if (!quoted || lines.length === 1 || lines.includes(undefined) || !first.statement)
    return first.comment;
  const statement = first.statement.replace(/[A-Za-z_]\w*/g, (x) => rename(x));
  return `lines ${lines.join(", ")}: ${statement}${first.comment.slice(quoted[0].length)}`;
}
