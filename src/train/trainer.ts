// The training loop: seeded shuffling into mini-batches, one `trainStep` per batch, and after each
// epoch the mean training loss, the held-out loss and accuracy, and (optionally) the gradient norm
// of each layer. The same seed gives the same shuffles, the same initial params and the same
// dropout masks, so the same weights bit for bit.
import type { Compiled } from "../compile.ts";
import { emitModule, loadModule, type GeneratedModel } from "../codegen/index.ts";
import type { Dataset, FloatArray } from "./data.ts";
import { dataError } from "./errors.ts";
import { record } from "../ir/keys.ts";
import { Evaluator, slice, type Evaluation } from "./evaluate.ts";
import { graphInfo, nonFiniteError, type GraphInfo } from "./nonfinite.ts";
import { mulberry32, permutation, shuffle, type Random } from "./rng.ts";

/**
 * The model's arrays before a step (params and state, the optimizer's slots), its step count and
 * where its random numbers were, so that a failing step can be replayed. The arrays are copied
 * into buffers kept from step to step: taking it allocates nothing.
 */
class BeforeStep {
  readonly weights = new Map<string, FloatArray>();
  readonly slots = new Map<string, FloatArray>();
  step = 0;
  rng = 0;

  take(m: GeneratedModel): void {
    copyInto(this.weights, m.params);
    copyInto(this.weights, m.state);
    copyInto(this.slots, m.optimizer.slots);
    this.step = m.optimizer.step;
    this.rng = m.randomState();
  }

  /** Puts it into `m` (of either float type). */
  restore(m: GeneratedModel): void {
    for (const [k, v] of this.weights) (m.params[k] ?? m.state[k])?.set(v);
    for (const [k, v] of this.slots) m.optimizer.slots[k]!.set(v);
    m.optimizer.step = this.step;
    m.reseed(this.rng);
  }
}

function copyInto(saved: Map<string, FloatArray>, arrays: Record<string, FloatArray>): void {
  for (const [k, v] of Object.entries(arrays)) {
    let copy = saved.get(k);
    if (copy === undefined) saved.set(k, (copy = new Float64Array(v.length)));
    copy.set(v);
  }
}

export interface TrainOptions {
  epochs: number;
  /**
   * stop after this many steps, wherever an epoch is (the run's length for the schedule); the run
   * then has as many epochs as it takes, `epochs` aside
   */
  steps?: number;
  batch: number;
  seed: number;
  /** overrides the model's learning rate */
  lr?: number;
  /** measure each layer's gradient norm before training and after every epoch */
  gradNorms?: boolean;
  /** initial params and state (from a weights file) instead of the seeded initializers */
  weights?: Map<string, FloatArray>;
}

export interface LayerNorm {
  /** the binding the params belong to: `h` for `h.dense.W` and `h.batchnorm.gamma` */
  layer: string;
  norm: number;
}

export interface EpochReport {
  /** 0 is the model before training */
  epoch: number;
  /** mean loss of the epoch's steps (NaN for epoch 0) */
  trainLoss: number;
  testLoss: number;
  testAccuracy: number | null;
  /** seconds since training began */
  seconds: number;
  /** seconds this epoch took (its steps and its evaluation); 0 for epoch 0 */
  epochSeconds: number;
  gradNorms?: LayerNorm[];
}

export interface StepInfo {
  epoch: number;
  /** 1-based step within the epoch */
  step: number;
  steps: number;
  loss: number;
  examples: number;
}

export interface TrainHooks {
  epochStart?(epoch: number, steps: number): void;
  step?(info: StepInfo): void;
  /** after every epoch, and once before training with epoch 0 */
  epochEnd?(report: EpochReport): void;
}

export interface History {
  /** epoch 0 (before training), then one report per epoch */
  epochs: EpochReport[];
  /** every step's loss, in order */
  steps: number[];
  seconds: number;
}

/**
 * Trains a compiled model on data in memory: `new Trainer(compiled, train, test, options).run()`
 * runs the epochs and returns the history; `model` is the trained model.
 */
export class Trainer {
  readonly model: GeneratedModel;
  readonly dtype: "f32" | "f64";
  private readonly evaluator: Evaluator;
  private readonly info: GraphInfo;
  private readonly rand: Random;
  private readonly batch: number;
  private readonly order: Int32Array;
  private readonly buffers: Map<string, FloatArray>;
  private readonly batchDim: string;
  private globalStep = 0;
  private readonly before = new BeforeStep();
  private readonly runLength: { steps: number; stepsPerEpoch: number };
  private probe: GeneratedModel | undefined;

