// A lowered model: its leaves (inputs, targets, params, state), and the graphs of its two modes.
// Inference (`forward`) and training (`loss`, `grad`, `trainStep`) differ where batchnorm and
// dropout do, so lowering builds both; hash-consing shares everything they have in common.
import type { Node, Origin, Shape } from "./node.ts";

export type Init =
  | { kind: "values"; values: number[] }
  | { kind: "zeros" }
  | { kind: "ones" }
  | { kind: "normal"; mean: number; std: number }
  | { kind: "uniform"; low: number; high: number }
  | { kind: "glorot" }
  | { kind: "he" };

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

export interface OptimizerSpec {
  kind: "sgd" | "rmsprop" | "adam";
  lr: number;
  /** sgd */
  momentum: number;
  /** rmsprop */
  rho: number;
  /** adam */
  beta1: number;
  beta2: number;
  /** rmsprop, adam */
  eps: number;
  /** the learning rate is multiplied by this after every epoch of `nnc train` (1 when absent) */
  decay?: number;
  /** `cosine`: `nnc train` anneals the learning rate from lr to 0 over its epochs */
  schedule?: "cosine";
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
  inputs: Leaf[];
  targets: Leaf[];
  params: ParamLeaf[];
  state: StateLeaf[];
  /** the named dims (`batch`), in order of first appearance */
  dims: string[];
  infer: ModeGraph;
  train: ModeGraph;
  optimizer: OptimizerSpec;
  /** the `.nn` source text, for comments in generated code */
  source: string;
}
