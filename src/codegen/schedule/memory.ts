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

export function planMemory(plan: Plan, buffers: readonly Node[]): MemoryPlan {
  const lifetimes = liveness(plan, new Set(buffers));
  // the buffers holding results, directly or under a reshape that aliases them
  const results = new Set([...plan.roots].map((r) => storageOf(plan, r)));
  const conflict = (a: Node, b: Node) =>
    lifetimes.some((life) => {
      const [x, y] = [life.get(a), life.get(b)];
      return x !== undefined && y !== undefined && x[0] <= y[1] && y[0] <= x[1];
    });
  const groups: Node[][] = [];
  for (const b of buffers) {
    // results (outputs, gradients, new state) keep their own memory: they stay valid while the
    // caller calls the other functions
    if (results.has(b)) {
      groups.push([b]);
      continue;
    }
    const key = sizeKey(plan, b);
    const fits = groups.filter(
      (g) => !results.has(g[0]!) && sizeKey(plan, g[0]!) === key && g.every((m) => !conflict(m, b)),
    );
    // the group whose largest member is closest in size wastes the least
    const best = fits.sort(
      (g, h) =>
        Math.abs(fixedSize(plan, g[0]!) - fixedSize(plan, b)) -
        Math.abs(fixedSize(plan, h[0]!) - fixedSize(plan, b)),
    )[0];
    if (best) best.push(b);
    else groups.push([b]);
  }
  const owner = new Map<Node, Node>();
  for (const g of groups) {
    g.sort((a, b) => fixedSize(plan, b) - fixedSize(plan, a));
    for (const m of g.slice(1)) owner.set(m, g[0]!);
  }
  return { groups, owner };
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
  const ownerOf = (n: Node): Node => storageOf(plan, n);
  return Object.values(plan.fns).map((fn) => {
    const life = new Map<Node, Interval>();
    const end = fn.order.length;
    fn.order.forEach((node, i) => {
      if (buffers.has(node)) {
        const start = node.op === "input" ? -1 : i; // inputs are copied in before anything runs
        life.set(node, [start, plan.roots.has(node) ? end : start]);
      }
      for (const r of readsOf(plan, node)) {
        const o = ownerOf(r);
        const span = life.get(o);
        if (span && span[1] < i) span[1] = i;
      }
    });
    // a reshape that aliases a result keeps its buffer alive to the end
    for (const node of fn.order)
      if (plan.roots.has(node) && plan.alias.has(node)) {
        const span = life.get(ownerOf(node));
        if (span) span[1] = end;
      }
    return life;
  });
}

/** The tensors the statement computing `node` reads (none for nodes computed inside others). */
function readsOf(plan: Plan, node: Node): Node[] {
  if (plan.fused.has(node) || plan.inlined.has(node) || plan.alias.has(node)) return [];
  if (node.inputs.length === 0) return [];
  const kind = registry[node.op].kind;
  if (kind === "elementwise" || kind === "reduce") return node.inputs.flatMap((x) => plan.reads(x));
  return node.inputs.filter((x) => !isScalar(x.shape));
}
