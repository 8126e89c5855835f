// Training a model on a toy data set of the plane, step by step, for the Train tab's worker:
// shuffled mini-batches through the generated module's trainStep, and reports with the loss and
// accuracy of the training and test points, each layer's gradient norm and the decision regions.
import { fit, toyData, Trainer, type Compiled, type Dataset, type ToyKind } from "nnc";
import { boundsOf, classify, gridPoints, type Reading } from "./heat.ts";
import {
  compileForTraining,
  leavesText,
  seeded,
  shuffleInPlace,
  type SourceSpec,
} from "./session.ts";

export interface ToySetup extends SourceSpec {
  data: { kind: ToyKind; n: number; noise: number; seed: number };
  batch: number;
  seed: number;
  /** the learning rate (absent: the source's) */
  lr?: number;
  /** cells per side of the decision regions' grid */
  cells: number;
}

export interface ToyInfo {
  target: "js" | "wasm";
  /** the params' elements: about the multiply-adds of one example's forward pass */
  size: number;
  /** cells per side of the decision regions' grid (fewer for a large model) */
  cells: number;
  /** the training and test points each report evaluates (all, or the first few for a large model) */
  evaluated: number;
  targetNote?: string;
  model: string;
  optimizer: string;
  lr: number;
  batch: number;
  classes: number;
  bounds: [number, number, number, number];
  /** x1, x2, label per point */
  train: Float32Array;
  test: Float32Array;
}

export interface ToyReport {
  step: number;
  /** passes over the training points */
  epoch: number;
  /** the mean loss of the steps since the last report */
  stepLoss: number;
  train: { loss: number; accuracy: number | null };
  test: { loss: number; accuracy: number | null };
  gradNorms: { layer: string; norm: number }[];
  /** class and confidence per cell of the grid (row by row from the top) */
  regions: Float32Array;
}

/** How the model must look for the Train tab, with what to do otherwise. */
function checkShape(c: Compiled): void {
  const m = c.model;
  const [x] = m.inputs;
  const fits =
    m.inputs.length === 1 &&
    m.targets.length === 1 &&
    x!.shape.length === 2 &&
    typeof x!.shape[0] === "string" &&
    x!.shape[1] === 2 &&
    m.infer.outputs.length > 0 &&
    m.train.loss !== null;
  if (!fits)
    throw new Error(
      `the Train tab trains a model with one input [batch, 2] (a point of the plane), one target ` +
        `and a loss; \`${m.name}\` has ${leavesText(m)}`,
    );
}

/** How the target holds classes: k one-hot columns, or one column of 0/1 or -1/+1 labels. */
function labelling(c: Compiled) {
  const y = c.model.targets[0]!;
  const width = y.shape.slice(1).reduce<number>((a, d) => a * (typeof d === "number" ? d : 1), 1);
  const signs = (c.model.labels ?? []).some((l) => l.target === y.name && l.values.includes(-1));
  return { width, signs };
}

function reading(c: Compiled, width: number, signs: boolean): Reading {
  const out = c.model.infer.outputs[0]!.node;
  if (width > 1) return { kind: out.op === "softmax" ? "probs" : "logits", k: width };
  const threshold = c.model.metric?.threshold ?? (signs ? 0 : 0.5);
  return { kind: "threshold", threshold, scale: signs ? 1 : 4 };
}

/** What the page shows of a session: the model, its optimizer, target and data. */
function toyInfo(
  compiled: Compiled,
  d: Pick<ToyInfo, "lr" | "batch" | "classes" | "bounds" | "size" | "cells" | "evaluated"> & {
    train: { values: ArrayLike<number> };
    test: { values: ArrayLike<number> };
  },
): ToyInfo {
  const o = compiled.model.optimizer;
  return {
    target: compiled.target,
    ...(compiled.targetNote ? { targetNote: compiled.targetNote } : {}),
    model: compiled.model.name,
    optimizer: o.kind + (o.kind === "sgd" && o.momentum ? ` (momentum ${o.momentum})` : ""),
    ...d,
    train: Float32Array.from(d.train.values),
    test: Float32Array.from(d.test.values),
  };
}

/** The multiply-adds a report may spend on the regions, and as many on the evaluations. */
export const reportBudget = 2e7;

/** The params' elements of a compiled model. */
export function paramSize(c: Compiled): number {
  return c.model.params.reduce(
    (a, p) => a + p.shape.reduce<number>((b, d) => b * (typeof d === "number" ? d : 1), 1),
    0,
  );
}

/** What a report of a model of `size` param elements looks at: grid cells per side, points. */
export function reportScale(size: number, cells: number, points: number) {
  const examples = Math.floor(reportBudget / Math.max(1, size));
  return {
    cells: Math.max(8, Math.min(cells, Math.floor(Math.sqrt(examples)))),
    evaluated: Math.max(16, Math.min(points, examples >> 1)),
  };
}

