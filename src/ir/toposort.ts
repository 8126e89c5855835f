// Topological order of the nodes that `roots` depend on (inputs before users), iteratively so
// that deep graphs cannot overflow the stack. Every pass sorts the whole graph, so this is kept
// lean: one set of the nodes seen, and the path as two parallel stacks (node, next input).
import type { Node } from "./node.ts";

export function toposort(roots: readonly Node[]): Node[] {
  const order: Node[] = [];
  const seen = new Set<Node>();
  const path: Node[] = [];
  const next: number[] = [];
  for (const root of roots) {
    if (seen.has(root)) continue;
    seen.add(root);
    path.push(root);
    next.push(0);
    while (path.length > 0) {
      const top = path.length - 1;
      const node = path[top]!;
      const i = next[top]!;
      if (i < node.inputs.length) {
        next[top] = i + 1;
        const input = node.inputs[i]!;
        if (!seen.has(input)) {
          seen.add(input);
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
