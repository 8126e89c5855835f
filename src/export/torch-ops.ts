// Each IR op as a PyTorch expression: one row per op of the registry (typed by OpName, so that a
// new op cannot be added without saying how it exports). A row gets the Python expressions of
// the node's inputs and returns the node's. torch.autograd differentiates what these compute, so
// each row is the plain math of the op, never its gradient: that makes torch's gradients an
// independent check of nnc's. Leaves are named by the exporter and never reach the table.
import type { Node } from "../ir/node.ts";
import type { OpName } from "../ops/names.ts";
import { EPS } from "../ops/losses.ts";
import { num } from "../ops/op.ts";
import type { Unsupported } from "./onnx-ops.ts";
import { pyFloat, pyInts } from "./python.ts";
import { torchImageOps } from "./torch-images.ts";
import { torchSequenceOps } from "./torch-sequence.ts";

/** `shape(n)` is the Python tuple of a node's shape, with named dims read from `dims`. */
export type TorchLowering = (a: string[], n: Node, shape: (n: Node) => string) => string;

const leaf: Unsupported = { unsupported: "a leaf is an input, a param or state" };
const eps = pyFloat(EPS);

const fn =
  (name: string): TorchLowering =>
  ([x]) =>
    `${name}(${x})`;

/** ln(max(p, EPS)), the clamped logarithm of nnc's losses */
const clampLog = (p: string) => `torch.log(torch.clamp(${p}, min=${eps}))`;

/** Reductions keep nnc's axes and keepdims; `amax` shares the gradient between ties as nnc does. */
const reduce =
  (name: string): TorchLowering =>
  ([x], n) =>
    `${name}(${x}, dim=${pyInts(n.attrs["axes"] as number[])}, keepdim=${n.attrs["keep"] === true ? "True" : "False"})`;

const axis = (n: Node) => String(n.attrs["axis"] as number);

export const torchOps: Record<OpName, TorchLowering | Unsupported> = {
  const: leaf,
  input: leaf,
  param: leaf,
  state: leaf,
  dimsize: leaf,
  dropout_mask: leaf,
  add: ([a, b]) => `${a} + ${b}`,
  sub: ([a, b]) => `${a} - ${b}`,
  mul: ([a, b]) => `${a} * ${b}`,
  div: ([a, b]) => `${a} / ${b}`,
  neg: ([a]) => `-${a}`,
  pow: ([a, b]) => `${a} ** ${b}`,
  exp: fn("torch.exp"),
  log: fn("torch.log"),
  sqrt: fn("torch.sqrt"),
  abs: fn("torch.abs"),
  tanh: fn("torch.tanh"),
  // ln(1 + e^x) = logaddexp(x, 0): finite for any x, and its gradient is exactly sigmoid(x)
  softplus: ([x]) => `torch.logaddexp(${x}, torch.zeros_like(${x}))`,
  sigmoid: fn("torch.sigmoid"),
  relu: fn("torch.relu"),
  leaky_relu: ([x], n) => `F.leaky_relu(${x}, ${pyFloat(num(n.attrs, "alpha"))})`,
  elu: ([x], n) => `F.elu(${x}, ${pyFloat(num(n.attrs, "alpha"))})`,
  // the perceptron's step, with nnc's straight-through gradient
  step: ([x]) => `StraightThroughStep.apply(${x})`,
  gt0: ([x]) => `(${x} > 0).to(${x}.dtype)`,
  sign: fn("torch.sign"),
  leaky_deriv: ([x], n) =>
    `torch.where(${x} > 0, torch.ones_like(${x}), torch.full_like(${x}, ${pyFloat(num(n.attrs, "alpha"))}))`,
  elu_deriv: ([x], n) =>
    `torch.where(${x} > 0, torch.ones_like(${x}), ${pyFloat(num(n.attrs, "alpha"))} * torch.exp(${x}))`,
  eq: ([a, b]) => `(${a} == ${b}).to(torch.result_type(${a}, ${b}))`,
  bce: ([p, y]) => `-(${y} * ${clampLog(p!)} + (1 - ${y}) * ${clampLog(`1 - ${p}`)})`,
  bce_dp: ([p, y]) => `(${p} - ${y}) / torch.clamp(${p} * (1 - ${p}), min=${eps})`,
  bce_dy: ([p]) => `${clampLog(`1 - ${p}`)} - ${clampLog(p!)}`,
  xent: ([p, y]) => `torch.where(${y} == 0, torch.zeros_like(${y}), -${y} * ${clampLog(p!)})`,
  xent_dp: ([p, y]) => `-${y} / torch.clamp(${p}, min=${eps})`,
  xent_dy: ([p]) => `-${clampLog(p!)}`,
  sum: reduce("torch.sum"),
  mean: reduce("torch.mean"),
  max: reduce("torch.amax"),
  expand: ([x], n, shape) => `${x}.expand(${shape(n)})`,
  reshape: ([x], n, shape) => `${x}.reshape(${shape(n)})`,
  transpose: ([x], n) => `${x}.permute(${pyInts(n.attrs["perm"] as number[])})`,
  // NumPy's matmul, as torch's @; a transposed operand swaps its last two axes; a folded product
  // is summed over the leading axes both operands share
  matmul: ([a, b], n) => {
    const t = (x: string, k: string) => (n.attrs[k] === true ? `${x}.transpose(-2, -1)` : x);
    const product = `${t(a!, "ta")} @ ${t(b!, "tb")}`;
    if (n.attrs["fold"] !== true) return product;
    const lead = [...Array(n.inputs[0]!.shape.length - 2).keys()];
    return `torch.sum(${product}, dim=${pyInts(lead)})`;
  },
  softmax: ([x], n) => `torch.softmax(${x}, dim=${axis(n)})`,
  log_softmax: ([x], n) => `torch.log_softmax(${x}, dim=${axis(n)})`,
  // bce(sigmoid(z), y) from the logits: softplus(z) - z y
  bce_logits: ([z, y]) => `torch.logaddexp(${z}, torch.zeros_like(${z})) - ${z} * ${y}`,
  // -sum(y log_softmax(z)) along the axis
  softmax_xent: ([z, y], n) =>
    `-torch.sum(${y} * torch.log_softmax(${z}, dim=${axis(n)}), dim=${axis(n)})`,
  batchnorm: ([x, mu, invstd, gamma, beta]) => `${gamma} * ((${x} - ${mu}) * ${invstd}) + ${beta}`,
  // sums per channel (axis 1), over every other axis
  batchnorm_dx: ([dy, x, mu, invstd, gamma], n) => {
    const axes = pyInts(n.shape.map((_, i) => i).filter((i) => i !== 1));
    const xhat = `((${x} - ${mu}) * ${invstd})`;
    const count = `(${dy}.numel() // ${dy}.shape[1])`;
    const sum = (v: string) => `torch.sum(${v}, dim=${axes}, keepdim=True)`;
    return `${gamma} * ${invstd} / ${count} * (${count} * ${dy} - ${sum(dy!)} - ${xhat} * ${sum(`${dy} * ${xhat}`)})`;
  },
  ...torchImageOps,
  ...torchSequenceOps,
};

/** Ops whose Python operands may be plain numbers (the others need tensors). */
export const numberOperands: ReadonlySet<OpName> = new Set(["add", "sub", "mul", "div", "pow"]);
