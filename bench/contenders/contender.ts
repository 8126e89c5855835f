// What a contender can run. Every workload is optional: ONNX Runtime only infers, and the small
// models run on nnc and TensorFlow.js only.
import type { Weights } from "../common.ts";

export interface Trainer {
  step(x: Float32Array, y: Float32Array): void;
  /** the current weights, by the names of bench/models/mlp.nn */
  weights(): Weights;
  /** the gradients only, without the update (nnc's `grad`) */
  grad?(x: Float32Array, y: Float32Array): void;
}

/** LeNet training (bench/models/lenet.nn): momentum SGD from the shared initial weights. */
export interface LenetTrainer {
  step(x: Float32Array, y: Float32Array): void;
  /** a step that returns the loss before it (for the sanity check; it may cost a read-back) */
  stepWithLoss(x: Float32Array, y: Float32Array): number;
}

/** Thrown by a contender that cannot run a workload today; its message says why. */
export class Skip extends Error {}

export interface Contender {
  name: string;
  /** workload 1: the MLP with SGD */
  mlp?(init: Weights, batch: number): Promise<Trainer>;
  /** workload 2: the MLP with batchnorm and Adam */
  mlpBn?(init: Weights, batch: number): Promise<Trainer>;
  /** workload 3: inference; the function may return a promise (ONNX Runtime) */
  infer?(w: Weights, batch: number): Promise<(x: Float32Array) => unknown>;
  inferIsAsync?: boolean;
  /** workload 4: xor.nn trainStep at batch 4, and neuron.nn grad */
  xor?(init: Weights): Promise<(x: Float32Array, y: Float32Array) => void>;
  neuron?(): Promise<() => void>;
  /** the LeNet workloads: training at batch 64, inference at batch 64 and 1 */
  lenet?(init: Weights, batch: number): Promise<LenetTrainer>;
  lenetInfer?(init: Weights, batch: number): Promise<(x: Float32Array) => unknown>;
  /** what the reader should know about this contender's LeNet runs (a fallback, a workaround) */
  lenetNotes?: string[];
}
