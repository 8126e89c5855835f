// Evaluation on held-out data: the loss in inference mode (running batchnorm statistics, no
// dropout) and the accuracy of the first output against the first target.
//
// The generated module's `loss` runs in training mode, so the evaluator emits a twin of the model
// whose training graph is its inference graph; before each evaluation it copies the trained
// model's params and state into the twin.
import { emitModule, loadModule, type GeneratedModel } from "../codegen/index.ts";
import type { ModelIR } from "../ir/model.ts";
import type { Dataset, Field, FloatArray } from "./data.ts";

export interface Evaluation {
  loss: number;
  /** fraction right, or null where the target is not a class (a regression) */
  accuracy: number | null;
}

/** Examples per call of the twin: bounds its buffers. */
const chunk = 1000;

export class Evaluator {
  private readonly twin: GeneratedModel;
  private readonly outputName: string | undefined;

  constructor(
    readonly model: ModelIR,
    dtype: "f32" | "f64",
  ) {
    const inferOnly: ModelIR = { ...model, train: { ...model.infer, stateUpdates: [] } };
    this.twin = loadModule(emitModule(inferOnly, { dtype, bind: {}, grads: [] }).js).createModel(
      {},
    );
    const target = model.targets[0];
    const sameShape = (a: readonly unknown[], b: readonly unknown[]) =>
      a.length === b.length && a.every((d, i) => d === b[i]);
    this.outputName = target
      ? model.infer.outputs.find((o) => sameShape(o.node.shape, target.shape))?.name
      : undefined;
  }

  evaluate(trained: GeneratedModel, data: Dataset): Evaluation {
    for (const [k, v] of Object.entries(trained.params)) this.twin.params[k]!.set(v);
    for (const [k, v] of Object.entries(trained.state)) this.twin.state[k]!.set(v);
    const target = data.fields.find((f) => f.role === "target");
    const classify = target ? classifier(target) : null;
    let lossSum = 0;
    let right = 0;
    for (let from = 0, n = 0; from < data.n; from += n) {
      // a last chunk of one example would be too small for a batch-statistics check
      n = data.n - from <= chunk + 1 ? data.n - from : chunk;
      const feed = slice(data, from, n);
      lossSum += this.twin.loss(feed) * n;
      if (classify && this.outputName !== undefined) {
        const out = this.twin.forward(feed)[this.outputName] as FloatArray;
        right += classify(out, from, n);
      }
    }
    const accuracy = classify && this.outputName !== undefined ? right / data.n : null;
    return { loss: data.n > 0 ? lossSum / data.n : NaN, accuracy };
  }
}

export function slice(data: Dataset, from: number, n: number): Record<string, FloatArray> {
  const feed: Record<string, FloatArray> = Object.create(null);
  for (const f of data.fields) feed[f.name] = f.data.subarray(from * f.width, (from + n) * f.width);
  return feed;
}

/**
 * Counts right answers: the argmax of a one-hot target, or a 0/1 target against 0.5. Returns
 * null for a target that is not a class (any other values): accuracy means nothing there.
 */
function classifier(target: Field) {
  const w = target.width;
  const y = target.data;
  if (w === 1) {
    for (let i = 0; i < y.length; i++) if (y[i] !== 0 && y[i] !== 1) return null;
    return (p: FloatArray, from: number, n: number) => {
      let right = 0;
      for (let i = 0; i < n; i++) if ((p[i]! > 0.5 ? 1 : 0) === y[from + i]) right++;
      return right;
    };
  }
  for (let r = 0; r < y.length / w; r++) {
    let ones = 0;
    for (let j = 0; j < w; j++) {
      const v = y[r * w + j]!;
      if (v !== 0 && v !== 1) return null;
      ones += v;
    }
    if (ones !== 1) return null;
  }
  return (p: FloatArray, from: number, n: number) => {
    let right = 0;
    for (let i = 0; i < n; i++) {
      if (argmax(p, i * w, w) === argmax(y, (from + i) * w, w)) right++;
    }
    return right;
  };
}

function argmax(a: FloatArray, base: number, w: number): number {
  let best = 0;
  for (let j = 1; j < w; j++) if (a[base + j]! > a[base + best]!) best = j;
  return best;
}
