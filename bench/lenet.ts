// What every contender of the LeNet workloads shares: the model (bench/models/lenet.nn), its
// initial weights (nnc's own initialization, seed 1: He for the convolutions, Glorot for the dense
// layers, zero biases), the data (the fixed 8,000 / 2,000 MNIST split of `nnc train --data
// mnist`, batches taken in its order), the FLOP counts and the sanity check's numbers.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { compile } from "../src/index.ts";
import { encodeSafetensors, type Tensor } from "../src/train/safetensors.ts";
import { mnist } from "../src/train/mnist.ts";
import type { Split, Weights } from "./common.ts";

export const LENET_FILE = "bench/models/lenet.nn";
/** momentum SGD at a constant rate, as bench/models/lenet.nn says */
export const LENET_SGD = { lr: 0.05, momentum: 0.9 };
/** training steps from the initial weights whose losses every contender reports */
export const SANITY_STEPS = 4;

/** The params in the order of the model, with their shapes (nnc's layouts: W [out, in, kh, kw]
 * for a convolution, [in, out] for a dense layer). */
export const LENET_PARAMS: [string, number[]][] = [
  ["c1.W", [6, 1, 5, 5]],
  ["c1.b", [6]],
  ["c2.W", [16, 6, 5, 5]],
  ["c2.b", [16]],
  ["h.dense0.W", [400, 120]],
  ["h.dense0.b", [120]],
  ["h.dense1.W", [120, 84]],
  ["h.dense1.b", [84]],
  ["z.W", [84, 10]],
  ["z.b", [10]],
];

export function lenetSource(): string {
  return readFileSync(new URL("./models/lenet.nn", import.meta.url), "utf8");
}

/** The initial weights: what nnc's `createModel({ seed })` draws. */
export function lenetWeights(seed = 1): Weights {
  const m = compile(lenetSource(), { file: LENET_FILE, target: "js" }).load().createModel({ seed });
  const params = m.params as Record<string, Float32Array>;
  return Object.fromEntries(LENET_PARAMS.map(([k]) => [k, Float32Array.from(params[k]!)]));
}

let cached: { train: Split; test: Split } | undefined;

/** The 8,000 / 2,000 split of the bundled digits, as one-hot rows. */
export function lenetData(): { train: Split; test: Split } {
  if (cached) return cached;
  const { train, test } = mnist();
  const pack = (t: typeof train): Split => {
    const n = t.rows;
    const x = new Float32Array(n * 784);
    const y = new Float32Array(n * 10);
    const labels = new Uint8Array(n);
    for (let r = 0; r < n; r++) {
      x.set(t.values.subarray(r * 785, r * 785 + 784), r * 784);
      const label = t.values[r * 785 + 784]!;
      y[r * 10 + label] = 1;
      labels[r] = label;
    }
    return { x, y, labels, n };
  };
  cached = { train: pack(train), test: pack(test) };
  return cached;
}

// FLOPs (2 per multiply-add) of the convolutions and products of one example.
const conv1 = 2 * 6 * 28 * 28 * 25;
const conv2 = 2 * 16 * 10 * 10 * 6 * 25;
const dense = 2 * (400 * 120 + 120 * 84 + 84 * 10);

export const lenetFlops = {
  infer: (b: number) => b * (conv1 + conv2 + dense),
  /** the forward pass, both gradients of every layer but the first convolution's input one */
  train: (b: number) => b * (2 * conv1 + 3 * conv2 + 3 * dense),
};

/** Where the files for contenders in other processes (PyTorch) go. */
export const BENCH_DIR = new URL("../build/bench/", import.meta.url);

/**
 * The weights and data as safetensors files that a Python process reads with the standard library
 * and torch alone (weights: nnc's layouts and names; data: train.x, train.y, test.x).
 */
export function writeLenetFiles(): { weights: string; data: string } {
  mkdirSync(BENCH_DIR, { recursive: true });
  const w = lenetWeights();
  const weights = LENET_PARAMS.map(([name, shape]): Tensor => ({ name, shape, data: w[name]! }));
  const { train, test } = lenetData();
  const data: Tensor[] = [
    { name: "train.x", shape: [train.n, 784], data: train.x },
    { name: "train.y", shape: [train.n, 10], data: train.y },
    { name: "test.x", shape: [test.n, 784], data: test.x },
  ];
  const files = { weights: "lenet-weights.safetensors", data: "lenet-data.safetensors" };
  writeFileSync(new URL(files.weights, BENCH_DIR), encodeSafetensors(weights));
  writeFileSync(new URL(files.data, BENCH_DIR), encodeSafetensors(data));
  return {
    weights: new URL(files.weights, BENCH_DIR).pathname,
    data: new URL(files.data, BENCH_DIR).pathname,
  };
}
