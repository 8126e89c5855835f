// What the export tests share: every model of models/, random data for a model's inputs, ONNX
// Runtime sessions, Debian's torch (one Python process per batch of cases) and error measures.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import * as ort from "onnxruntime-node";
import { modelIndexBounds, type Leaf, type ModelIR } from "../src/ir/model.ts";
import { isInt } from "../src/ops/leaves.ts";
import { encodeSafetensors } from "../src/train/safetensors.ts";
import { randomSource } from "./random-models.ts";
import { randomArray, rng } from "./helpers.ts";

export interface ModelCase {
  /** `models/xor.nn` or `models/experiments/optimizers.nn:adam` */
  label: string;
  file: string;
  model: string;
  source: string;
}

/** Every model of every file in models/ (and its subfolders). */
export function repoModels(): ModelCase[] {
  const files = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory()
        ? files(join(dir, e.name))
        : e.name.endsWith(".nn")
          ? [join(dir, e.name)]
          : [],
    );
  return files("models")
    .sort()
    .flatMap((file) => {
      const source = readFileSync(file, "utf8");
      const names = [...source.matchAll(/^model\s+([A-Za-z_]\w*)/gm)].map((m) => m[1]!);
      return names.map((model) => ({
        label: names.length > 1 ? `${file}:${model}` : file,
        file,
        model,
        source,
      }));
    });
}

/** `count` random models from the property tests' generator, the same ones every run. */
export function randomModels(count: number, seed: number): ModelCase[] {
  return fc.sample(randomSource, { seed, numRuns: count }).map((source, i) => ({
    label: `random model ${i}`,
    file: `random${i}.nn`,
    model: "random",
    source,
  }));
}

/** A model whose names are Python's and torch's own words: each must work as any other. */
export const namesCase: ModelCase = {
  label: "names that Python and torch use",
  file: "names.nn",
  model: "names",
  source: [
    "model names {",
    "  input self: [batch, 2]",
    "  input lambda: [batch, 2]",
    "  target None: [batch, 1]",
    "  param training: [2, 3]",
    "  param eval: [2, 3]",
    "  param _parameters: [3] = normal(std: 0.5)",
    "  constructor = tanh(self @ training + lambda @ eval + _parameters)",
    "  dims = constructor |> dense(1)",
    "  output dims, constructor",
    "  loss = mean(mse(dims, None))",
    "  optimizer = adam(lr: 0.01)",
    "}",
  ].join("\n"),
};

/**
 * A small convolutional network with what lenet does not show: a strided and a grouped conv2d
 * padded "same" (asymmetric: a row and a column at the end), batchnorm per channel, both pools
 * with overlapping padded windows, a transpose, dense at rank 4 and 3 (NumPy's matmul, folded in
 * the gradient) and global_avg_pool.
 */
export const imagesCase: ModelCase = {
  label: "a convolutional network of every image op",
  file: "images.nn",
  model: "images",
  source: [
    "model images {",
    "  input x: [batch, 2, 8, 8]",
    "  target y: [batch, 3]",
    '  a = x |> conv2d(4, kernel: 3, padding: "same", stride: 2) |> batchnorm |> relu',
    '  b = a |> conv2d(4, kernel: 2, padding: "same", groups: 2) |> tanh',
    "  c = avg_pool2d(b, 2, stride: 1, padding: 1)",
    "  d = max_pool2d(c, 3, stride: 2, padding: 1)",
    "  e = transpose(d, [0, 1, 3, 2]) |> dense(5) |> relu",
    "  r = reshape(e, [batch, 4, 15]) |> dense(2)",
    "  g = global_avg_pool(e)",
    "  z = (flatten(r) |> dense(3)) + (g |> dense(3))",
    "  p = softmax(z)",
    "  output p",
    "  loss = mean(cross_entropy(p, y))",
    "  optimizer = adam(lr: 0.01)",
    "}",
  ].join("\n"),
};

/** A small network (a dense layer, batchnorm, a dense layer) trained by `optimizer`. */
function network(name: string, optimizer: string, loss = "mean(cross_entropy(p, y))"): ModelCase {
  const source = [
    `model ${name} {`,
    "  input x: [batch, 3]",
    "  target y: [batch, 2]",
    "  h = x |> dense(4) |> batchnorm |> tanh",
    "  s = h |> dense(2)",
    "  p = softmax(s)",
    "  output p, s",
    `  loss = ${loss}`,
    `  optimizer = ${optimizer}`,
    "}",
  ].join("\n");
  return { label: `${name}: ${optimizer}`, file: `${name}.nn`, model: name, source };
}

