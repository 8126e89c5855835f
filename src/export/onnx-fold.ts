// Patterns of the IR that ONNX has one op for, found before lowering:
//   x @ W + b                                         -> Gemm(x, W, b)         (matrices)
//   gamma (x - mean) / sqrt(var + eps) + beta         -> BatchNormalization    (per channel)
//   the fused batchnorm node with running statistics  -> BatchNormalization
// the second being inference batchnorm with its running statistics, as the layer builds it (which
// runtimes fold into the Conv or Gemm before it). A pattern folds only where its inner nodes are
// used nowhere else; the nodes only they need are then not written at all.
import { sameShape, type Node } from "../ir/node.ts";
import { reachable } from "../ir/toposort.ts";
import type { OnnxGraph } from "./onnx-graph.ts";

export interface Fold {
  /** the values the one op reads */
  inputs: Node[];
  lower: (g: OnnxGraph, args: string[], hint: string) => string;
}

/** The folds among the nodes `order` (toposorted from `roots`), by the node each replaces. */
export function findFolds(order: Node[], roots: Node[]): Map<Node, Fold> {
  const uses = new Map<Node, number>(roots.map((r) => [r, 1]));
  for (const n of order) for (const i of n.inputs) uses.set(i, (uses.get(i) ?? 0) + 1);
  const once = (n: Node) => uses.get(n) === 1;
  const out = new Map<Node, Fold>();
  for (const n of order) {
    const fold =
      n.op === "add"
        ? (gemm(n, once) ?? batchnorm(n, once))
        : n.op === "batchnorm"
          ? fusedBatchnorm(n, once)
          : null;
    if (fold) out.set(n, fold);
  }
  return out;
}

/** The nodes that lowering `roots` writes: each fold reads its inputs, not its inner nodes. */
export function needed(roots: Node[], folds: Map<Node, Fold>): Set<Node> {
  return reachable(roots, (n) => folds.get(n)?.inputs ?? n.inputs);
}

/** `x @ W + b` of matrices, the product used only here; Gemm's C broadcasts to the product. */
function gemm(n: Node, once: (n: Node) => boolean): Fold | null {
  if (n.inputs[0] === n.inputs[1]) return null;
  const product = n.inputs.find(
    (x) =>
      x.op === "matmul" &&
      once(x) &&
      x.attrs["fold"] !== true &&
      x.inputs.every((i) => i.shape.length === 2),
  );
  if (!product || !sameShape(product.shape, n.shape)) return null;
  const bias = n.inputs.find((x) => x !== product)!;
  const t = (k: string) => ({ int: product.attrs[k] === true ? 1 : 0 });
  return {
    inputs: [...product.inputs, bias],
    lower: (g, args, hint) => g.op("Gemm", args, { transA: t("ta"), transB: t("tb") }, hint),
  };
}

/** The node as a per-channel value of `x`: [C] of [n, C], or [C] reshaped to [C, 1, 1]. */
function channels(v: Node, x: Node): Node | null {
  const C = x.shape[1]!;
  const inner = v.op === "reshape" ? v.inputs[0]! : v;
  const seen = [C, ...x.shape.slice(2).map(() => 1)];
  return sameShape(v.shape, seen) && sameShape(inner.shape, [C]) ? inner : null;
}

/** Matches `add(mul(gamma, div(sub(x, mean), sqrt(add(var, eps)))), beta)`, each part once. */
function batchnorm(n: Node, once: (n: Node) => boolean): Fold | null {
  const part = (v: Node | undefined, op: string) => (v?.op === op && once(v) ? v : null);
  const scaled = part(n.inputs[0], "mul");
  const norm = part(scaled?.inputs[1], "div");
  const centered = part(norm?.inputs[0], "sub");
  const root = part(norm?.inputs[1], "sqrt");
  const shifted = part(root?.inputs[0], "add");
  const eps = shifted?.inputs[1];
  const x = centered?.inputs[0];
  if (!scaled || !centered || !shifted || eps?.op !== "const" || !x || x.shape.length < 2)
    return null;
  const stats = [scaled.inputs[0]!, n.inputs[1]!, centered.inputs[1]!, shifted.inputs[0]!];
  const vectors = stats.map((v) => channels(v, x));
  if (vectors.some((v) => v === null) || !sameShape(n.shape, x.shape)) return null;
  return batchnormFold(x, vectors as Node[], eps.attrs["value"] as number);
}

/** One BatchNormalization of x from its [gamma, beta, mean, variance] per channel. */
function batchnormFold(x: Node, vectors: Node[], epsilon: number): Fold {
  return {
    inputs: [x, ...vectors],
    lower: (g, [x, gamma, beta, mean, variance], hint) => {
      // the attribute is a float32: a double graph adds eps itself where float32 would round it
      const exact = g.type === "f32" || Math.fround(epsilon) === epsilon;
      const v = exact ? variance! : g.op("Add", [variance!, g.scalar(epsilon)], {}, "var_eps");
      const attrs = { epsilon: exact ? epsilon : 0 };
      return g.op("BatchNormalization", [x!, gamma!, beta!, mean!, v], attrs, hint);
    },
  };
}

/**
 * The fused inference batchnorm, batchnorm(x, mean, 1 / sqrt(var + eps), gamma, beta) with the
 * running statistics: its invstd read back as the variance and eps ONNX takes.
 */
function fusedBatchnorm(n: Node, once: (n: Node) => boolean): Fold | null {
  if (n.attrs["batch"] === true) return null;
  const [x, mean, invstd, gamma, beta] = n.inputs as [Node, Node, Node, Node, Node];
  const root = invstd.op === "div" && once(invstd) ? invstd.inputs[1] : undefined;
  const one = invstd.inputs[0];
  const shifted = root?.op === "sqrt" && once(root) ? root.inputs[0] : undefined;
  const eps = shifted?.op === "add" ? shifted.inputs[1] : undefined;
  if (one?.op !== "const" || one.attrs["value"] !== 1 || !shifted || eps?.op !== "const")
    return null;
  const vectors = [gamma, beta, mean, shifted.inputs[0]!].map((v) => channels(v, x));
  if (vectors.some((v) => v === null) || x.shape.length < 2) return null;
  return batchnormFold(x, vectors as Node[], eps.attrs["value"] as number);
}
