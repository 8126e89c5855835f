// The reference a sample's modules are held to: the model lowered (before any pass), differentiated
// by autodiff, and evaluated by the f64 interpreter at a random point: the loss, every leaf's
// gradient, the inference outputs and the state after a training step.
import { gradients } from "../../src/autodiff/grad.ts";
import { concreteShape, interpret } from "../../src/ir/interpret.ts";
import type { ModelIR } from "../../src/ir/model.ts";
import { lower } from "../../src/parse/index.ts";
import type { Node } from "../../src/ir/node.ts";
import { toposort } from "../../src/ir/toposort.ts";
import type { Tensor } from "../../src/ops/index.ts";
import { mulberry32 } from "../../src/train/rng.ts";
import { intBound, type TargetDomain } from "./builder.ts";
import { conditioning, type Conditioning } from "./conditioning.ts";
import { Draw } from "./draw.ts";
import { FILE, type Sample } from "./sample.ts";

export type Feed = Record<string, Float64Array | number>;

export interface Reference {
  sample: Sample;
  model: ModelIR;
  dims: Record<string, number>;
  /** params by name, as `createModel({ params })` takes them */
  params: Record<string, Float64Array>;
  /** inputs and targets by name, as the module's calls take them (scalars as numbers) */
  feed: Feed;
  /** the seed of the random numbers of dropout, given to `reseed` before each call */
  maskSeed: number;
  loss: number;
  /** the gradient of the loss for every param, input and target, by name */
  grads: Map<string, Float64Array>;
  /** the inference outputs, by name */
  outputs: Map<string, Float64Array>;
  /** every state after one training step, by name */
  state: Map<string, Float64Array>;
  /** the largest magnitude of any value the reference computed (Infinity or NaN if not finite) */
  largest: number;
  /**
   * the largest magnitude of the backward pass's values: a gradient that cancels to 0 (a bias
   * before batchnorm) is a sum of terms this large, and keeps their rounding
   */
  backward: number;
  optimizer: Sample["optimizer"];
  /** how close the point is to a kink, a tie or a saturated logarithm */
  conditioning: Conditioning;
}

export function reference(sample: Sample): Reference {
  const model = lower(sample.source, { file: FILE });
  const dims = Object.fromEntries(model.dims.map((d) => [d, sample.batch]));
  const d = new Draw(sample.seed, "values");
  const values = new Map<string, Float64Array>();
  const leaves = [...model.params, ...model.inputs, ...model.targets];
  for (const leaf of leaves) {
    const shape = concreteShape(leaf.shape, dims);
    const domain = sample.targets.get(leaf.name) ?? "real";
    values.set(leaf.name, leafData(shape, domain, d));
  }
  for (const s of model.state)
    values.set(
      s.name,
      new Float64Array(concreteShape(s.shape, dims).reduce((a, b) => a * b, 1)).fill(s.init),
    );
  const maskSeed = d.int(1, 1 << 30);
  const loss = model.train.loss!;
  // every leaf but the int ones (indices and classes have no gradient)
  const floats = leaves.filter((l) => l.node.attrs["dtype"] !== "int");
  const wrt = floats.map((l) => l.node);
  const adjoints = gradients(loss, wrt);
  const updates = model.train.stateUpdates.map((u) => u.node);
  const roots = [loss, ...wrt.map((w) => adjoints.get(w)!), ...updates];
  const train = interpret(roots, { values, dims, random: mulberry32(maskSeed) });
  const infer = interpret(
    model.infer.outputs.map((o) => o.node),
    { values, dims },
  );
  const feed: Feed = {};
  for (const leaf of [...model.inputs, ...model.targets]) {
    const v = values.get(leaf.name)!;
    feed[leaf.name] = leaf.shape.length === 0 ? v[0]! : v;
  }
  return {
    sample,
    model,
    dims,
    params: Object.fromEntries(model.params.map((p) => [p.name, values.get(p.name)!])),
    feed,
    maskSeed,
    loss: train.get(loss)!.data[0]!,
    grads: new Map(floats.map((l) => [l.name, train.get(adjoints.get(l.node)!)!.data])),
    outputs: new Map(model.infer.outputs.map((o) => [o.name, infer.get(o.node)!.data])),
    state: new Map(model.train.stateUpdates.map((u, i) => [u.name, train.get(updates[i]!)!.data])),
    largest: Math.max(largest(train.values()), largest(infer.values())),
    backward: largest(backwardValues(train, loss)),
    optimizer: sample.optimizer,
    conditioning: conditioning(loss, train),
  };
}

/** The values of the nodes that only the gradients need (the forward graph's left out). */
function backwardValues(values: Map<Node, Tensor>, loss: Node): Tensor[] {
  const forward = new Set(toposort([loss]));
  return [...values].filter(([n]) => !forward.has(n)).map(([, t]) => t);
}

function largest(tensors: Iterable<{ data: Float64Array }>): number {
  let top = 0;
  for (const t of tensors)
    for (const v of t.data) {
      if (Number.isNaN(v)) return NaN;
      top = Math.max(top, Math.abs(v));
    }
  return top;
}

/** Data of `shape` in `domain`: reals in [-1, 1], or labels and indices as their ops read them. */
function leafData(shape: number[], domain: TargetDomain, d: Draw): Float64Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const bound = intBound(domain);
  if (bound !== null) return Float64Array.from({ length: n }, () => d.int(0, bound - 1));
  switch (domain) {
    case "real":
      return Float64Array.from({ length: n }, () => 2 * d.unit() - 1);
    case "unit":
      return Float64Array.from({ length: n }, () => d.unit());
    case "bits":
      return Float64Array.from({ length: n }, () => d.int(0, 1));
    case "signs":
      return Float64Array.from({ length: n }, () => 2 * d.int(0, 1) - 1);
    case "onehot": {
      const classes = shape[shape.length - 1] ?? 1;
      const out = new Float64Array(n);
      for (let row = 0; row < n / classes; row++) out[row * classes + d.int(0, classes - 1)] = 1;
      return out;
    }
    default:
      throw new Error(`no data for the domain ${domain}`);
  }
}
