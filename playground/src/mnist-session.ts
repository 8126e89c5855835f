// Training a model on the MNIST digits in the page's worker, as `nnc train --data mnist` does:
// the same 8,000 training and 2,000 held-out digits, the same trainer, seed and batch size.
import {
  activations,
  fit,
  graphData,
  Trainer,
  type Compiled,
  type Dataset,
  type EpochReport,
  type GraphNode,
  type StepInfo,
  type Table,
} from "nnc";
import { pixels, type DigitTables } from "./digits.ts";
import { firstConv, layerName, type FirstConv } from "./first-layer.ts";
import { compileForTraining, leavesText, type SourceSpec } from "./session.ts";

export interface MnistSetup extends SourceSpec {
  epochs: number;
  batch: number;
  seed: number;
  /** train on the first this many of the 8,000 training digits (all when absent) */
  digits?: number;
}

/** A convolutional model's first layer after training: its filters, and where its maps are. */
export interface FirstLayer {
  /** `c1` */
  layer: string;
  /** the kernel's param, `c1.W`, its shape [out, in, kh, kw] and its trained values */
  weight: string;
  shape: number[];
  filters: Float32Array;
  /** the ops from the convolution to the maps (`conv2d`, `add`, `relu`), and the one after */
  ops: string[];
  next?: string;
}

/** The first layer's feature maps for one image: [channels, height, width], row-major. */
export interface Maps {
  shape: number[];
  values: Float32Array;
}

const header = [...Array.from({ length: pixels }, (_, i) => `px${i}`), "label"];

function table(t: DigitTables["train"], file: string, rows = t.rows): Table {
  const n = Math.min(rows, t.rows);
  const values = t.values.subarray(0, n * (pixels + 1));
  return { file, header, columns: pixels + 1, rows: n, values, lines: new Int32Array(n).fill(1) };
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
        leavesText(m),
    );
}

export class MnistSession {
  readonly compiled: Compiled;
  readonly trainer: Trainer;
  private readonly train: Dataset;
  private found: FirstConv<GraphNode> | null | undefined;

  constructor(
    setup: MnistSetup,
    private readonly digits: DigitTables,
  ) {
    this.compiled = compileForTraining(setup);
    checkShape(this.compiled);
    const rows = table(digits.train, "mnist (train)", setup.digits);
    this.train = fit(rows, this.compiled.model, "mnist (train)");
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

  /** The first convolution of the model's graph, if any (found once). */
  private conv(): FirstConv<GraphNode> | null {
    if (this.found === undefined) this.found = firstConv(graphData(this.compiled).nodes);
    return this.found;
  }

  /** The first convolution's filters as trained; null for a model without one. */
  firstLayer(): FirstLayer | null {
    const found = this.conv();
    if (!found) return null;
    const weight = found.weight.name!;
    const param = this.compiled.model.params.find((p) => p.name === weight)!;
    return {
      layer: layerName(weight),
      weight,
      shape: param.shape as number[],
      filters: Float32Array.from(this.trainer.model.params[weight] as ArrayLike<number>),
      ops: found.ops,
      ...(found.next ? { next: found.next } : {}),
    };
  }

  /** The first convolution's feature maps for one image, from the trained params. */
  maps(image: Float32Array): Maps | null {
    if (!this.conv()) return null;
    const name = this.compiled.model.inputs[0]!.name;
    const found = firstConv(activations(this.compiled, { [name]: image }, this.trainer.model));
    if (!found) return null;
    return { shape: found.maps.shape.slice(1), values: Float32Array.from(found.maps.value) };
  }

  /** Held-out digit `i` (of the 2,000, cycling): its pixels and its class. */
  testDigit(i: number): { image: Float32Array; label: number } {
    const t = this.digits.test;
    const row = (((i % t.rows) + t.rows) % t.rows) * (pixels + 1);
    return { image: t.values.slice(row, row + pixels), label: t.values[row + pixels]! };
  }
}
