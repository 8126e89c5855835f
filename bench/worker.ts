// One contender's run of every workload it supports, in its own process (started by run.ts with
// --expose-gc). It prints one line `RESULT {json}`.
import { readdirSync } from "node:fs";
import { PerformanceObserver } from "node:perf_hooks";
import v8 from "node:v8";
import { compile } from "../src/index.ts";
import {
  accuracy,
  batchOf,
  loadMnist,
  mlpBnWeights,
  mlpWeights,
  checksum,
  timeFor,
  type Timing,
  xorSetup,
  type Split,
} from "./common.ts";
import type { Contender, Trainer } from "./contenders/contender.ts";
import { runLenet, type LenetResult } from "./lenet-worker.ts";
import { lenetData, lenetWeights } from "./lenet.ts";

export interface Alloc {
  bytesPerStep: number;
  arrayBytesPerStep: number;
  steps: number;
  /** collections during the measurement (then the bytes are a lower bound) */
  gcs: number;
}

export interface WorkerResult extends LenetResult {
  contender: string;
  backend?: string;
  /** seconds per call of each timed repetition, by workload: CPU time, and wall-clock time */
  reps: Record<string, number[]>;
  wallReps: Record<string, number[]>;
  accuracy?: number;
  /** a weighted sum of the inference outputs at batch 64, to check that contenders agree */
  inferCheck?: number;
  alloc?: Alloc;
  /** the same for `grad` calls, where the contender has them */
  gradAlloc?: Alloc;
  /** the same for a LeNet training step (nnc's builds) */
  lenetAlloc?: Alloc;
  compileMs?: Record<string, { cold: number; warm: number }>;
}

const BATCH = 64;

async function contender(name: string): Promise<{ c: Contender; backend?: string }> {
  const nnc = await import("./contenders/nnc.ts");
  if ((nnc.VARIANTS as readonly string[]).includes(name))
    return { c: nnc.nnc(name as (typeof nnc.VARIANTS)[number]) };
  if (name === "handwritten")
    return { c: (await import("./contenders/handwritten.ts")).handwritten };
  if (name === "ort") return { c: (await import("./contenders/ort.ts")).onnxRuntime };
  const backend = name === "tfjs-wasm" ? "wasm" : "cpu";
  const m = await import("./contenders/tfjs.ts");
  return { c: m.tfjs(backend), backend: await m.useBackend(backend) };
}

function stepper(t: Trainer, train: Split) {
  const batches = Array.from({ length: Math.floor(train.n / BATCH) }, (_, b) =>
    batchOf(train, b, BATCH),
  );
  let b = 0;
  return () => {
    const d = batches[b++ % batches.length]!;
    t.step(d.x, d.y);
  };
}

/** Warm-up: at least `n` calls and a second (for the optimizing compiler on a busy machine). */
function warmUp(fn: () => void, n: number): void {
  const t0 = performance.now();
  for (let i = 0; i < n || performance.now() - t0 < 1000; i++) fn();
}

/** Bytes in use in the young generation, where new objects are allocated (the old generation's
 * number moves with concurrent sweeping). */
function heapUsed(): number {
  return v8
    .getHeapSpaceStatistics()
    .filter((s) => s.space_name.startsWith("new_"))
    .reduce((a, s) => a + s.space_used_size, 0);
}

/**
 * Bytes allocated per call in steady state: after warm-up (and no forced collection, which would
 * drop optimized code), the growth of the heap over `n` calls and over 2n calls; their difference
 * over n is the calls' allocation alone (the measurement's own allocations cancel). A collection
 * during the measurement frees memory and makes the number a lower bound: `gcs` counts them.
 */
async function allocation(fn: () => void, n: number): Promise<Alloc> {
  warmUp(fn, n);
  let gcs = 0;
  const obs = new PerformanceObserver((list) => (gcs += list.getEntries().length));
  obs.observe({ entryTypes: ["gc"] });
  const grow = (calls: number) => {
    const h0 = heapUsed();
    const a0 = process.memoryUsage().arrayBuffers;
    for (let i = 0; i < calls; i++) fn();
    return [heapUsed() - h0, process.memoryUsage().arrayBuffers - a0] as const;
  };
  const [h1, a1] = grow(n);
  const [h2, a2] = grow(2 * n);
  await new Promise((resolve) => setTimeout(resolve, 20));
  obs.disconnect();
  return { bytesPerStep: (h2 - h1) / n, arrayBytesPerStep: (a2 - a1) / n, steps: n, gcs };
}

/**
 * The allocation run, in a process of its own with one model, as a user's program has. The batch
 * is small (buffers are sized once, so allocation does not depend on it) so that many calls fit in
 * a short time, which makes the measurement fine-grained. nnc's builds measure a LeNet training
 * step too (`lenetOnly`: that one alone).
 */
