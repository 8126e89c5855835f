// `--data mnist|words|text:FILE|FILE.csv` (and `--test FILE.csv`): the training and held-out data
// sets, fitted to the model.
import type { ModelIR } from "../ir/model.ts";
import { readCsv } from "./files.ts";
import { F32_MAX } from "./safetensors.ts";
import { fit, subset, type Dataset } from "./data.ts";
import { dataError } from "./errors.ts";
import { mnist, type MnistOptions } from "./mnist.ts";
import { mulberry32, permutation } from "./rng.ts";
import { textData, type Vocab } from "./text.ts";
import { textCorpus, wordsCorpus } from "./words.ts";

export interface DataOptions {
  /** a separate CSV file of held-out examples */
  test?: string;
  /**
   * the fraction of a CSV file's rows held out when there is no `test` file (default 0.2), or of
   * the words or the text (default 0.1)
   */
  holdout?: number;
  /** words and text: encode with this vocabulary (a weights file's) instead of the data's own */
  vocab?: Vocab;
  /** sizes for MNIST, to train on a part of it */
  mnist?: MnistOptions;
  /** the model's float type: an f32 model cannot take values beyond float32's range */
  dtype?: "f32" | "f64";
}

export interface Data {
  train: Dataset;
  test: Dataset;
  /** how the held-out set was chosen, for the user */
  note: string;
  /** words and text: the characters of the indices, kept in the weights file */
  vocab?: Vocab;
}

/** `text:FILE`'s file, or undefined for another spec. */
export const textFile = (spec: string) => (spec.startsWith("text:") ? spec.slice(5) : undefined);

/** Below this many rows nothing is held out: the test set is the training set. */
export const smallData = 10;
const holdoutSeed = 1998;

/**
 * The training and held-out data for `model` (`compiled.model`): `"mnist"` (the digits of the
 * `mnist` package) or the path of a CSV file, of which a fixed 20% is held out.
 */
export function loadData(spec: string, model: ModelIR, options: DataOptions = {}): Data {
  const text = textFile(spec);
  if (spec === "words" || text !== undefined) {
    if (options.test !== undefined)
      throw dataError(
        "NN6005",
        { file: options.test, line: 1, col: 1 },
        `--test takes a CSV file; --data ${spec} holds its own held-out part (--holdout sets its size)`,
      );
    const corpus = text !== undefined ? textCorpus(text) : wordsCorpus();
    return textData(corpus, model, {
      spec,
      ...(options.holdout !== undefined ? { holdout: options.holdout } : {}),
      ...(options.vocab ? { vocab: options.vocab } : {}),
      ...(options.dtype ? { dtype: options.dtype } : {}),
    });
  }
  if (spec === "mnist") {
    const split = mnist(options.mnist);
    const train = fit(split.train, model, "mnist");
    const test = fit(split.test, model, "mnist (held out)");
    return { train, test, note: `MNIST: ${train.n} digits for training, ${test.n} held out` };
  }
  const csv = { limit: options.dtype === "f64" ? Infinity : F32_MAX };
  const all = fit(readCsv(spec, csv), model, spec);
  if (options.test !== undefined) {
    const test = fit(readCsv(options.test, csv), model, options.test);
    return {
      train: all,
      test,
      note: `${spec}: ${all.n} rows for training; ${options.test}: ${test.n} held out`,
    };
  }
  const fraction = options.holdout ?? 0.2;
  const held = Math.round(all.n * fraction);
  if (all.n < smallData || held === 0 || held >= all.n)
    return {
      train: all,
      test: all,
      note: `${spec}: ${all.n} rows, used for training and for testing (nothing held out)`,
    };
  // a fixed permutation (not the training seed) picks the held-out rows: every run tests on the same
  const order = permutation(all.n, mulberry32(holdoutSeed));
  const train = subset(all, order, 0, all.n - held, spec);
  const test = subset(all, order, all.n - held, all.n, `${spec} (held out)`);
  return {
    train,
    test,
    note: `${spec}: ${train.n} rows for training, ${test.n} held out at random`,
  };
}
