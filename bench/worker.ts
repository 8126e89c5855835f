// One contender's run of every workload it supports, in its own process (started by run.ts with
// --expose-gc). It prints one line `RESULT {json}`.
import { readdirSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { compile } from "../src/index.ts";
import {
  accuracy,
  batchOf,
  loadMnist,
  mlpBnWeights,
  mlpWeights,
  time,
  xorSetup,
  type Split,
  type Timing,
} from "./common.ts";
import type { Contender, Trainer } from "./contenders/contender.ts";

export interface Alloc {
  bytesPerStep: number;
  arrayBytesPerStep: number;
  steps: number;
}

export interface WorkerResult {
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
  compileMs?: Record<string, { cold: number; warm: number }>;
}

const BATCH = 64;
/** timed repetitions per workload in one round */
const REPS = 3;

async function contender(name: string): Promise<{ c: Contender; backend?: string }> {
  if (name === "nnc" || name === "nnc-dynamic")
    return { c: (await import("./contenders/nnc.ts")).nnc(name === "nnc-dynamic") };
  if (name === "handwritten")
    return { c: (await import("./contenders/handwritten.ts")).handwritten };
  if (name === "ort") return { c: (await import("./contenders/ort.ts")).onnxRuntime };
  const backend = name === "tfjs-wasm" ? "wasm" : "cpu";
  const m = await import("./contenders/tfjs.ts");
  return { c: m.tfjs(backend), backend: await m.useBackend(backend) };
}

/** Timing with enough calls per repetition to last about `seconds`. */
async function timeFor(fn: () => unknown, seconds: number, isAsync = false): Promise<Timing> {
  const probe = await time(fn, { warmup: 3, calls: 3, reps: 1, async: isAsync });
  const calls = Math.max(3, Math.round(seconds / Math.max(probe.perCall, 1e-7)));
  return time(fn, { warmup: Math.max(5, calls >> 1), calls, reps: REPS, async: isAsync });
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

interface ProfileNode {
  callFrame: { functionName: string };
  selfSize: number;
  children: ProfileNode[];
}

/** Runs `step` `n` times under a frame the heap profile can be searched for. */
function measuredSteps(step: () => void, n: number): void {
  for (let i = 0; i < n; i++) step();
}

/**
 * Bytes allocated per call in steady state, by V8's sampling heap profiler (every object counted,
 * also those a collection has freed again): after warm-up, the bytes allocated under
 * `measuredSteps`, that is by the calls and nothing else, divided by the number of calls. Array
 * buffers (typed arrays' storage) are counted by the growth of `arrayBuffers` as well.
 */
async function allocation(step: () => void, steps: number): Promise<WorkerResult["alloc"]> {
  const session = new Session();
  session.connect();
  await session.post("HeapProfiler.startSampling", {
    samplingInterval: 16,
    includeObjectsCollectedByMinorGC: true,
    includeObjectsCollectedByMajorGC: true,
  });
  // starting the profiler drops optimized code (V8 turns inline allocation off): warm up again
  for (let i = 0; i < steps; i++) step();
  const a0 = process.memoryUsage().arrayBuffers;
  measuredSteps(step, steps);
  const a1 = process.memoryUsage().arrayBuffers;
  const { profile } = (await session.post("HeapProfiler.stopSampling")) as {
    profile: { head: ProfileNode };
  };
  session.disconnect();
  const total = (n: ProfileNode): number => n.children.reduce((s, c) => s + total(c), n.selfSize);
  const under = (n: ProfileNode): number =>
    n.callFrame.functionName === "measuredSteps"
      ? total(n)
      : n.children.reduce((s, c) => s + under(c), 0);
  if (process.env["BENCH_ALLOC_DEBUG"]) {
    const dump = (n: ProfileNode, path: string[]): void => {
      const p = [...path, n.callFrame.functionName];
      if (n.selfSize > 0 && p.includes("measuredSteps"))
        console.error(n.selfSize / steps, p.slice(p.indexOf("measuredSteps")).join(" > "));
      n.children.forEach((c) => dump(c, p));
    };
    dump(profile.head, []);
  }
  return {
    bytesPerStep: under(profile.head) / steps,
    arrayBytesPerStep: Math.max(0, a1 - a0) / steps,
    steps,
  };
}

function compileTimes(): WorkerResult["compileMs"] {
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
      compile(src, { file: f });
      return performance.now() - t0;
    };
    const cold = once();
    for (let i = 0; i < 5; i++) once();
    const warm = Array.from({ length: 9 }, once).sort((a, b) => a - b)[4]!;
    out[f.replace(/^\.\.\//, "").replace(/^\.\//, "bench/")] = { cold, warm };
  }
  return out;
}

function record(result: WorkerResult, workload: string, t: Timing): void {
  result.reps[workload] = t.reps;
  result.wallReps[workload] = t.wallReps;
}

function checksum(p: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < p.length; i++) s += p[i]! * ((i % 7) + 1);
  return s;
}

/**
 * The first round also trains one epoch for the accuracy, measures allocation and compile times;
 * later rounds only time, so that the contenders' rounds interleave over the run.
 */
async function main(name: string, first: boolean): Promise<WorkerResult> {
  const { c, backend } = await contender(name);
  const result: WorkerResult = {
    contender: c.name,
    reps: {},
    wallReps: {},
    ...(backend ? { backend } : {}),
  };
  if (name === "nnc" && first) result.compileMs = compileTimes();
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
    if (first) result.alloc = await allocation(step, name.startsWith("tfjs") ? 20 : 300);
    if (first && trainer.grad) {
      const d = batchOf(train, 0, BATCH);
      const grad = trainer.grad.bind(trainer, d.x, d.y);
      result.gradAlloc = await allocation(grad, 300);
    }
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
  return result;
}

const name = process.argv[2];
if (!name) throw new Error("usage: worker.ts CONTENDER [ROUND]");
main(name, (process.argv[3] ?? "0") === "0").then(
  (r) => process.stdout.write(`RESULT ${JSON.stringify(r)}\n`),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
