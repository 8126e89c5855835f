// Topological order of the nodes that `roots` depend on (inputs before users), iteratively so
// that deep graphs cannot overflow the stack.
import type { Node } from "./node.ts";

export function toposort(roots: readonly Node[]): Node[] {
  const order: Node[] = [];
  const state = new Map<Node, "open" | "done">();
  for (const root of roots) {
    const stack: [Node, number][] = [[root, 0]];
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const [node, i] = top;
      if (i === 0) {
        if (state.get(node) === "done") {
          stack.pop();
          continue;
        }
        state.set(node, "open");
      }
      const next = node.inputs[i];
      if (next !== undefined) {
        top[1] = i + 1;
        if (!state.has(next)) stack.push([next, 0]);
      } else {
        stack.pop();
        state.set(node, "done");
        order.push(node);
      }
    }
  }
  return order;
}
