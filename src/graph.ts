// The compiled graphs as data, for drawing: each node with its op, kind, name, shape and `.nn`
// line, and its inputs; `nnc graph` prints the same nodes as text or Graphviz dot.
import { inCompilation, type Compiled } from "./compile.ts";
import { displayName, nameOf, originOf, shapeToString, type Node } from "./ir/node.ts";
import { nodeLine } from "./ir/print.ts";
import { toposort } from "./ir/toposort.ts";
import { opDef } from "./ops/index.ts";

/**
 * What a node is, for colouring: a leaf by its role, a constant, an elementwise op, a reduction,
 * a matrix product, a window sliding over images (a convolution or a pool, and their gradients'
 * ops), a fused op (one node with a closed-form gradient: sigmoid, batchnorm, softmax +
 * cross-entropy, bce on logits, log-softmax) or another op (softmax, transpose, ...).
 */
export type GraphNodeKind =
  | "input"
  | "target"
  | "param"
  | "state"
  | "const"
  | "elementwise"
  | "reduce"
  | "matmul"
  | "conv"
  | "fused"
  | "other";

export interface GraphNode {
  /** the node's number in the IR (`%7`) */
  id: number;
  op: string;
  kind: GraphNodeKind;
  /** the name the source gives it (`h.W`, `p`) or its role's name (`h_pre`), if any */
  name?: string;
  /** `[batch, 4]` */
  shape: string;
  /** the configuration of a convolution or a pool: `6@5x5, padding: 2` (6 filters of 5 x 5), `2x2` */
  summary?: string;
  /** the node as `nnc graph` prints it: `%7 = matmul(%3, %5) {...} : [batch, 4]   # h  (line 4)` */
  text: string;
  /** the `.nn` line it comes from */
  line?: number;
  /** whether only the backward graph (the gradients) has it */
  backward: boolean;
  /** the ids of its inputs */
  inputs: number[];
}

export interface GraphData {
  /** in topological order */
  nodes: GraphNode[];
  /** what the graph computes: outputs, `loss`, new state, and `d NAME` for each gradient */
  roots: { label: string; id: number }[];
}

/** Ops that slide a window over images. */
const windowOps = new Set([
  "conv2d",
  "conv2d_dx",
  "conv2d_dw",
  "max_pool2d",
  "max_pool2d_dx",
  "avg_pool2d",
  "avg_pool2d_dx",
]);

/** Ops that stand for a fusion's result: one node with a closed-form local gradient. */
const fusedOps = new Set([
  "sigmoid",
  "batchnorm",
  "batchnorm_dx",
  "softmax_xent",
  "bce_logits",
  "log_softmax",
]);

function kindOf(n: Node): GraphNodeKind {
  const role = n.attrs["role"];
  if (n.inputs.length === 0 && (role === "input" || role === "target")) return role;
  if (n.op === "param" || n.op === "state" || n.op === "const") return n.op;
  if (n.op === "matmul") return "matmul";
  if (windowOps.has(n.op)) return "conv";
  if (fusedOps.has(n.op)) return "fused";
  const kind = opDef(n.op).kind;
  return kind === "elementwise" || kind === "reduce" ? kind : "other";
}

/**
 * The training graph of a compiled model (its outputs, loss and new state) as data, and with
 * `backward` the gradient of the loss for each param (and each `wrt` input) too. A model with
 * no loss gives its inference graph. The names are those of `compiled`'s compilation, whatever was
 * compiled since.
 */
export function graphData(compiled: Compiled, options: { backward?: boolean } = {}): GraphData {
  return inCompilation(compiled, () => graphOf(compiled, options.backward ?? false));
}

function graphOf(compiled: Compiled, backward: boolean): GraphData {
  const { model, grads } = compiled;
  const mode = model.train.loss ? model.train : model.infer;
  const forwardRoots = [
    ...mode.outputs.map((o) => ({ label: o.name, node: o.node })),
    ...(mode.loss ? [{ label: "loss", node: mode.loss }] : []),
    ...mode.stateUpdates.map((s) => ({ label: `state ${s.name}`, node: s.node })),
  ];
  const gradRoots = backward ? grads.map((g) => ({ label: `d ${g.name}`, node: g.node })) : [];
  const forward = new Set(toposort(forwardRoots.map((r) => r.node)));
  const roots = [...forwardRoots, ...gradRoots];
  const nodes = toposort(roots.map((r) => r.node)).map((n): GraphNode => {
    const name = nameOf(n) ?? displayName(n);
    const line = originOf(n)?.line;
    const summary = opDef(n.op).summary?.(n);
    return {
      id: n.id,
      op: n.op,
      kind: kindOf(n),
      ...(name !== undefined ? { name } : {}),
      shape: shapeToString(n.shape),
      ...(summary !== undefined ? { summary } : {}),
      text: nodeLine(n),
      ...(line !== undefined ? { line } : {}),
      backward: !forward.has(n),
      inputs: n.inputs.map((x) => x.id),
    };
  });
  return { nodes, roots: roots.map((r) => ({ label: r.label, id: r.node.id })) };
}