/** The first `n` examples of a data set. */
function head(d: Dataset, n: number): Dataset {
  if (n >= d.n) return d;
  const fields = d.fields.map((f) => ({ ...f, data: f.data.subarray(0, n * f.width) }));
  return { ...d, n, fields };
}

export class ToySession {
  readonly info: ToyInfo;
  private readonly trainer: Trainer;
  private readonly trainData: Dataset;
  private readonly testData: Dataset;
  /** what the reports evaluate: all the points, or the first few for a large model */
  private readonly trainSeen: Dataset;
  private readonly testSeen: Dataset;
  private readonly rand: () => number;
  private readonly order: Int32Array;
  private readonly feed: Record<string, Float32Array | Float64Array>;
  private readonly grid: Float32Array;
  private readonly reading: Reading;
  private readonly output: string;
  private pos = 0;
  private steps = 0;
  private losses: number[] = [];

  constructor(private readonly setup: ToySetup) {
    const compiled = compileForTraining(setup);
    checkShape(compiled);
    const { width, signs } = labelling(compiled);
    const classes = width > 1 ? width : 2;
    const points = (seed: number) =>
      toyData(setup.data.kind, {
        n: setup.data.n,
        noise: setup.data.noise,
        seed,
        classes,
        labels: signs ? "signs" : "index",
      });
    const train = points(setup.data.seed);
    const test = points(setup.data.seed + 7919);
    this.trainData = fit(train, compiled.model, "train");
    this.testData = fit(test, compiled.model, "test");
    this.rand = seeded(setup.seed);
    this.order = Int32Array.from({ length: this.trainData.n }, (_, i) => i);
    shuffleInPlace(this.order, this.rand);
    const batch = Math.max(2, Math.min(setup.batch, this.trainData.n));
    const lr = setup.lr ?? compiled.model.optimizer.lr;
    this.trainer = new Trainer(compiled, this.shuffled(), this.testData, {
      epochs: 1,
      batch,
      seed: setup.seed,
      lr,
    });
    this.trainer.model.setLearningRate(lr);
    this.feed = Object.fromEntries(
      this.trainData.fields.map((f) => [f.name, new Float32Array(batch * f.width)]),
    );
    const bounds = boundsOf(train.values);
    const size = paramSize(compiled);
    const scale = reportScale(size, setup.cells, this.trainData.n);
    this.trainSeen = head(this.trainData, scale.evaluated);
    this.testSeen = head(this.testData, scale.evaluated);
    this.grid = gridPoints(bounds, scale.cells);
    this.reading = reading(compiled, width, signs);
    this.output = compiled.model.infer.outputs[0]!.name;
    this.info = toyInfo(compiled, { lr, batch, classes, bounds, train, test, size, ...scale });
  }

  /** The training data in the shuffled order, so that its first batch (the gradient norms') is a
   * sample of every class. */
  private shuffled(): Dataset {
    const fields = this.trainData.fields.map((f) => {
      const data = new Float64Array(f.data.length);
      this.order.forEach((r, i) =>
        data.set(f.data.subarray(r * f.width, (r + 1) * f.width), i * f.width),
      );
      return { ...f, data };
    });
    return { ...this.trainData, fields };
  }

  /** the steps done so far */
  get done(): number {
    return this.steps;
  }

  setLearningRate(lr: number): void {
    this.trainer.model.setLearningRate(lr);
  }

  /** `count` steps of the optimizer on shuffled mini-batches; an Error where the loss is not finite. */
  run(count: number): void {
    const batch = this.info.batch;
    for (let s = 0; s < count; s++) {
      if (this.pos + batch > this.trainData.n) {
        shuffleInPlace(this.order, this.rand);
        this.pos = 0;
      }
      for (const f of this.trainData.fields) {
        const buf = this.feed[f.name]!;
        for (let i = 0; i < batch; i++) {
          const r = this.order[this.pos + i]!;
          buf.set(f.data.subarray(r * f.width, (r + 1) * f.width), i * f.width);
        }
      }
      this.pos += batch;
      const loss = this.trainer.model.trainStep(this.feed);
      this.steps++;
      if (!Number.isFinite(loss))
        throw new Error(
          `the loss became ${loss} at step ${this.steps}: the learning rate is too large for this model; lower it and reset`,
        );
      this.losses.push(loss);
    }
  }

  report(): ToyReport {
    const m = this.trainer.model;
    const input = this.trainData.fields[0]!.name;
    const values = m.forward({ [input]: this.grid })[this.output] as ArrayLike<number>;
    const cells = this.info.cells * this.info.cells;
    const stepLoss = this.losses.length
      ? this.losses.reduce((a, b) => a + b, 0) / this.losses.length
      : NaN;
    this.losses = [];
    return {
      step: this.steps,
      epoch: (this.steps * this.info.batch) / this.trainData.n,
      stepLoss,
      train: this.trainer.evaluate(this.trainSeen),
      test: this.trainer.evaluate(this.testSeen),
      gradNorms: this.trainer.gradNorms(),
      regions: classify(values, cells, this.reading),
    };
  }
}
