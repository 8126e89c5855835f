// PyTorch on one thread (Debian's python3-torch at /usr/bin/python3), LeNet workloads only: this
// worker writes the shared weights and data as safetensors files, and bench/contenders/
// pytorch_lenet.py trains and infers with them, timing itself as the other workers do. Where
// python3 has no torch, the contender is skipped with a note.
import { execFileSync, spawnSync } from "node:child_process";
import { REPS } from "../common.ts";
import { LENET_SGD, SANITY_STEPS, writeLenetFiles } from "../lenet.ts";
import type { WorkerResult } from "../worker.ts";

export const python = "/usr/bin/python3";

/** one thread for every pool the libraries might start */
const env = { ...process.env, OMP_NUM_THREADS: "1", MKL_NUM_THREADS: "1" };

export function pytorch(first: boolean): WorkerResult {
  const none: WorkerResult = { contender: "pytorch", reps: {}, wallReps: {} };
  if (spawnSync(python, ["-c", "import torch"], { stdio: "ignore", env }).status !== 0)
    return { ...none, notes: [`skipped: ${python} cannot import torch`] };
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
  const script = new URL("./pytorch_lenet.py", import.meta.url).pathname;
  const out = execFileSync(python, [script, files.weights, files.data, JSON.stringify(config)], {
    encoding: "utf8",
    env,
    stdio: ["ignore", "pipe", "inherit"],
    maxBuffer: 1 << 24,
  });
  const line = out.split("\n").find((l) => l.startsWith("RESULT "));
  if (!line) throw new Error("pytorch_lenet.py printed no result");
  return JSON.parse(line.slice("RESULT ".length)) as WorkerResult;
}
