// The rewrite driver: rules as data, applied bottom-up over a graph until nothing changes. A rule
// is a pattern and a replacement; the replacement returns null where the rule does not apply after
// all. Nodes are never mutated: a node whose inputs were rewritten is rebuilt (hash-consing finds
// it again if it exists), and a replacement inherits the name and source line of what it replaces.
import {
  differentiates,
  displayName,
  nameOf,
  originOf,
  sameShape,
  setName,
  setOrigin,
  setDifferentiates,
  setRole,
  type Node,
} from "../ir/node.ts";
import { toposort } from "../ir/toposort.ts";
import { registry } from "../ops/index.ts";
import type { OpName } from "../ops/names.ts";
import { broadcastShapes, make } from "../ops/op.ts";
import { expand } from "../ops/shape.ts";
import { match, type Bindings, type Pattern } from "./pattern.ts";

/** What a rule's replacement can ask about the graph it rewrites. */
export interface RewriteContext {
  /** how many nodes of the current graph use `node` (a root counts as one more use) */
  uses(node: Node): number;
  isRoot(node: Node): boolean;
  /** records a fusion that matched in part but cannot fire, and why */
  miss(fusion: string, at: Node, reason: string): void;
}

export interface Rule {
  name: string;
  pattern: Pattern;
  rewrite(b: Bindings, node: Node, cx: RewriteContext): Node | null;
}

/** `[name, pattern, replacement]` rows -> rules. */
export function rules(
  rows: [string, Pattern, (b: Bindings, node: Node, cx: RewriteContext) => Node | null][],
): Rule[] {
  return rows.map(([name, pattern, rewrite]) => ({ name, pattern, rewrite }));
}

export interface Missed {
  fusion: string;
  reason: string;
  line: number | null;
}

/** What a pipeline did: how often each rule fired, and the fusions that could not fire. */
export class RewriteLog {
  readonly fired = new Map<string, number>();
  private readonly missed = new Map<string, Missed>();

  fire(rule: string): void {
    this.fired.set(rule, (this.fired.get(rule) ?? 0) + 1);
  }
  miss(m: Missed): void {
    this.missed.set(`${m.fusion}|${m.reason}|${m.line}`, m);
  }
  missedList(): Missed[] {
    return [...this.missed.values()];
  }
  firedRecord(): Record<string, number> {
    return Object.fromEntries([...this.fired].sort(([a], [b]) => a.localeCompare(b)));
  }
}

const MAX_PASSES = 20;
const MAX_REWRITES_PER_NODE = 50;

/** Rewrites the graph of `roots` with `ruleSet` to a fixpoint; returns the new roots in order. */
export function rewriteGraph(roots: readonly Node[], ruleSet: Rule[], log: RewriteLog): Node[] {
  const rulesFor = byOp(ruleSet);
  let current = [...roots];
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    const missed: Missed[] = [];
    const next = rewriteOnce(current, rulesFor, log, missed);
    if (next.every((n, i) => n === current[i])) {
      // only the last pass's misses stand: an earlier one may have fired since
      for (const m of missed) log.miss(m);
      return next;
    }
    current = next;
  }
  return current;
}

/**
 * The rules that can match a node of each op, in the order of `ruleSet`: a pattern whose root is
 * an op matches only nodes of that op, so most rules need not be tried at most nodes.
 */
function byOp(ruleSet: Rule[]): (op: OpName) => Rule[] {
  const table = new Map<OpName, Rule[]>();
  return (op) => {
    let rules = table.get(op);
    if (rules === undefined) {
      rules = ruleSet.filter((r) => r.pattern.kind !== "op" || r.pattern.op === op);
      table.set(op, rules);
    }
    return rules;
  };
}

function rewriteOnce(
  roots: readonly Node[],
  rulesFor: (op: OpName) => Rule[],
  log: RewriteLog,
  missed: Missed[],
): Node[] {
  const order = toposort(roots);
  const uses = new Map<Node, number>();
  for (const n of order) for (const x of n.inputs) uses.set(x, (uses.get(x) ?? 0) + 1);
  const rootSet = new Set(roots);
  for (const r of roots) uses.set(r, (uses.get(r) ?? 0) + 1);
  const cx: RewriteContext = {
    uses: (n) => uses.get(n) ?? 0,
    isRoot: (n) => rootSet.has(n),
    miss: (fusion, at, reason) => missed.push({ fusion, reason, line: originOf(at)?.line ?? null }),
  };
  const done = new Map<Node, Node>();
  for (const node of order) {
    const inputs = rewrittenInputs(node, done);
    let cur = inputs === null ? node : inherit(rebuild(node, inputs), node);
    for (let n = 0; n < MAX_REWRITES_PER_NODE; n++) {
      const next = applyFirst(cur, rulesFor(cur.op), cx, log);
      if (next === null) break;
      cur = inherit(next, cur);
    }
    done.set(node, cur);
    // the replacement has the users of what it replaces
    if (cur !== node) {
      uses.set(cur, (uses.get(cur) ?? 0) + (uses.get(node) ?? 0));
      if (rootSet.has(node)) rootSet.add(cur);
    }
  }
  return roots.map((r) => done.get(r)!);
}

/** The rewritten inputs of `node`, or null when none changed (most nodes: no array is built). */
function rewrittenInputs(node: Node, done: Map<Node, Node>): Node[] | null {
  const { inputs } = node;
  for (let i = 0; i < inputs.length; i++)
    if (done.get(inputs[i]!) !== inputs[i]) return inputs.map((x) => done.get(x)!);
  return null;
}

function rebuild(node: Node, inputs: Node[]): Node {
  return make(registry[node.op], inputs, node.attrs);
}

/** The replacement of the first rule that applies to `node`, shaped like `node`. */
function applyFirst(node: Node, ruleSet: Rule[], cx: RewriteContext, log: RewriteLog) {
  for (const rule of ruleSet) {
    const b = match(rule.pattern, node);
    if (b === null) continue;
    const out = rule.rewrite(b, node, cx);
    if (out === null || out === node) continue;
    const shaped = sameShape(out.shape, node.shape) ? out : broadcastTo(out, node);
    if (shaped === null) continue;
    log.fire(rule.name);
    return shaped;
  }
  return null;
}

/** A replacement may drop a broadcast (`x * 1`); it is broadcast back to the node's shape. */
function broadcastTo(out: Node, node: Node): Node | null {
  try {
    const b = broadcastShapes(out.shape, node.shape);
    return sameShape(b, node.shape) ? expand(out, node.shape) : null;
  } catch {
    return null;
  }
}

function inherit(to: Node, from: Node): Node {
  if (to.inputs.length === 0) return to; // leaves keep their own name and line
  const name = nameOf(from);
  if (name !== undefined) setName(to, name);
  const role = displayName(from);
  if (role !== undefined) setRole(to, role);
  const of = differentiates(from);
  if (of) setDifferentiates(to, of);
  const origin = originOf(from);
  if (origin) setOrigin(to, origin);
  return to;
}