  constructor(
    readonly compiled: Compiled,
    readonly train: Dataset,
    readonly test: Dataset,
    readonly options: TrainOptions,
  ) {
    const loaded = compiled.load();
    this.dtype = (loaded.meta as { dtype: "f32" | "f64" }).dtype;
    this.batch = Math.max(1, Math.min(options.batch, train.n));
    this.model = loaded.createModel({
      seed: options.seed,
      batch: this.batch,
      ...(options.lr !== undefined ? { lr: options.lr } : {}),
    });
    if (options.weights) setWeights(this.model, options.weights);
    this.evaluator = new Evaluator(compiled.model, this.dtype, compiled.target);
    this.info = graphInfo(compiled.model, compiled.grads);
    this.rand = mulberry32(options.seed);
    this.order = permutation(train.n, this.rand);
    const Array_ = this.dtype === "f32" ? Float32Array : Float64Array;
    this.buffers = new Map(train.fields.map((f) => [f.name, new Array_(this.batch * f.width)]));
    this.batchDim = String(train.fields[0]?.shape[0] ?? "batch");
    this.runLength = this.length;
  }

  /** Steps per epoch: a last batch of one example is left out (batch statistics need two). */
  get stepsPerEpoch(): number {
    const full = Math.floor(this.train.n / this.batch);
    const rest = this.train.n % this.batch;
    return full + (rest >= 2 || (rest === 1 && full === 0) ? 1 : 0);
  }

  /** The run's length, for the schedule: every epoch's steps (or --steps), and the steps of one. */
  get length(): { steps: number; stepsPerEpoch: number } {
    const steps = this.options.steps ?? this.options.epochs * this.stepsPerEpoch;
    return { steps, stepsPerEpoch: this.stepsPerEpoch };
  }

  /** Epochs of the run: the option's, or as many as `steps` takes. */
  get epochs(): number {
    const steps = this.options.steps;
    return steps === undefined ? this.options.epochs : Math.ceil(steps / this.stepsPerEpoch);
  }

  /**
   * The order of the training examples in this epoch: step s (1-based) of it trains on the
   * examples order[(s - 1) * batch .. s * batch). A view, valid until the next epoch begins.
   */
  get exampleOrder(): Int32Array {
    return this.order;
  }

  /**
   * The learning rate of step `step` (0-based, counting every epoch's steps): the generated
   * module's own `learningRate`, which `nnc train` sets before every step.
   */
  learningRate(step: number): number {
    return this.model.learningRate(step, this.runLength);
  }

  evaluate(data: Dataset = this.test): Evaluation {
    return this.evaluator.evaluate(this.model, data);
  }

  run(hooks: TrainHooks = {}): History {
    const start = performance.now();
    const seconds = () => (performance.now() - start) / 1000;
    const steps: number[] = [];
    const before = this.evaluate();
    const epochs: EpochReport[] = [
      {
        epoch: 0,
        trainLoss: NaN,
        testLoss: before.loss,
        testAccuracy: before.accuracy,
        seconds: 0,
        epochSeconds: 0,
        ...(this.options.gradNorms ? { gradNorms: this.gradNorms() } : {}),
      },
    ];
    hooks.epochEnd?.(epochs[0]!);
    for (let epoch = 1; epoch <= this.epochs; epoch++) {
      const began = seconds();
      const losses = this.epoch(epoch, hooks);
      for (const l of losses) steps.push(l); // an epoch may have 100,000 steps and more
      const e = this.evaluate();
      const report: EpochReport = {
        epoch,
        trainLoss: losses.reduce((a, b) => a + b, 0) / losses.length,
        testLoss: e.loss,
        testAccuracy: e.accuracy,
        seconds: seconds(),
        epochSeconds: seconds() - began,
        ...(this.options.gradNorms ? { gradNorms: this.gradNorms() } : {}),
      };
      epochs.push(report);
      hooks.epochEnd?.(report);
    }
    return { epochs, steps, seconds: seconds() };
  }

