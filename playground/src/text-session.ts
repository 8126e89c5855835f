// Training a model of characters on the word list in the page's worker, as `nnc train --data
// words` builds its data (the same windows and held-out split), open-ended: steps in slices the
// worker runs between messages, the held-out loss and new samples from the library's `sample`,
// and, for a model with attention, one head's attention pattern for a word.
import {
  activations,
  corpusOfWords,
  sample,
  textData,
  wordsVocab,
  type Compiled,
  type Dataset,
  type GeneratedModule,
  type Model,
} from "nnc";
import { compileForTraining, seeded, type SourceSpec } from "./session.ts";

export interface TextSetup extends SourceSpec {
  batch: number;
  seed: number;
}

/** One head's attention for a word: row i is how position i weighs positions 0..i. */
export interface Attention {
  /** the characters fed: the delimiter, then the word's (cut to the context) */
  chars: string[];
  layer: number;
  head: number;
  /** attention blocks of the model, and heads of each */
  layers: number;
  heads: number;
  /** [n, n] row-major, n = chars.length */
  values: Float64Array;
}

/** Held-out examples the loss is measured on (the first of the held-out set). */
const heldOut = 256;

export class TextSession {
  readonly compiled: Compiled;
  readonly model: Model;
  readonly note: string;
  private readonly train: Dataset;
  private readonly test: Dataset;
  private readonly rand: () => number;
  private readonly feed: Record<string, Float32Array | Float64Array>;
  private readonly batch: number;
  steps = 0;

  constructor(setup: TextSetup, words: readonly string[]) {
    this.compiled = compileForTraining(setup);
    const data = textData(corpusOfWords(words), this.compiled.model, { spec: "words" });
    this.train = data.train;
    this.test = data.test;
    this.note = data.note;
    this.batch = setup.batch;
    this.model = this.compiled
      .load<GeneratedModule>()
      .createModel({ seed: setup.seed, batch: setup.batch });
    this.rand = seeded(setup.seed);
    this.feed = Object.fromEntries(
      this.train.fields.map((f) => {
        const n = setup.batch * f.width;
        return [f.name, f.data instanceof Float64Array ? new Float64Array(n) : new Float32Array(n)];
      }),
    );
  }

  /** One step on a batch drawn at random from the training windows; returns its loss. */
  step(): number {
    const n = this.train.n;
    for (let i = 0; i < this.batch; i++) {
      const r = Math.floor(this.rand() * n);
      for (const f of this.train.fields)
        this.feed[f.name]!.set(f.data.subarray(r * f.width, (r + 1) * f.width), i * f.width);
    }
    this.steps++;
    return this.model.trainStep(this.feed);
  }

  /** The mean cross-entropy of the model on the first held-out windows (inference mode). */
  testLoss(): number {
    const n = Math.min(heldOut, this.test.n);
    const [x, y] = this.test.fields;
    const p = Object.values(
      this.model.forward({ [x!.name]: x!.data.subarray(0, n * x!.width) }),
    )[0] as ArrayLike<number>;
    const targets = y!.data;
    const V = p.length / (n * y!.width);
    let sum = 0;
    const count = n * y!.width;
    for (let i = 0; i < count; i++) sum -= Math.log(Math.max(p[i * V + targets[i]!]!, 1e-30));
    return sum / count;
  }

  /** New words from the model as trained so far. */
  samples(count: number, seed: number): string[] {
    return sample(this.model, wordsVocab, { count, seed, maxLength: 30 });
  }

  /**
   * The attention of head `head` of attention block `layer` for `word`: the softmax over [T, T]
   * of each block (a node of shape [1, heads, T, T], in the order of the graph), fed the
   * delimiter and the word, the rest padded with the delimiter; the rows and columns of the
   * padding left out (a causal model's rows there change nothing before them). Null for a model
   * without one.
   */
  attention(word: string, layer: number, head: number): Attention | null {
    const x = this.compiled.model.inputs[0]!;
    const T = x.shape[1] as number;
    const letters = [...word.toLowerCase()].filter(
      (c) => wordsVocab.chars.includes(c) && c !== ".",
    );
    const chars = [".", ...letters].slice(0, T);
    const idx = new Int32Array(T);
    chars.forEach((c, i) => (idx[i] = wordsVocab.chars.indexOf(c)));
    const blocks = activations(this.compiled, { [x.name]: idx }, this.model).filter(
      (a) => a.op === "softmax" && a.shape.length === 4 && a.shape[2] === T && a.shape[3] === T,
    );
    if (blocks.length === 0) return null;
    const l = Math.min(Math.max(0, layer), blocks.length - 1);
    const heads = blocks[l]!.shape[1]!;
    const h = Math.min(Math.max(0, head), heads - 1);
    const n = chars.length;
    const values = new Float64Array(n * n);
    const from = blocks[l]!.value;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) values[i * n + j] = from[(h * T + i) * T + j]!;
    return { chars, layer: l, head: h, layers: blocks.length, heads, values };
  }
}
