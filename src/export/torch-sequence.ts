// The sequence models' ops as PyTorch expressions. An int input arrives as a torch.long tensor
// (`_take` checks that its values are whole numbers); torch itself rejects an index out of range.
//   gather(W, idx)          F.embedding(idx, W) (W[idx] for a table of rank > 2)
//   scatter_add(dy, idx)    zeros.index_add(0, idx, dy): repeated rows add up
//   pick, unpick            torch.gather along the last axis; F.one_hot(y) * dy
//   softmax_xent_int(z, y)  F.cross_entropy(z, y, reduction="none") over the flattened positions
//   layernorm               F.layer_norm(x, (D,), gamma, beta, eps) where its statistics are the
//                           usual 1/sqrt(var + eps) (eps read from the graph), else the plain math
//                           on the statistics' own expressions (autograd goes through both)
//   gelu                    F.gelu(x, approximate="tanh")
//   causal_mask             masked_fill of the upper triangle (triu(1)) with -inf, or 0
// The gradients' ops (scatter_add, unpick, layernorm_dx, gelu_deriv, causal_mask's zero fill) only
// appear in backward graphs, which the export leaves to autograd: their rows are the plain math.
import type { Node } from "../ir/node.ts";
import { constValue } from "../passes/pattern.ts";
import { GELU_C, GELU_K } from "../ops/masks.ts";
import type { SequenceOpName } from "../ops/names.ts";
import { pyFloat } from "./python.ts";
import type { TorchLowering } from "./torch-ops.ts";

/** The eps of a layernorm's 1/sqrt(var + eps) and its mean over the last axis of x, or null. */
function layerNormEps(n: Node): number | null {
  const [x, mu, invstd] = n.inputs as [Node, Node, Node];
  const last = x.shape.length - 1;
  const axes = mu.attrs["axes"] as number[] | undefined;
  if (mu.op !== "mean" || mu.inputs[0] !== x || axes?.length !== 1 || axes[0] !== last) return null;
  if (invstd.op !== "div" || constValue(invstd.inputs[0]!) !== 1) return null;
  const root = invstd.inputs[1]!;
  if (root.op !== "sqrt" || root.inputs[0]!.op !== "add") return null;
  return constValue(root.inputs[0]!.inputs[1]!);
}

/** The inputs a node's torch expression reads: F.layer_norm reads x, gamma and beta only. */
export function torchReads(n: Node): readonly Node[] {
  if (n.op !== "layernorm" || layerNormEps(n) === null) return n.inputs;
  const [x, , , gamma, beta] = n.inputs as [Node, Node, Node, Node, Node];
  return [x, gamma, beta];
}

/** `F.layer_norm(x, (D,), gamma, beta, eps)`; a gamma or beta not of shape [D] applies after it. */
function layerNorm([x, , , gamma, beta]: string[], n: Node, eps: number): string {
  const D = n.shape.at(-1);
  const [g, b] = n.inputs.slice(3) as [Node, Node];
  const own = (t: Node) => t.shape.length === 1 && t.shape[0] === D;
  const norm = `F.layer_norm(${x}, (${D},), ${own(g) ? gamma : "None"}, ${own(b) ? beta : "None"}, ${pyFloat(eps)})`;
  const scaled = own(g) || constValue(g) === 1 ? norm : `${gamma} * ${norm}`;
  return own(b) || constValue(b) === 0 ? scaled : `${scaled} + ${beta}`;
}

/** t = tanh(k (x + c x^3)) */
const geluTanh = (x: string) =>
  `torch.tanh(${pyFloat(GELU_K)} * (${x} + ${pyFloat(GELU_C)} * ${x} ** 3))`;

export const torchSequenceOps: Record<SequenceOpName, TorchLowering> = {
  gather: ([w, idx], n) =>
    n.inputs[0]!.shape.length === 2 ? `F.embedding(${idx}, ${w})` : `${w}[${idx}]`,
  scatter_add: ([dy, idx], n, shape) =>
    `torch.zeros(${shape(n)}, dtype=${dy}.dtype, device=${dy}.device).index_add(0, ${idx}.reshape(-1), ${dy}.reshape((-1,) + ${shape(n)}[1:]))`,
  pick: ([p, y]) => `torch.gather(${p}, -1, ${y}.unsqueeze(-1)).squeeze(-1)`,
  unpick: ([dy, y], n) =>
    `F.one_hot(${y}, ${n.attrs["classes"] as number}).to(${dy}.dtype) * ${dy}.unsqueeze(-1)`,
  softmax_xent_int: ([z, y], n) =>
    `F.cross_entropy(${z}.reshape(-1, ${n.inputs[0]!.shape.at(-1)}), ${y}.reshape(-1), reduction="none").reshape(${y}.shape)`,
  layernorm: (args, n) => {
    const eps = layerNormEps(n);
    if (eps !== null) return layerNorm(args, n, eps);
    const [x, mu, invstd, gamma, beta] = args;
    return `${gamma} * ((${x} - ${mu}) * ${invstd}) + ${beta}`;
  },
  // invstd / D (D dxhat - sum(dxhat) - xhat sum(dxhat xhat)), dxhat = dy gamma, sums per row
  layernorm_dx: ([dy, x, mu, invstd, gamma]) => {
    const D = `${dy}.shape[-1]`;
    const xhat = `((${x} - ${mu}) * ${invstd})`;
    const dxhat = `(${dy} * ${gamma})`;
    const sum = (v: string) => `torch.sum(${v}, dim=-1, keepdim=True)`;
    return `${invstd} / ${D} * (${D} * ${dxhat} - ${sum(dxhat)} - ${xhat} * ${sum(`${dxhat} * ${xhat}`)})`;
  },
  gelu: ([x]) => `F.gelu(${x}, approximate="tanh")`,
  // 0.5 (1 + t) + 0.5 x (1 - t^2) k (1 + 3 c x^2)
  gelu_deriv: ([x]) => {
    const t = geluTanh(x!);
    return `0.5 * (1 + ${t}) + 0.5 * ${x} * (1 - ${t} ** 2) * ${pyFloat(GELU_K)} * (1 + ${pyFloat(3 * GELU_C)} * ${x} ** 2)`;
  },
  causal_mask: ([s], n) => {
    const fill = n.attrs["fill"] === "zero" ? "0.0" : 'float("-inf")';
    return `${s}.masked_fill(torch.ones(${s}.shape[-2:], dtype=torch.bool, device=${s}.device).triu(1), ${fill})`;
  },
};
