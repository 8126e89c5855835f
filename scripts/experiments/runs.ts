// What the experiments share: a run (one `nnc train` command), executing it in-process with the
// same options the command line would use, and formatting numbers for the document.
import { readFileSync } from "node:fs";
import { compile } from "../../src/index.ts";
import { loadData } from "../../src/train/load.ts";
import { Trainer, type History } from "../../src/train/trainer.ts";

export type { History };

export interface Run {
  label: string;
  file: string;
  model?: string;
  data: string;
  epochs: number;
  batch: number;
  seed: number;
  /** the fraction of a CSV file held out (0: train and measure on every row) */
  holdout?: number;
  gradNorms?: boolean;
}

export function command(r: Run): string {
  return [
    "npx nnc train",
    r.file,
    ...(r.model ? ["--model", r.model] : []),
    `--data ${r.data}`,
    ...(r.holdout !== undefined ? [`--holdout ${r.holdout}`] : []),
    `--epochs ${r.epochs} --batch ${r.batch} --seed ${r.seed}`,
    ...(r.gradNorms ? ["--grad-norms"] : []),
  ].join(" ");
}

export function execute(r: Run): History {
  return train(r).history;
}

/** Runs `r` as `nnc train` would; returns its history and the trainer, with the trained model. */
export function train(r: Run): { history: History; trainer: Trainer } {
  const started = performance.now();
  // the target `nnc train` picks by default: wasm where the model gains from it, else JS
  const compiled = compile(readFileSync(r.file, "utf8"), {
    file: r.file,
    target: "auto",
    ...(r.model ? { model: r.model } : {}),
  });
  const { train: examples, test } = loadData(r.data, compiled.model, {
    ...(r.holdout !== undefined ? { holdout: r.holdout } : {}),
  });
  const trainer = new Trainer(compiled, examples, test, {
    epochs: r.epochs,
    batch: r.batch,
    seed: r.seed,
    gradNorms: r.gradNorms ?? false,
  });
  const history = trainer.run();
  const last = history.epochs.at(-1)!;
  console.log(
    `${r.label}: test loss ${last.testLoss.toFixed(4)}, accuracy ${pct(last.testAccuracy)} ` +
      `(${((performance.now() - started) / 1000).toFixed(1)} s)`,
  );
  return { history, trainer };
}

export const pct = (v: number | null) => (v === null ? "-" : `${(100 * v).toFixed(1)}%`);
export const fixed = (v: number) => v.toFixed(4);
export const sci = (v: number) => v.toExponential(2);
export const best = (h: History) => Math.max(...h.epochs.map((e) => e.testAccuracy ?? 0));
export const epochsOf = (h: History, key: "trainLoss" | "testLoss" | "testAccuracy", scale = 1) =>
  h.epochs
    .filter((e) => e.epoch > 0 || key !== "trainLoss")
    .map((e): [number, number] => [e.epoch, scale * ((e[key] as number | null) ?? NaN)]);
export const lowest = (xs: number[]) => xs.indexOf(Math.min(...xs));
export const pct2 = (v: number | null) => (v === null ? "-" : `${(100 * v).toFixed(2)}%`);
export const fence = (lines: string[]) => ["```sh", ...lines, "```"].join("\n");