/** A model whose params are a vector and a scalar: no weight matrix for the default decay. */
function vectors(name: string, optimizer: string): ModelCase {
  const source = [
    `model ${name} {`,
    "  input x: [batch, 2]",
    "  target y: [batch, 2]",
    "  param w: [2] = [0.5, -0.25]",
    "  param c: scalar = 0.1",
    "  z = tanh(x * w + c)",
    "  output z",
    "  loss = mean(quadratic(z, y))",
    `  optimizer = ${optimizer}`,
    "}",
  ].join("\n");
  return { label: `${name}: ${optimizer}`, file: `${name}.nn`, model: name, source };
}

/**
 * Weight decay on every optimizer, coupled and decoupled (adamw), on the default params (the
 * weight matrices), on the ones `decay_params` names (biases, batchnorm's, a scalar) and on none
 * (adamw's default decay where there is no matrix): what no model in models/ shows all of.
 */
export const optimizerCases: ModelCase[] = [
  network("sgd_decay", "sgd(lr: 0.1, weight_decay: 0.05)", "mean(squared_hinge(s, y))"),
  network("momentum_decay", "sgd(lr: 0.1, momentum: 0.9, weight_decay: 0.05)"),
  network(
    "momentum_decay_cosine",
    "sgd(lr: 0.1, momentum: 0.9, weight_decay: 0.05, schedule: cosine)",
  ),
  // not the bias before batchnorm, whose gradient is 0 up to rounding: rmsprop's step on a
  // gradient of wd p alone, far below eps, overshoots by lr wd / eps and amplifies the rounding
  network("rmsprop_decay", "rmsprop(lr: 0.01, weight_decay: 0.05, decay_params: [h.batchnorm, s])"),
  network("adam_decay", "adam(lr: 0.01, weight_decay: 0.05)"),
  network("adamw_default", "adamw(lr: 0.01)"),
  network(
    "adamw_listed",
    "adamw(lr: 0.01, weight_decay: 0.2, decay_params: [h.batchnorm, s.b], warmup: 3, schedule: linear(to: 0.001))",
  ),
  vectors("adamw_nothing", "adamw(lr: 0.05)"),
  vectors("scalar_decay", "sgd(lr: 0.1, momentum: 0.5, weight_decay: 0.1, decay_params: [c])"),
];

/** Every kind of schedule, with and without a horizon, warmup and per-epoch decay. */
export const scheduleCases: ModelCase[] = [
  "sgd(lr: 0.5, schedule: constant)",
  "sgd(lr: 0.5, momentum: 0.9, schedule: linear(to: 0.05))",
  "adam(lr: 0.01, schedule: linear(to: 0.001, steps: 6))",
  "rmsprop(lr: 0.01, schedule: cosine)",
  "sgd(lr: 0.5, schedule: cosine(to: 0.1, steps: 7))",
  "sgd(lr: 0.5, momentum: 0.5, schedule: step(every: 3, factor: 0.5))",
  "adamw(lr: 0.01, schedule: exponential(0.9))",
  "sgd(lr: 0.5, schedule: exponential(0.5, every: 4))",
  "sgd(lr: 0.5, warmup: 4)",
  "adam(lr: 0.01, warmup: 3, schedule: cosine(to: 0.001))",
  "sgd(lr: 0.5, warmup: 5, schedule: linear(to: 0, steps: 2))",
  "sgd(lr: 0.5, decay: 0.5)",
  "sgd(lr: 0.5, momentum: 0.9, warmup: 2, decay: 0.7, schedule: step(every: 2, factor: 0.8))",
].map((optimizer, i) => network(`schedule${i}`, optimizer));

/**
 * Factors on the schedule's rate of each step in the training comparisons: the rate then changes
 * at every step, even under a constant schedule, and the exported step must follow whatever rate
 * its caller sets, as trainStep follows setLearningRate (momentum's velocity is where it shows).
 */
export const JITTER = [1, 0.5, 1.5];

/** The source with every dropout's rate 0, so that training is deterministic. */
export function withoutDropout(source: string): string {
  return source.replace(/dropout\([^)]*\)/g, "dropout(0)");
}

/** A model's data by name; `int` marks indices and classes (Int32Array, int64 in ONNX). */
export type Feed = Record<string, { shape: number[]; data: Float64Array; int?: boolean }>;

/**
 * Random data for `leaves` with the named dims of size `batch`; targets in [0, 1); an int input
 * or target holds integers below its bound (the rows or classes it indexes).
 */
