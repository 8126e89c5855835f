// One contender's run of one sequence workload, in its own process (sequence-run.ts starts it
// with --expose-gc): nnc's generated module on the wasm target (`nnc-wasm`) or the JS target
// (`nnc`), PyTorch on one thread, or llm.c. It prints one line `RESULT {json}`: the seconds per
// training step of each timed repetition (CPU time and wall-clock time), and in the first round
// the losses of the first steps from the shared weights, the bytes a step allocates and the
// compile times.
import { compile } from "../src/index.ts";
import { allocation, type Alloc } from "./alloc.ts";
import { timeFor } from "./common.ts";
import { llmc } from "./contenders/llmc.ts";
import {
  SEQ_BATCH,
  SEQ_SANITY_STEPS,
  seqBatches,
  seqModel,
  seqSource,
  seqWeights,
  type SeqModel,
} from "./sequence.ts";

export interface SeqResult {
  contender: string;
  workload: string;
  /** seconds per step of each repetition: CPU time, and wall-clock time */
  cpu?: number[];
  wall?: number[];
  losses?: number[];
  alloc?: Alloc;
  /** ms of CPU time to compile the model: the first compile in the process, and a later one */
  compileMs?: { cold: number; warm: number };
  /** the target the module was written for, and why not the one asked for */
  target?: string;
  targetNote?: string;
  notes?: string[];
}

interface Model {
  params: Record<string, Float32Array>;
  trainStep(feed: Record<string, Int32Array>): number;
}

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

async function nnc(m: SeqModel, target: "js" | "wasm", first: boolean): Promise<SeqResult> {
  const source = seqSource(m);
  const build = () => compile(source, { file: m.file, dtype: "f32", target });
  const t0 = cpuMs();
  const compiled = build();
  const cold = cpuMs() - t0;
  const result: SeqResult = {
    contender: target === "wasm" ? "nnc-wasm" : "nnc",
    workload: m.key,
    target: compiled.target,
    ...(compiled.targetNote ? { targetNote: compiled.targetNote } : {}),
  };
  if (first) {
    const times = Array.from({ length: 5 }, () => {
      const t = cpuMs();
      build();
      return cpuMs() - t;
    }).sort((a, b) => a - b);
    result.compileMs = { cold, warm: times[2]! };
  }
  const make = () => {
    const model = (compiled.load() as unknown as { createModel(o: object): Model }).createModel({
      seed: 1,
      batch: SEQ_BATCH,
    });
    const init = seqWeights(m);
    for (const [k, v] of Object.entries(init)) model.params[k]!.set(v);
    return model;
  };
  const batches = seqBatches(m).map((b) => ({ [m.input]: b.input, [m.target]: b.target }));
  const model = make();
  let k = 0;
  const step = () => model.trainStep(batches[k++ % batches.length]!);
  if (first) result.losses = Array.from({ length: SEQ_SANITY_STEPS }, step);
  const t = await timeFor(step, 0.4);
  result.cpu = t.reps;
  result.wall = t.wallReps;
  // a model of its own for the allocation, as a user's program has one, at batch 4 (buffers are
  // sized once, so a step's allocation does not depend on the batch) so that many steps fit
  if (first) {
    const fresh = make();
    const small = seqBatches(m).map((b) => ({
      [m.input]: b.input.subarray(0, 4 * m.context),
      [m.target]: b.target.subarray(0, 4 * m.targetsPerExample),
    }));
    let j = 0;
    result.alloc = await allocation(
      () => {
        fresh.trainStep(small[j++ % small.length]!);
      },
      m.key === "gpt" ? 300 : 1500,
    );
  }
  return result;
}

async function main(name: string, key: string, round: string): Promise<SeqResult> {
  const first = round === "0";
  const m = seqModel(key);
  if (name === "nnc-wasm" || name === "nnc") return nnc(m, name === "nnc" ? "js" : "wasm", first);
  if (name === "pytorch") {
    const r = (await import("./contenders/pytorch.ts")).pytorchSequence(key, first);
    return {
      contender: "pytorch",
      workload: key,
      ...(r.reps[key] ? { cpu: r.reps[key], wall: r.wallReps[key] } : {}),
      ...(r.losses ? { losses: r.losses } : {}),
      ...(r.notes ? { notes: r.notes } : {}),
    };
  }
  if (name === "llmc") {
    const { cpu, wall, losses, notes } = llmc();
    return {
      contender: "llmc",
      workload: key,
      ...(cpu && wall ? { cpu, wall } : {}),
      ...(losses && first ? { losses } : {}),
      notes,
    };
  }
  throw new Error(`no sequence contender ${name}`);
}

const [name, key, round] = process.argv.slice(2);
if (!name || !key) throw new Error("usage: sequence-worker.ts CONTENDER gpt|makemore [ROUND]");
main(name, key, round ?? "0").then(
  (r) => process.stdout.write(`RESULT ${JSON.stringify(r)}\n`),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
