// PyTorch on one thread (Debian's python3-torch at /usr/bin/python3), the LeNet and the sequence
// workloads: this worker writes the shared weights and data as safetensors files, and
// bench/contenders/pytorch_lenet.py (pytorch_sequence.py) trains and infers with them, timing
// itself as the other workers do. Where python3 has no torch, the contender is skipped with a note.
import { execFileSync, spawnSync } from "node:child_process";
import { REPS } from "../common.ts";
import { LENET_SGD, SANITY_STEPS, writeLenetFiles } from "../lenet.ts";
import { SEQ_BATCH, SEQ_BATCHES, SEQ_SANITY_STEPS, seqModel, writeSeqFile } from "../sequence.ts";
import type { WorkerResult } from "../worker.ts";

export const python = "/usr/bin/python3";

/** one thread for every pool the libraries might start */
const env = { ...process.env, OMP_NUM_THREADS: "1", MKL_NUM_THREADS: "1" };

/** Why the contender cannot run here, or null. */
function missing(): string | null {
  return spawnSync(python, ["-c", "import torch"], { stdio: "ignore", env }).status !== 0
    ? `skipped: ${python} cannot import torch`
    : null;
}

/** Runs a script of this folder; its last line `RESULT {json}` is the result. */
function run(script: string, args: string[]): WorkerResult & { losses?: number[] } {
  const out = execFileSync(python, [new URL(script, import.meta.url).pathname, ...args], {
    encoding: "utf8",
    env,
    stdio: ["ignore", "pipe", "inherit"],
    maxBuffer: 1 << 24,
  });
  const line = out.split("\n").find((l) => l.startsWith("RESULT "));
  if (!line) throw new Error(`${script} printed no result`);
  return JSON.parse(line.slice("RESULT ".length)) as WorkerResult & { losses?: number[] };
}

export function pytorch(first: boolean): WorkerResult {
  const none: WorkerResult = { contender: "pytorch", reps: {}, wallReps: {} };
  const why = missing();
  if (why) return { ...none, notes: [why] };
  const files = writeLenetFiles();
  const config = {
    batch: 64,
    reps: REPS,
    first,
    sanitySteps: SANITY_STEPS,
    trainSeconds: 0.4,
    inferSeconds: 0.3,
    ...LENET_SGD,
  };
  return run("./pytorch_lenet.py", [files.weights, files.data, JSON.stringify(config)]);
}

/** The sequence workload `key` (gpt, makemore): pytorch_sequence.py on the shared file. */
export function pytorchSequence(key: string, first: boolean): WorkerResult & { losses?: number[] } {
  const why = missing();
  if (why) return { contender: "pytorch", reps: {}, wallReps: {}, notes: [why] };
  const m = seqModel(key);
  const config = {
    batch: SEQ_BATCH,
    context: m.context,
    batches: SEQ_BATCHES,
    first,
    sanitySteps: SEQ_SANITY_STEPS,
    seconds: 0.4,
    reps: REPS,
  };
  return run("./pytorch_sequence.py", [key, writeSeqFile(m), JSON.stringify(config)]);
}