export function randomFeed(model: ModelIR, batch: number, seed: number): Feed {
  const rand = rng(seed);
  const feed: Feed = {};
  const bounds = modelIndexBounds(model);
  const leaves: [Leaf, boolean][] = [
    ...model.inputs.map((l): [Leaf, boolean] => [l, false]),
    ...model.targets.map((l): [Leaf, boolean] => [l, true]),
  ];
  for (const [leaf, target] of leaves) {
    const shape = leaf.shape.map((d) => (typeof d === "number" ? d : batch));
    const n = shape.reduce((a, b) => a * b, 1);
    const bound = bounds.get(leaf.name);
    feed[leaf.name] =
      isInt(leaf.node) && bound !== undefined
        ? {
            shape,
            data: Float64Array.from({ length: n }, () => Math.floor(rand() * bound)),
            int: true,
          }
        : { shape, data: randomArray(n, rand, target ? 0 : -1, 1) };
  }
  return feed;
}

/** The feed as the generated module takes it. */
export function jsFeed(
  feed: Feed,
  type: "f32" | "f64",
): Record<string, Float32Array | Float64Array | Int32Array | number> {
  const out: Record<string, Float32Array | Float64Array | Int32Array | number> = {};
  for (const [k, v] of Object.entries(feed))
    out[k] =
      v.shape.length === 0
        ? v.data[0]!
        : v.int
          ? Int32Array.from(v.data)
          : type === "f32"
            ? Float32Array.from(v.data)
            : v.data;
  return out;
}

export function ortFeed(feed: Feed, type: "f32" | "f64" = "f32"): Record<string, ort.Tensor> {
  const out: Record<string, ort.Tensor> = {};
  for (const [k, v] of Object.entries(feed))
    out[k] = v.int
      ? new ort.Tensor("int64", BigInt64Array.from(v.data, BigInt), v.shape)
      : type === "f32"
        ? new ort.Tensor("float32", Float32Array.from(v.data), v.shape)
        : new ort.Tensor("float64", Float64Array.from(v.data), v.shape);
  return out;
}

export function session(bytes: Uint8Array): Promise<ort.InferenceSession> {
  // warnings (an initializer that is also an input: the training graph's defaults) are expected
  return ort.InferenceSession.create(bytes, { logSeverityLevel: 3, intraOpNumThreads: 1 });
}

/** max |a - b| / max(1, |b|) */
export function maxError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < b.length; i++)
    worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)));
  return Number.isNaN(worst) ? Infinity : worst;
}

/** max |a - b| over max |b| (at least `floor`): the error relative to the tensor's scale */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>, floor = 0): number {
  if (a.length !== b.length) return Infinity;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  scale = Math.max(scale, floor);
  return scale === 0 ? diff : Number.isNaN(diff) ? Infinity : diff / scale;
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "nnc-export-"));
}

/** Params and state as a safetensors file (f64 keeps every bit for the f64 comparisons). */
export function writeWeights(
  path: string,
  model: ModelIR,
  values: Record<string, ArrayLike<number>>,
  type: "f32" | "f64",
): void {
  const tensors = [...model.params, ...model.state].map((l) => ({
    name: l.name,
    shape: l.shape as number[],
    data: type === "f32" ? Float32Array.from(values[l.name]!) : Float64Array.from(values[l.name]!),
  }));
  writeFileSync(path, encodeSafetensors(tensors));
}

export const python = "/usr/bin/python3";

/**
 * Whether Debian's torch can be imported. CI installs it (.ci/run), so there its absence fails
 * the tests; elsewhere the torch tests are skipped with a message that says how to install it.
 */
export function torchAvailable(): boolean {
  const ok = spawnSync(python, ["-c", "import torch"], { stdio: "ignore" }).status === 0;
  if (!ok && process.env["CI"])
    throw new Error(
      "CI needs Debian's python3-torch: .ci/run installs it (apt-get install -y python3-torch)",
    );
  if (!ok)
    console.warn(
      "skipping the torch export tests: /usr/bin/python3 cannot import torch " +
        "(apt-get install -y python3-torch, as .ci/run does)",
    );
  return ok;
}

/** Runs test/export_torch_driver.py over `jobs` in one Python process; returns its results. */
export function runTorchJobs<T>(dir: string, jobs: unknown[]): T[] {
  const input = join(dir, "jobs.json");
  writeFileSync(input, JSON.stringify(jobs));
  const out = execFileSync(python, ["test/export_torch_driver.py", input], {
    encoding: "utf8",
    maxBuffer: 1 << 28,
    env: { ...process.env, OMP_NUM_THREADS: "1" },
  });
  return JSON.parse(out) as T[];
}
