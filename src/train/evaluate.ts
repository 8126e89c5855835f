// Evaluation on held-out data: the loss in inference mode (running batchnorm statistics, no
// dropout) and the accuracy, as the model's `metric` declares it or as labels.ts infers it.
//
// The generated module's `loss` runs in training mode, so the evaluator emits a twin of the model
// whose training graph is its inference graph, on the trained module's target; before each
// evaluation it copies the trained model's params and state into the twin.
import { emitModule, loadModule, type GeneratedModel } from "../codegen/index.ts";
import type { ModelIR } from "../ir/model.ts";
import type { Dataset, FloatArray } from "./data.ts";
import { accuracyRule, metricOutput } from "./labels.ts";

export interface Evaluation {
  loss: number;
  /** fraction right, or null where the target is not a class (a regression) */
  accuracy: number | null;
}

/** Examples per call of the twin: bounds its buffers. */
const chunk = 1000;

export class Evaluator {
  private readonly twin: GeneratedModel;

  constructor(
    readonly model: ModelIR,
    dtype: "f32" | "f64",
    target: "js" | "wasm" = "js",
  ) {
    // a metric's prediction that is no output of the model is one of the twin's
    const metric = model.metric;
    const extra =
      metric && !model.infer.outputs.some((o) => o.node === metric.prediction)
        ? [{ name: metricOutput, node: metric.prediction }]
        : [];
    const infer = { ...model.infer, outputs: [...model.infer.outputs, ...extra] };
    const inferOnly: ModelIR = { ...model, infer, train: { ...infer, stateUpdates: [] } };
    const twin = emitModule(inferOnly, { dtype, bind: {}, grads: [], target });
    this.twin = loadModule(twin.js).createModel({});
  }

  evaluate(trained: GeneratedModel, data: Dataset): Evaluation {
    for (const [k, v] of Object.entries(trained.params)) this.twin.params[k]!.set(v);
    for (const [k, v] of Object.entries(trained.state)) this.twin.state[k]!.set(v);
    const rule = accuracyRule(this.model, data.fields);
    let lossSum = 0;
    let right = 0;
    for (let from = 0, n = 0; from < data.n; from += n) {
      // a last chunk of one example would be too small for a batch-statistics check
      n = data.n - from <= chunk + 1 ? data.n - from : chunk;
      const feed = slice(data, from, n);
      lossSum += this.twin.loss(feed) * n;
      if (rule) right += rule.right(this.twin.forward(feed)[rule.output] as FloatArray, from, n);
    }
    return { loss: data.n > 0 ? lossSum / data.n : NaN, accuracy: rule ? right / data.n : null };
  }
}

export function slice(data: Dataset, from: number, n: number): Record<string, FloatArray> {
  const feed: Record<string, FloatArray> = Object.create(null);
  for (const f of data.fields) feed[f.name] = f.data.subarray(from * f.width, (from + n) * f.width);
  return feed;
}