  /** One pass over the training data in a fresh seeded order; returns each step's loss. */
  private epoch(epoch: number, hooks: TrainHooks): number[] {
    if (epoch > 1) shuffle(this.order, this.rand);
    const total = Math.min(this.stepsPerEpoch, this.runLength.steps - this.globalStep);
    hooks.epochStart?.(epoch, total);
    const losses: number[] = [];
    for (let s = 0; s < total; s++) {
      const from = s * this.batch;
      const n = Math.min(this.batch, this.train.n - from);
      const feed = this.gather(from, n);
      this.before.take(this.model);
      const rate = this.learningRate(this.globalStep);
      this.model.setLearningRate(rate);
      this.globalStep++;
      const loss = this.step(feed);
      const badParam = firstNonFiniteParam(this.model);
      if (!Number.isFinite(loss) || badParam !== undefined)
        throw nonFiniteError(this.info, {
          step: this.globalStep,
          epoch,
          loss,
          ...(badParam !== undefined && Number.isFinite(loss) ? { badParam } : {}),
          values: new Map([...Object.entries(feed), ...this.before.weights]),
          dims: record([[this.batchDim, n]]),
          dtype: this.dtype,
          stepInF64: () => this.stepInF64(feed, rate),
        });
      losses.push(loss);
      hooks.step?.({ epoch, step: s + 1, steps: total, loss, examples: n });
    }
    return losses;
  }

  /**
   * A failing step again, in the model compiled in f64, from the same params, state and optimizer
   * state, at the same learning rate and with the same dropout masks.
   */
  private stepInF64(feed: Record<string, FloatArray>, rate: number): boolean {
    const { model, grads, schedule } = this.compiled;
    const js = emitModule(model, { dtype: "f64", bind: schedule.bind, grads }).js;
    const m = loadModule(js).createModel({ seed: this.options.seed });
    this.before.restore(m);
    m.setLearningRate(rate);
    try {
      return Number.isFinite(m.trainStep(feed)) && firstNonFiniteParam(m) === undefined;
    } catch {
      return false;
    }
  }

  private step(feed: Record<string, FloatArray>): number {
    try {
      return this.model.trainStep(feed);
    } catch (e) {
      throw dataError(
        "NN6005",
        { file: this.train.source, line: 1, col: 1 },
        `the model \`${this.compiled.model.name}\` rejected a batch: ${(e as Error).message}`,
      );
    }
  }

  /** Copies the examples order[from .. from + n) into the batch buffers. */
  private gather(from: number, n: number): Record<string, FloatArray> {
    const feed: Record<string, FloatArray> = Object.create(null);
    for (const f of this.train.fields) {
      const buf = this.buffers.get(f.name)!;
      const w = f.width;
      for (let i = 0; i < n; i++) {
        const r = this.order[from + i]!;
        buf.set(f.data.subarray(r * w, (r + 1) * w), i * w);
      }
      feed[f.name] = buf.subarray(0, n * w);
    }
    return feed;
  }

  /**
   * The norm of the loss's gradient over each layer's params, on the first batch of the data. A
   * second instance of the module computes it, with a copy of the params and state, so that its
   * dropout masks do not take random numbers from the model being trained: a run with
   * `--grad-norms` trains exactly as one without.
   */
  gradNorms(): LayerNorm[] {
    this.probe ??= this.compiled.load().createModel({ seed: this.options.seed });
    for (const [k, v] of Object.entries(this.model.params)) this.probe.params[k]!.set(v);
    for (const [k, v] of Object.entries(this.model.state)) this.probe.state[k]!.set(v);
    const n = Math.min(this.batch, this.train.n);
    const { grads } = this.probe.grad(slice(this.train, 0, n));
    const sums = new Map<string, number>();
    for (const [name, g] of Object.entries(grads)) {
      const layer = name.includes(".") ? name.slice(0, name.indexOf(".")) : name;
      let s = sums.get(layer) ?? 0;
      for (let i = 0; i < g.length; i++) s += g[i]! * g[i]!;
      sums.set(layer, s);
    }
    return [...sums].map(([layer, s]) => ({ layer, norm: Math.sqrt(s) }));
  }
}

function firstNonFiniteParam(m: GeneratedModel): string | undefined {
  for (const [name, v] of Object.entries(m.params))
    for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i]!)) return name;
  return undefined;
}

/** Sets params and state by name; the names and sizes were checked when the file was read. */
export function setWeights(m: GeneratedModel, weights: Map<string, FloatArray>): void {
  for (const [name, value] of weights) {
    const target = m.params[name] ?? m.state[name];
    if (target) target.set(value);
  }
}
