// Training a model on the MNIST digits in the page's worker, as `nnc train --data mnist` does:
// the same 8,000 training and 2,000 held-out digits, the same trainer, seed and batch size.
import {
  fit,
  Trainer,
  type Compiled,
  type Dataset,
  type EpochReport,
  type StepInfo,
  type Table,
} from "nnc";
import { pixels, type DigitTables } from "./digits.ts";
import { compileForTraining, type SourceSpec } from "./session.ts";

export interface MnistSetup extends SourceSpec {
  epochs: number;
  batch: number;
  seed: number;
}

const header = [...Array.from({ length: pixels }, (_, i) => `px${i}`), "label"];

function table(t: DigitTables["train"], file: string): Table {
  const lines = new Int32Array(t.rows).fill(1);
  return { file, header, columns: pixels + 1, rows: t.rows, values: t.values, lines };
}

function checkShape(c: Compiled): void {
  const m = c.model;
  const [x] = m.inputs;
  const [y] = m.targets;
  const fits =
    m.inputs.length === 1 &&
    m.targets.length === 1 &&
    x!.shape.length === 2 &&
    x!.shape[1] === pixels &&
    y!.shape.length === 2 &&
    y!.shape[1] === 10 &&
    m.train.loss !== null;
  if (!fits)
    throw new Error(
      `the MNIST tab trains a model with one input [batch, 784] (the pixels), one target [batch, 10] ` +
        `(the class, one-hot) and a loss; \`${m.name}\` has ` +
        [...m.inputs, ...m.targets].map((l) => `${l.name}: [${l.shape.join(", ")}]`).join(", "),
    );
}

export class MnistSession {
  readonly compiled: Compiled;
  readonly trainer: Trainer;
  private readonly train: Dataset;

  constructor(setup: MnistSetup, digits: DigitTables) {
    this.compiled = compileForTraining(setup);
    checkShape(this.compiled);
    this.train = fit(table(digits.train, "mnist (train)"), this.compiled.model, "mnist (train)");
    const test = fit(table(digits.test, "mnist (test)"), this.compiled.model, "mnist (test)");
    this.trainer = new Trainer(this.compiled, this.train, test, {
      epochs: setup.epochs,
      batch: setup.batch,
      seed: setup.seed,
    });
  }

  /** Trains every epoch; `step` after each step, `epoch` after each epoch (and before, epoch 0). */
  run(step: (s: StepInfo) => void, epoch: (e: EpochReport) => void) {
    return this.trainer.run({ step, epochEnd: epoch });
  }

  /** The class probabilities of one image (784 pixels in [0, 1]). */
  predict(image: Float32Array): Float32Array {
    const name = this.compiled.model.inputs[0]!.name;
    const out = this.compiled.model.infer.outputs[0]!;
    const values = Float32Array.from(
      this.trainer.model.forward({ [name]: image })[out.name] as ArrayLike<number>,
    );
    if (out.node.op === "softmax") return values;
    // scores, not probabilities: softmax them
    const top = Math.max(...values);
    const e = values.map((v) => Math.exp(v - top));
    const sum = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / sum);
  }
}