async function allocationRun(
  c: Contender,
  result: WorkerResult,
  lenetOnly: boolean,
): Promise<void> {
  const batch = 4;
  const n = c.name.startsWith("nnc") ? 1500 : c.name.startsWith("tfjs") ? 30 : 500;
  /** steps over 64 batches of `train`, in turn */
  const steps = (train: Split, step: (x: Float32Array, y: Float32Array) => void) => {
    const batches = Array.from({ length: 64 }, (_, b) => batchOf(train, b, batch));
    let b = 0;
    return () => {
      const d = batches[b++ & 63]!;
      step(d.x, d.y);
    };
  };
  if (c.mlp && !lenetOnly) {
    const { train } = loadMnist();
    const trainer = await c.mlp(mlpWeights(), batch);
    result.alloc = await allocation(steps(train, trainer.step.bind(trainer)), n);
    if (trainer.grad) {
      const d = batchOf(train, 0, batch);
      result.gradAlloc = await allocation(trainer.grad.bind(trainer, d.x, d.y), n);
    }
  }
  if (c.lenet && c.name.startsWith("nnc")) {
    const trainer = await c.lenet(lenetWeights(), batch);
    result.lenetAlloc = await allocation(steps(lenetData().train, trainer.step), 500);
  }
}

function compileTimes(target: "js" | "wasm"): WorkerResult["compileMs"] {
  const files = [
    ...readdirSync(new URL("../models/", import.meta.url)).map((f) => `../models/${f}`),
    ...readdirSync(new URL("./models/", import.meta.url)).map((f) => `./models/${f}`),
  ].filter((f) => f.endsWith(".nn"));
  const out: NonNullable<WorkerResult["compileMs"]> = {};
  for (const f of files) {
    const { readFileSync } = process.getBuiltinModule("node:fs");
    const src = readFileSync(new URL(f, import.meta.url), "utf8");
    const once = () => {
      const t0 = performance.now();
      compile(src, { file: f, target });
      return performance.now() - t0;
    };
    const cold = once();
    for (let i = 0; i < 5; i++) once();
    const warm = Array.from({ length: 9 }, once).sort((a, b) => a - b)[4]!;
    out[f.replace(/^\.\.\//, "").replace(/^\.\//, "bench/")] = { cold, warm };
  }
  return out;
}

export function record(result: WorkerResult, workload: string, t: Timing): void {
  result.reps[workload] = t.reps;
  result.wallReps[workload] = t.wallReps;
}

/** The MLP and small-model workloads (1 to 4); with the compile times in nnc's first round. */
async function mlpWorkloads(c: Contender, name: string, result: WorkerResult, first: boolean) {
  const { train, test } = loadMnist();
  if (c.mlp) {
    // from the shared initial weights, in the shared order (one model per process, as a user has)
    const trainer = await c.mlp(mlpWeights(), BATCH);
    const step = stepper(trainer, train);
    if (first) {
      // one epoch, for the accuracy
      const epoch = Math.floor(train.n / BATCH);
      for (let b = 0; b < epoch; b++) step();
      result.accuracy = accuracy(trainer.weights(), test);
    }
    record(result, "train", await timeFor(step, 0.4));
  }
  if (c.mlpBn) {
    const step = stepper(await c.mlpBn(mlpBnWeights(), BATCH), train);
    record(result, "trainBn", await timeFor(step, 0.4));
  }
  if (c.infer) {
    for (const b of [64, 1]) {
      const run = await c.infer(mlpWeights(), b);
      const x = test.x.subarray(0, b * 784);
      if (b === 64) result.inferCheck = checksum((await run(x)) as Float32Array);
      record(result, `infer${b}`, await timeFor(() => run(x), 0.3, c.inferIsAsync));
    }
  }
  if (c.xor) {
    const { weights, x, y } = xorSetup();
    const step = await c.xor(weights);
    record(result, "xor", await timeFor(() => step(x, y), 0.3));
  }
  if (c.neuron) {
    const grad = await c.neuron();
    record(result, "neuron", await timeFor(grad, 0.3));
  }
}

/**
 * The first round also trains one epoch for the accuracy, runs LeNet's sanity steps, measures
 * allocation and compile times; later rounds only time, so that the contenders' rounds
 * interleave over the run. `lenetOnly` runs the LeNet workloads alone.
 */
async function main(name: string, round: string, lenetOnly: boolean): Promise<WorkerResult> {
  const first = round === "0";
  if (name === "pytorch") return (await import("./contenders/pytorch.ts")).pytorch(first);
  const { c, backend } = await contender(name);
  const result: WorkerResult = {
    contender: c.name,
    reps: {},
    wallReps: {},
    ...(backend ? { backend } : {}),
  };
  if (round === "alloc") {
    await allocationRun(c, result, lenetOnly);
    return result;
  }
  if (name === "nnc" && first) result.compileMs = compileTimes("js");
  if (name === "nnc-wasm" && first) result.compileMs = compileTimes("wasm");
  if (!lenetOnly) await mlpWorkloads(c, name, result, first);
  await runLenet(c, result, first, record);
  return result;
}

const name = process.argv[2];
if (!name) throw new Error("usage: worker.ts CONTENDER [ROUND | alloc] [lenet]");
main(name, process.argv[3] ?? "0", process.argv[4] === "lenet").then(
  (r) => process.stdout.write(`RESULT ${JSON.stringify(r)}\n`),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
