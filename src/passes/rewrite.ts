// The rewrite driver: rules as data, applied bottom-up over a graph until nothing changes. A rule
// is a pattern and a replacement; the replacement returns null where the rule does not apply after
// all. Nodes are never mutated: a node whose inputs were rewritten is rebuilt (hash-consing finds
// it again if it exists), and a replacement inherits the name and source line of what it replaces.
import {
  adjointOf,
  differentiates,
  displayName,
  nameOf,
  originOf,
  sameShape,
  setName,
  setOrigin,
  setAdjointOf,
  setDifferentiates,
  setRole,
  setShareOf,
  shareOf,
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
  const rules = new RuleTable(ruleSet, log);
  let current = [...roots];
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    const missed: Missed[] = [];
    const next = rewriteOnce(current, rules, missed);
    if (next.every((n, i) => n === current[i])) {
      // only the last pass's misses stand: an earlier one may have fired since
      for (const m of missed) log.miss(m);
      return next;
    }
    current = next;
  }
  return current;
}

function rewriteOnce(roots: readonly Node[], rules: RuleTable, missed: Missed[]): Node[] {
  const order = toposort(roots);
  const cx = new PassContext(order, roots, missed);
  const done = new Map<Node, Node>();
  for (const node of order) {
    const inputs = rewrittenInputs(node, done);
    const cur = rules.rewrite(inputs === null ? node : inherit(rebuild(node, inputs), node), cx);
    done.set(node, cur);
    if (cur !== node) cx.replaced(node, cur);
  }
  return roots.map((r) => done.get(r)!);
}

/** The rules of one fixpoint, by op, and the nodes they have been found to leave alone. */
class RuleTable {
  private readonly byOp = new Map<OpName, Rule[]>();
  /**
   * Nodes that no rule rewrites whatever the graph around them: every rule declined without
   * asking the context (nodes are immutable), so later passes need not try them again.
   */
  private readonly settled = new Set<Node>();

  constructor(
    private readonly rules: Rule[],
    private readonly log: RewriteLog,
  ) {}

  /** The rules that can match a node of `op`, in order: a pattern rooted at an op needs that op. */
  private rulesFor(op: OpName): Rule[] {
    let rules = this.byOp.get(op);
    if (rules === undefined) {
      rules = this.rules.filter((r) => r.pattern.kind !== "op" || r.pattern.op === op);
      this.byOp.set(op, rules);
    }
    return rules;
  }

  /** `node` rewritten by the first rule that applies, again, until none does. */
  rewrite(node: Node, cx: PassContext): Node {
    let cur = node;
    for (let n = 0; n < MAX_REWRITES_PER_NODE && !this.settled.has(cur); n++) {
      cx.asked = false;
      const next = applyFirst(cur, this.rulesFor(cur.op), cx, this.log);
      if (next === null) {
        if (!cx.asked) this.settled.add(cur);
        break;
      }
      cur = inherit(next, cur);
    }
    return cur;
  }
}

/**
 * What a rule may ask during one pass. The uses are counted when a rule first asks (the
 * simplifications never do); `asked` says whether a rule asked anything since it was cleared.
 */
class PassContext implements RewriteContext {
  asked = false;
  private counts: Map<Node, number> | null = null;
  /** the replacements made before the uses were counted, in order */
  private readonly pending: [from: Node, to: Node][] = [];
  private readonly roots: Set<Node>;

  constructor(
    private readonly order: readonly Node[],
    private readonly rootList: readonly Node[],
    private readonly missed: Missed[],
  ) {
    this.roots = new Set(rootList);
  }

  uses(node: Node): number {
    this.asked = true;
    return this.useCounts().get(node) ?? 0;
  }
  isRoot(node: Node): boolean {
    this.asked = true;
    return this.roots.has(node);
  }
  miss(fusion: string, at: Node, reason: string): void {
    this.asked = true;
    this.missed.push({ fusion, reason, line: originOf(at)?.line ?? null });
  }

  /** `to` replaces `from`: it has the users of `from`, and is a root where `from` was. */
  replaced(from: Node, to: Node): void {
    if (this.roots.has(from)) this.roots.add(to);
    if (this.counts === null) this.pending.push([from, to]);
    else transferUses(this.counts, from, to);
  }

  /** How many nodes of the pass's graph use each node (a root counts as one more use). */
  private useCounts(): Map<Node, number> {
    if (this.counts !== null) return this.counts;
    const counts = new Map<Node, number>();
    for (const n of this.order) for (const x of n.inputs) counts.set(x, (counts.get(x) ?? 0) + 1);
    for (const r of this.rootList) counts.set(r, (counts.get(r) ?? 0) + 1);
    for (const [from, to] of this.pending) transferUses(counts, from, to);
    this.counts = counts;
    return counts;
  }
}

function transferUses(counts: Map<Node, number>, from: Node, to: Node): void {
  counts.set(to, (counts.get(to) ?? 0) + (counts.get(from) ?? 0));
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
  const of = differentiates(from);
  // a backward value that turns out to be a forward one (d exp(u)/du is exp(u)) leaves the
  // forward value as it is: a gradient's name or link on it would call a forward value a gradient
  if (of !== undefined && isForward(to)) return to;
  const name = nameOf(from);
  if (name !== undefined) setName(to, name);
  const role = displayName(from);
  if (role !== undefined) setRole(to, role);
  if (of) setDifferentiates(to, of);
  const x = adjointOf(from);
  if (x) setAdjointOf(to, x);
  const share = shareOf(from);
  if (share) setShareOf(to, share.of, share.via);
  const origin = originOf(from);
  if (origin) setOrigin(to, origin);
  return to;
}

/** A node of the forward graph: lowering gave it its line, and no gradient rule built it. */
function isForward(node: Node): boolean {
  return originOf(node) !== undefined && differentiates(node) === undefined;
}
