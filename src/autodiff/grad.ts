// Reverse-mode differentiation over the IR: walk the reversed topological order, give each node
// its adjoint (accumulated over all of its users, never overwritten), apply the op's gradient rule
// and un-broadcast each input's share with sumTo. The result is more IR: the backward graph.
import { nameOf, originOf, setName, setOrigin, type Node } from "../ir/node.ts";
import { toposort } from "../ir/toposort.ts";
import { add, c, expand, opDef, sumTo } from "../ops/index.ts";

/** Differentiating through `node` needs a gradient rule that its op does not have. */
export class NoGradientError extends Error {
  constructor(readonly node: Node) {
    super(`the op \`${node.op}\` has no gradient rule`);
  }
}

/**
 * The gradient of the scalar `loss` with respect to each node of `wrt`. A node of `wrt` that the
 * loss does not depend on gets a zero of its shape, which the caller can report.
 */
export function gradients(loss: Node, wrt: readonly Node[]): Map<Node, Node> {
  const order = toposort([loss]);
  const needed = nodesOnPaths(order, new Set(wrt));
  const adjoint = new Map<Node, Node>([[loss, c(1)]]);
  for (let i = order.length - 1; i >= 0; i--) {
    const node = order[i]!;
    const g = adjoint.get(node);
    if (g === undefined) continue;
    label(g, node);
    if (node.inputs.length === 0) continue;
    if (!node.inputs.some((x) => needed.has(x))) continue;
    const rule = opDef(node.op).grad;
    if (!rule) throw new NoGradientError(node);
    const shares = rule(expand(g, node.shape), node);
    node.inputs.forEach((x, k) => {
      const share = shares[k];
      if (!share || !needed.has(x)) return;
      const s = sumTo(share, x.shape);
      const prev = adjoint.get(x);
      adjoint.set(x, prev ? add(prev, s) : s);
    });
  }
  return new Map(wrt.map((w) => [w, adjoint.get(w) ?? expand(c(0), w.shape)]));
}

/** The adjoint of `h` reads as `d_h` in generated code, commented with `h`'s source line. */
function label(g: Node, of: Node): void {
  const name =
    nameOf(of) ?? (typeof of.attrs["name"] === "string" ? (of.attrs["name"] as string) : undefined);
  if (name !== undefined && g.inputs.length > 0) setName(g, `d_${name}`);
  const origin = originOf(of);
  if (origin) setOrigin(g, origin);
}

/** The nodes through which some node of `targets` reaches the loss (only they need adjoints). */
function nodesOnPaths(order: Node[], targets: Set<Node>): Set<Node> {
  const reaches = new Set<Node>();
  for (const node of order) {
    if (targets.has(node) || node.inputs.some((x) => reaches.has(x))) reaches.add(node);
  }
  return reaches;
}

/** Whether `root` depends on `leaf`. */
export function dependsOn(root: Node, leaf: Node): boolean {
  return toposort([root]).includes(leaf);
}
