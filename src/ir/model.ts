// A lowered model: its leaves (inputs, targets, params, state), and the graphs of its two modes.
// Inference (`forward`) and training (`loss`, `grad`, `trainStep`) differ where batchnorm and
// dropout do, so lowering builds both; hash-consing shares everything they have in common.
import type { Node, Origin, Shape } from "./node.ts";
import { toposort } from "./toposort.ts";
import { opDef } from "../ops/index.ts";

export type Init =
  /** one value per element, row-major */
  | { kind: "values"; values: number[] }
  /** every element the same value (`param W: [4096, 4096] = 0.5`) */
  | { kind: "fill"; value: number }
  | { kind: "zeros" }
  | { kind: "ones" }
  | { kind: "normal"; mean: number; std: number }
  | { kind: "uniform"; low: number; high: number }
  | { kind: "glorot" }
  | { kind: "he" };

/**
 * Fan-in and fan-out for Glorot and He: a matrix's rows and columns ([in, out] in nnc's dense
 * layers); a convolution kernel [out, in, kh, kw] counts each tap, as PyTorch: in * kh * kw and
 * out * kh * kw; a vector or scalar counts its size for both.
 */
export function fans(shape: readonly number[]): [number, number] {
  const size = shape.reduce((a, b) => a * b, 1);
  if (shape.length < 2) return [size, size];
  if (shape.length === 2) return [shape[0]!, shape[1]!];
  const taps = size / (shape[0]! * shape[1]!);
  return [shape[1]! * taps, shape[0]! * taps];
}

export interface Leaf {
  /** the name users see: `x`, `h.W`, `h.batchnorm.running_mean` */
  name: string;
  shape: Shape;
  node: Node;
  origin: Origin;
}

export interface ParamLeaf extends Leaf {
  init: Init;
}

export interface StateLeaf extends Leaf {
  /** every element's initial value (running_mean 0, running_var 1) */
  init: number;
}

/**
 * A learning-rate schedule, in optimizer steps (`trainStep` calls) counted from 0 after the
 * warmup. `steps` is the horizon of `linear` and `cosine`; absent, it is the length of the run
 * (`nnc train`: epochs times batches per epoch).
 */
export type ScheduleSpec =
  | { kind: "constant" }
  | { kind: "linear"; to: number; steps?: number }
  | { kind: "cosine"; to: number; steps?: number }
  | { kind: "step"; every: number; factor: number }
  | { kind: "exponential"; rate: number; every: number };

export interface OptimizerSpec {
  kind: "sgd" | "rmsprop" | "adam" | "adamw";
  lr: number;
  /** sgd */
  momentum: number;
  /** rmsprop */
  rho: number;
  /** adam, adamw */
  beta1: number;
  beta2: number;
  /** rmsprop, adam, adamw */
  eps: number;
  /** the learning rate is multiplied by this after every epoch (1 when absent) */
  decay?: number;
  /** the learning rate's schedule over the steps of a run (constant when absent) */
  schedule?: ScheduleSpec;
  /** steps of linear warmup before the schedule (0 when absent) */
  warmup?: number;
  /**
   * L2 weight decay: added to the gradient as `weightDecay * p` (sgd, rmsprop, adam), or
   * decoupled as `p -= lr * weightDecay * p` (adamw). 0 when absent.
   */
  weightDecay?: number;
  /** the params weight decay applies to, by full name */
  decayParams?: string[];
  /** set when the model has no `optimizer` statement and this is nnc's default */
  isDefault?: true;
}

/**
 * `metric = accuracy(p, y)`: the fraction of examples whose prediction (an inference-mode node
 * of the inputs) names the target's class. With one output per example, `threshold` splits the
 * two classes (absent: 0.5 for 0/1 targets, 0 for -1/+1 targets).
 */
export interface MetricSpec {
  kind: "accuracy";
  prediction: Node;
  target: string;
  threshold?: number;
  origin: Origin;
}

/** Values a target must hold because a loss reads it as labels: `bce` 0 or 1, `hinge` -1 or +1. */
export interface LabelRule {
  target: string;
  values: readonly number[];
  /** the function that reads it, for messages */
  by: string;
  origin: Origin;
}

export interface Output {
  name: string;
  node: Node;
}

/** One mode's graph: what it outputs, its loss, and the new values of state it produces. */
export interface ModeGraph {
  outputs: Output[];
  loss: Node | null;
  /** state name -> node computing the state's new value (batchnorm running stats) */
  stateUpdates: { name: string; node: Node }[];
}

export interface ModelIR {
  name: string;
  file: string;
  /** where the model's name is written, for errors about the model as a whole */
  at?: { file: string; line: number; col: number };
  inputs: Leaf[];
  targets: Leaf[];
  params: ParamLeaf[];
  state: StateLeaf[];
  /** the named dims (`batch`), in order of first appearance */
  dims: string[];
  infer: ModeGraph;
  train: ModeGraph;
  optimizer: OptimizerSpec;
  /** what `nnc train` and `nnc eval` report besides the loss (`metric = accuracy(p, y)`) */
  metric?: MetricSpec;
  /** targets that a loss reads as labels, and the values they must hold */
  labels?: LabelRule[];
  /** the `.nn` source text, for comments in generated code */
  source: string;
}

/**
 * How many rows or classes each int input's values may name (0 <= i < bound): the fewest any of
 * its uses in these graphs allows (a table's rows, a softmax's classes). An int input nothing
 * reads as an index has no bound.
 */
export function indexBounds(roots: readonly Node[]): Map<Node, number> {
  const bounds = new Map<Node, number>();
  for (const n of toposort(roots)) {
    const def = opDef(n.op);
    if (!def.indexBound || !def.indices) continue;
    for (const i of def.indices) {
      const leaf = n.inputs[i]!;
      const b = def.indexBound(n);
      bounds.set(leaf, Math.min(bounds.get(leaf) ?? b, b));
    }
  }
  return bounds;
}

/** The index bounds of a model's int inputs and targets, by name. */
export function modelIndexBounds(model: ModelIR): Map<string, number> {
  const roots = [
    ...(model.train.loss ? [model.train.loss] : []),
    ...model.train.outputs.map((o) => o.node),
    ...model.infer.outputs.map((o) => o.node),
  ];
  const bounds = indexBounds(roots);
  const out = new Map<string, number>();
  for (const l of [...model.inputs, ...model.targets]) {
    const b = bounds.get(l.node);
    if (b !== undefined) out.set(l.name, b);
  }
  return out;
}
