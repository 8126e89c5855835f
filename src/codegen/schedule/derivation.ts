// The derivation `nnc grad --math` prints: the backward pass as `.nn` equations in the source's
// names, from `d_loss = 1`. Every name it uses is an input, a param, a target, a value the source
// names, or defined on a line above: a forward value the source does not name (`c1_relu`) is
// written out in the source's names just before the first equation that reads it. Each line of
// the source is quoted once, whole, beside the first equation it gives, with the rule's note.
import { adjointOf, nameOf, originOf, type Node, type Origin } from "../../ir/node.ts";
import { oneLine, sourceLine } from "../text.ts";
import { MathPrinter } from "./math.ts";
import type { Plan } from "./plan.ts";
import type { FnSteps } from "./steps.ts";

/** One equation of the derivation: the value it defines, its math, and where it comes from. */
export interface DerivationRow {
  /** null for the seed, `d_loss = 1` */
  node: Node | null;
  math: string;
  /** `line 7: z = h |> dense(10)`, and the rule's note, on the first equation they concern */
  comment: string;
}

export function derivation(steps: FnSteps, plan: Plan): DerivationRow[] {
  const rows: DerivationRow[] = plan.model.train.loss
    ? [{ node: null, math: "d_loss = 1", comment: "" }]
    : [];
  const printer = new MathPrinter(plan);
  const forward = new Set([...plan.fns.loss.order, ...plan.fns.forward.order]);
  const defined = new Set<Node>();
  // what needs no line of its own: a leaf (but a dropout mask), a value the source names
  const known = (n: Node) =>
    (n.inputs.length === 0 && n.op !== "dropout_mask") || nameOf(n) !== undefined || defined.has(n);
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
    rows.push({ node, math, comment: why.filter((w) => w !== "").join("; ") });
    defined.add(node);
  };
  // a forward value the equations read, written out (after what its written form still names)
  const define = (n: Node, depth = 0): void => {
    if (known(n) || !forward.has(n) || depth > 64) return;
    const { shown, reads } = printer.written(n, (x) => defined.has(x));
    for (const r of reads) define(r, depth + 1);
    push(n, `${plan.sourceName(n)} = ${shown.text}`, originOf(n));
  };
  for (const s of steps.steps) {
    if (!s.backward || s.math === "" || plan.isConstant(s.node)) continue;
    for (const r of printer.reads(s.node)) define(r);
    // a gradient summed from parts: quoted at the line of the part written out in it (the L2
    // term of a loss line is that line's, not the dense layer's where the other part comes from)
    const term = inlineTerms(s.node, plan).find((o) => o.line !== lastLine);
    push(s.node, s.math, term ?? s.origin, s.note);
  }
  return rows;
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

/** The rows as text: the equations aligned, a value after each where given, then the comment. */
export function formatDerivation(
  rows: DerivationRow[],
  values?: (n: Node | null) => string,
): string[] {
  // reductions, not Math.max(...): a model's backward pass may have 100,000 steps and more
  const width = Math.min(
    48,
    rows.reduce((m, r) => Math.max(m, r.math.length), -Infinity),
  );
  const shown = rows.map((r) => (values ? `${r.math.padEnd(width)}  = ${values(r.node)}` : r.math));
  const commented = shown.filter((_, i) => rows[i]!.comment !== "");
  const w2 = Math.min(
    48,
    commented.reduce((m, s) => Math.max(m, s.length), 0),
  );
  return rows.map((r, i) =>
    r.comment === "" ? shown[i]! : `${shown[i]!.padEnd(w2)}  # ${r.comment}`,
  );
}
