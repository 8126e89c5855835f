// The LeNet workloads of one contender, in its worker process: training at batch 64 (after the
// sanity check's first steps from the shared weights, in the first round), and inference at
// batch 64 and 1 on the first test digits.
import { batchOf, checksum, timeFor } from "./common.ts";
import { lenetData, lenetWeights, SANITY_STEPS } from "./lenet.ts";
import { Skip, type Contender } from "./contenders/contender.ts";
import type { WorkerResult } from "./worker.ts";

const BATCH = 64;

/** The LeNet fields of a worker's result. */
export interface LenetResult {
  /** the loss of each of the first SANITY_STEPS training steps from the shared weights */
  lenetLosses?: number[];
  /** a weighted sum of the inference outputs at batch 64, from the shared weights */
  lenetInferCheck?: number;
  /** what the reader should know: a fallback, a workaround, a workload skipped and why */
  notes?: string[];
}

export async function runLenet(
  c: Contender,
  result: WorkerResult,
  first: boolean,
  record: (r: WorkerResult, workload: string, t: Awaited<ReturnType<typeof timeFor>>) => void,
): Promise<void> {
  const { train, test } = lenetData();
  const init = lenetWeights();
  const notes: string[] = [];
  if (c.lenet) {
    const trainer = await c.lenet(init, BATCH);
    const batches = Array.from({ length: Math.floor(train.n / BATCH) }, (_, b) =>
      batchOf(train, b, BATCH),
    );
    let b = 0;
    if (first)
      result.lenetLosses = Array.from({ length: SANITY_STEPS }, () => {
        const d = batches[b++]!;
        return trainer.stepWithLoss(d.x, d.y);
      });
    const step = () => {
      const d = batches[b++ % batches.length]!;
      trainer.step(d.x, d.y);
    };
    record(result, "lenetTrain", await timeFor(step, 0.4));
  }
  if (c.lenetInfer)
    try {
      for (const b of [64, 1]) {
        const run = await c.lenetInfer(init, b);
        const x = test.x.subarray(0, b * 784);
        if (b === 64) result.lenetInferCheck = checksum((await run(x)) as Float32Array);
        record(result, `lenetInfer${b}`, await timeFor(() => run(x), 0.3, c.inferIsAsync));
      }
    } catch (e) {
      if (!(e instanceof Skip)) throw e;
      notes.push(`inference ${e.message}`);
    }
  notes.push(...(c.lenetNotes ?? []));
  if (notes.length > 0) result.notes = notes;
}
