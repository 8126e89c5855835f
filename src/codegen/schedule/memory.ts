// Buffer planning by liveness. In each generated function a buffer lives from the statement that
// writes it to the last statement that reads it (to the end of the function for results, state
// updates and gradients). Buffers whose lifetimes overlap in no function share one allocation:
// the largest member owns the memory and the others are views of its start. Only buffers whose
// sizes grow with the same named dims share, so that the owner stays the largest at any size.
import { isScalar, type Node } from "../../ir/node.ts";
import { registry } from "../../ops/index.ts";
import type { Plan } from "./plan.ts";

export interface MemoryPlan {
  /** groups of buffers sharing memory; the first of each group owns it */
  groups: Node[][];
  /** member -> the owner of its memory (absent for owners) */
  owner: Map<Node, Node>;
}

type Interval = [number, number];
/** A buffer's lifetime in each function (undefined where the function does not use it). */
type Spans = (Interval | undefined)[];

/** Buffers sharing one allocation, as planning goes: members, and when each function last uses one. */
interface Group {
  members: Node[];
  /** the members' lifetimes, in the same order */
  spans: Spans[];
  /** the first member's size: the group a buffer joins is the one closest to its own */
  size: number;
  /** per function, the last statement any member is live at (-1: none) */
  ends: number[];
}

/** How many groups a buffer may be placed in, at most (the first ones made). */
const MAX_CANDIDATES = 256;

export function planMemory(plan: Plan, buffers: readonly Node[]): MemoryPlan {
  const lifetimes = liveness(plan, new Set(buffers));
  // the buffers holding results, directly or under a reshape that aliases them
  const results = new Set([...plan.roots].map((r) => storageOf(plan, r)));
  const groups: Node[][] = [];
  const byKey = new Map<string, Group[]>();
  for (const b of buffers) {
    // results (outputs, gradients, new state) keep their own memory: they stay valid while the
    // caller calls the other functions
    // (an integer buffer, an int input, is an Int32Array: it shares with no float buffer)
    if (results.has(b) || b.attrs["dtype"] === "int") {
      groups.push([b]);
      continue;
    }
    const key = sizeKey(plan, b);
    const size = fixedSize(plan, b);
    const spans = lifetimes.map((life) => life.get(b));
    const candidates = byKey.get(key) ?? [];
    let best = closest(candidates, size, spans);
    if (!best) {
      best = { members: [], spans: [], size, ends: lifetimes.map(() => -1) };
      if (candidates.length === 0) byKey.set(key, candidates);
      candidates.push(best);
      groups.push(best.members);
    }
    best.members.push(b);
    best.spans.push(spans);
    spans.forEach((span, f) => {
      if (span) best.ends[f] = Math.max(best.ends[f]!, span[1]);
    });
  }
  const owner = new Map<Node, Node>();
  for (const g of groups) {
    g.sort((a, b) => fixedSize(plan, b) - fixedSize(plan, a));
    for (let i = 1; i < g.length; i++) owner.set(g[i]!, g[0]!);
  }
  return { groups, owner };
}

/**
 * The group whose first member is closest in size wastes the least (the first such group) among
 * those free over `spans`. The search looks at a bounded number of groups, so that planning stays
 * linear in the size of a model whose values all stay alive (a long chain kept for its backward
 * pass).
 */
function closest(candidates: Group[], size: number, spans: Spans): Group | undefined {
  let best: Group | undefined;
  for (let i = 0; i < Math.min(candidates.length, MAX_CANDIDATES); i++) {
    const g = candidates[i]!;
    const diff = Math.abs(g.size - size);
    if (diff < (best ? Math.abs(best.size - size) : Infinity) && free(g, spans)) best = g;
    if (best && best.size === size) break;
  }
  return best;
}

/**
 * Whether a buffer living over `spans` can join `g`: every member ends before it starts, in every
 * function (the common case, checked at once), or else no member's lifetime overlaps its own.
 */
function free(g: Group, spans: Spans): boolean {
  let after = true;
  for (let f = 0; f < spans.length && after; f++) {
    const span = spans[f];
    after = span === undefined || g.ends[f]! < span[0];
  }
  if (after) return true;
  for (const m of g.spans) if (overlap(m, spans)) return false;
  return true;
}

/** Whether two buffers are alive at once in some function. */
function overlap(a: Spans, b: Spans): boolean {
  for (let f = 0; f < a.length; f++) {
    const x = a[f];
    const y = b[f];
    if (x !== undefined && y !== undefined && x[0] <= y[1] && y[0] <= x[1]) return true;
  }
  return false;
}

/** The node whose buffer holds `n`'s values: `n`, or what the reshape `n` aliases. */
function storageOf(plan: Plan, n: Node): Node {
  for (let a = plan.alias.get(n); a !== undefined; a = plan.alias.get(n)) n = a;
  return n;
}

/** Buffers may share only if their sizes scale with the same named dims (after binding). */
function sizeKey(plan: Plan, n: Node): string {
  return n.shape
    .filter((d): d is string => typeof d === "string" && plan.bound(d) === undefined)
    .sort()
    .join("*");
}

/** The size, counting the named dims that are not bound as 1. */
function fixedSize(plan: Plan, n: Node): number {
  return n.shape.reduce<number>(
    (a, d) => a * (typeof d === "number" ? d : (plan.bound(d) ?? 1)),
    1,
  );
}

/** For each function, each buffer's [first write, last read] by statement index. */
function liveness(plan: Plan, buffers: Set<Node>): Map<Node, Interval>[] {
  // what each statement reads is the same in every function that runs it
  const reads = new Map<Node, readonly Node[]>();
  const readBy = (node: Node) => {
    // most nodes are computed inside another's loop: no statement of their own, nothing to keep
    if (plan.fused.has(node)) return NONE;
    let r = reads.get(node);
    if (r === undefined) reads.set(node, (r = readsOf(plan, node)));
    return r;
  };
  // functions of the same order (trainStep and grad, without state) have the same lifetimes
  const byOrder = new Map<readonly Node[], Map<Node, Interval>>();
  return Object.values(plan.fns).map((fn) => {
    const known = byOrder.get(fn.order);
    if (known) return known;
    const life = new Map<Node, Interval>();
    byOrder.set(fn.order, life);
    const end = fn.order.length;
    fn.order.forEach((node, i) => {
      if (buffers.has(node)) {
        const start = node.op === "input" ? -1 : i; // inputs are copied in before anything runs
        life.set(node, [start, plan.roots.has(node) ? end : start]);
      }
      for (const o of readBy(node)) {
        const span = life.get(o);
        if (span && span[1] < i) span[1] = i;
      }
    });
    // a reshape that aliases a result keeps its buffer alive to the end
    for (const node of fn.order)
      if (plan.roots.has(node) && plan.alias.has(node)) {
        const span = life.get(storageOf(plan, node));
        if (span) span[1] = end;
      }
    return life;
  });
}

const NONE: readonly Node[] = [];

/** The buffers the statement computing `node` reads (none for nodes computed inside others). */
function readsOf(plan: Plan, node: Node): readonly Node[] {
  if (plan.fused.has(node) || plan.inlined.has(node) || plan.alias.has(node)) return NONE;
  if (node.inputs.length === 0) return NONE;
  const kind = registry[node.op].kind;
  const tensors =
    kind === "elementwise" || kind === "reduce"
      ? node.inputs.flatMap((x) => plan.reads(x))
      : node.inputs.filter((x) => !isScalar(x.shape));
  return tensors.length === 0 ? NONE : tensors.map((x) => storageOf(plan, x));
}
