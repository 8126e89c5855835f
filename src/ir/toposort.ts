// Topological order of the nodes that `roots` depend on (inputs before users), iteratively so
// that deep graphs cannot overflow the stack. Every pass sorts the whole graph, so this is kept
// lean: the nodes seen are marked in an array by node id with the number of the sort (no set to
// fill and no marks to clear), and the path is two parallel stacks (node, next input).
import type { Node } from "./node.ts";

/** `seen[id] === sort` marks a node seen by the current sort. */
let seen = new Int32Array(1024);
let sort = 0;

/** Marks `node` seen; false if it already was. */
function mark(node: Node): boolean {
  const id = node.id;
  if (id >= seen.length) {
    const grown = new Int32Array(Math.max(id + 1, seen.length * 2));
    grown.set(seen);
    seen = grown;
  }
  if (seen[id] === sort) return false;
  seen[id] = sort;
  return true;
}

export function toposort(roots: readonly Node[]): Node[] {
  if (sort === 0x7fffffff) {
    seen.fill(0);
    sort = 0;
  }
  sort++;
  const order: Node[] = [];
  const path: Node[] = [];
  const next: number[] = [];
  for (const root of roots) {
    if (!mark(root)) continue;
    path.push(root);
    next.push(0);
    while (path.length > 0) {
      const top = path.length - 1;
      const node = path[top]!;
      const i = next[top]!;
      if (i < node.inputs.length) {
        next[top] = i + 1;
        const input = node.inputs[i]!;
        if (mark(input)) {
          path.push(input);
          next.push(0);
        }
      } else {
        path.pop();
        next.pop();
        order.push(node);
      }
    }
  }
  return order;
}

/** The nodes reachable from `roots` through `reads` (the inputs a node's code reads). */
export function reachable(roots: readonly Node[], reads: (n: Node) => readonly Node[]): Set<Node> {
  const seen = new Set<Node>();
  const stack = [...roots];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (seen.has(n)) continue;
    seen.add(n);
    stack.push(...reads(n));
  }
  return seen;
}
