// Reverse-mode differentiation over the IR: walk the reversed topological order, give each node
// its adjoint (accumulated over all of its users, never overwritten), apply the op's gradient rule
// and un-broadcast each input's share with sumTo. The result is more IR: the backward graph.
import {
  nameOf,
  originOf,
  setAdjointOf,
  setDifferentiates,
  setName,
  setShareOf,
  setOrigin,
  type Node,
} from "../ir/node.ts";
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
  const built = new Provenance(order);
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
      const prev = adjoint.get(x);
      const s = sumTo(share, x.shape);
      setShareOf(s, x, node);
      adjoint.set(x, built.by(prev ? add(prev, s) : s, node));
    });
  }
  return new Map(wrt.map((w) => [w, adjoint.get(w) ?? expand(c(0), w.shape)]));
}

/**
 * Which forward node's rule built each backward node: a node first reached from the shares of
 * `node`'s rule is commented with `node`'s line (`d_w0 = d_w2 * x0` with `f = ...`'s line, where
 * `w0 * x0` is written, not with `param w0`'s).
 */
class Provenance {
  private readonly known: Set<Node>;
  constructor(forward: readonly Node[]) {
    this.known = new Set(forward);
  }

  by(root: Node, node: Node): Node {
    const origin = originOf(node);
    const stack = [root];
    while (stack.length > 0) {
      const n = stack.pop()!;
      if (this.known.has(n) || n.inputs.length === 0) continue;
      this.known.add(n);
      setDifferentiates(n, node);
      if (origin) setOrigin(n, origin);
      stack.push(...n.inputs);
    }
    return root;
  }
}

/**
 * The adjoint of `h` reads as `d_h` in generated code (of `h_pre`, `d_h_pre`); of a value the
 * source does not name, `d_` and the name codegen gives the value (`d_c1_relu`).
 */
function label(g: Node, of: Node): void {
  if (g.inputs.length === 0) return;
  setAdjointOf(g, of);
  // a value the source names gives its gradient a name now (the trace, the graph and the errors
  // read it); a role's name is made unique only when code is named, and so is its gradient's
  const name =
    nameOf(of) ?? (typeof of.attrs["name"] === "string" ? (of.attrs["name"] as string) : undefined);
  if (name !== undefined) setName(g, `d_${name}`);
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
