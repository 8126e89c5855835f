import { oneFile, parse, stringOpt, UsageError, type Parsed } from "../args.ts";
import { defineCommand, out } from "../command.ts";
import { compileFile, writeOutput } from "../common.ts";
import { loadData } from "../../train/load.ts";
import { Trainer, type EpochReport, type History } from "../../train/trainer.ts";
import { progressHooks, shownEpochs } from "../../train/progress.ts";
import { loadWeights, saveWeights } from "../../train/files.ts";
import { terminalCurve } from "../../train/curve.ts";
import { trainingChart } from "../../train/charts.ts";
import { dataError } from "../../train/errors.ts";

const usage = `usage: nnc train FILE.nn --data mnist|FILE.csv [options]

Trains the model on the data with its optimizer: a progress bar per epoch, then the training loss,
the held-out loss and accuracy of each epoch, and the loss curve.

  --data mnist|FILE.csv  mnist: the 10,000 digits of the \`mnist\` package, 8,000 for training and
                         2,000 held out. FILE.csv: a header row, then one example per row; the
                         columns fill the inputs, then the targets, in declaration order, each by
                         its width; a one-hot target may be one column holding the class index
  --test FILE.csv        held-out examples (default: 20% of a CSV's rows, picked at random but
                         the same every run; all rows when there are fewer than 10)
  --holdout F            the fraction of --data held out when there is no --test (default 0.2)
  --epochs N             passes over the training data (default 10)
  --batch N              examples per step (default 32)
  --lr X                 learning rate, instead of the one in the model's optimizer
  --seed N               seed of the initial params, the shuffling and dropout (default 1)
  --load W.safetensors   start from these params and state instead of the initializers
  --save W.safetensors   write the trained params and state (safetensors format)
  --plot FILE.svg        write a chart of train/test loss and test accuracy per epoch
  --grad-norms           print each layer's gradient norm before training and after each epoch
  --json                 end with one line of JSON: epochs, train_loss, test_loss, test_accuracy, seconds
  --model NAME           which model of the file (default: the first)
  --dtype f32|f64        the float type of the generated code (default: f32)
  --target js|wasm|auto  where the kernels run (default auto: WebAssembly SIMD where the model
                         gains from it and every kernel has a wasm form, else JS; f64 is JS)`;

export const trainOptions = {
  data: { type: "string" },
  test: { type: "string" },
  holdout: { type: "string" },
  epochs: { type: "string" },
  batch: { type: "string" },
  lr: { type: "string" },
  seed: { type: "string" },
  load: { type: "string" },
  save: { type: "string" },
  plot: { type: "string" },
  "grad-norms": { type: "boolean" },
  json: { type: "boolean" },
  model: { type: "string" },
  dtype: { type: "string" },
  target: { type: "string" },
} as const;

/** A numeric flag: an integer at least `min`, or any number in [min, max). */
export function numberOpt(
  p: Parsed,
  name: string,
  fallback: number,
  kind: "int" | "real",
  min: number,
  max = Infinity,
): number {
  const text = stringOpt(p, name);
  if (text === undefined) return fallback;
  const v = Number(text);
  const ok =
    text.trim() !== "" &&
    Number.isFinite(v) &&
    (kind === "real" || Number.isInteger(v)) &&
    v >= min &&
    v < max;
  if (!ok)
    throw new UsageError(
      `--${name} expects ${kind === "int" ? "an integer" : "a number"} ${max === Infinity ? `of at least ${min}` : `from ${min} up to ${max}`}, got \`${text}\``,
    );
  return v;
}

export function requireData(p: Parsed, usageText: string): string {
  const data = stringOpt(p, "data");
  if (data === undefined) throw new UsageError(`--data mnist|FILE.csv is required\n\n${usageText}`);
  return data;
}

export const trainCommand = defineCommand({
  name: "train",
  summary: "train a model on MNIST or a CSV file, with progress, loss and accuracy",
  usage,
  options: trainOptions,
  async run(argv) {
    const p = parse(argv, this.options, usage);
    const file = oneFile(p, usage);
    const data = requireData(p, usage);
    const epochs = numberOpt(p, "epochs", 10, "int", 1);
    const batch = numberOpt(p, "batch", 32, "int", 1);
    const seed = numberOpt(p, "seed", 1, "int", 0);
    const lr = stringOpt(p, "lr") === undefined ? undefined : numberOpt(p, "lr", 0, "real", 0);
    const holdout = numberOpt(p, "holdout", 0.2, "real", 0, 1);
    const json = p.values["json"] === true;
    // training runs on the wasm target where it can and gains, unless --target says otherwise
    const compiled = compileFile(p, file, stringOpt(p, "target") ? {} : { target: "auto" });
    if (!compiled.model.train.loss)
      throw dataError(
        "NN6005",
        { file, line: 1, col: 1 },
        `the model \`${compiled.model.name}\` has no \`loss\` to train on`,
      );
    const testFile = stringOpt(p, "test");
    const sets = loadData(data, compiled.model, {
      holdout,
      ...(testFile !== undefined ? { test: testFile } : {}),
    });
    const { train, test, note } = sets;
    const load = stringOpt(p, "load");
    const weights = load !== undefined ? loadWeights(load, compiled.model) : undefined;
    const trainer = new Trainer(compiled, train, test, {
      epochs,
      batch,
      seed,
      ...(lr !== undefined ? { lr } : {}),
      ...(weights ? { weights } : {}),
      gradNorms: p.values["grad-norms"] === true,
    });
    const write = (text: string) => void process.stdout.write(text + "\n");
    const o = compiled.model.optimizer;
    write(
      `training ${compiled.model.name} (${file}): ${note}\n` +
        `${epochs} epoch${epochs === 1 ? "" : "s"} of ${trainer.stepsPerEpoch} batch${trainer.stepsPerEpoch === 1 ? "" : "es"} ` +
        `of up to ${Math.min(batch, train.n)}, ` +
        `${o.kind} lr ${lr ?? o.lr}, seed ${seed}${load ? `, from ${load}` : ""}\n` +
        `target: ${compiled.target === "wasm" ? "wasm (WebAssembly SIMD)" : "js"}` +
        (compiled.targetNote ? ` (${compiled.targetNote})` : ""),
    );
    const hooks = progressHooks(epochs, write);
    const shown = shownEpochs(epochs);
    const normsOf = (r: EpochReport) =>
      r.gradNorms
        ? `  grad norms: ${r.gradNorms.map((g) => `${g.layer} ${g.norm.toExponential(2)}`).join("  ")}`
        : "";
    const history = trainer.run({
      ...hooks,
      epochEnd(r) {
        hooks.epochEnd?.(r);
        if (r.gradNorms && shown(r.epoch)) write(normsOf(r));
      },
    });
    const last = history.epochs[history.epochs.length - 1]!;
    write(
      `\ntraining loss per step\n${terminalCurve(history.steps, { x: `${history.steps.length} steps` })}`,
    );
    const acc =
      last.testAccuracy === null ? "" : `test accuracy ${(100 * last.testAccuracy).toFixed(2)}%, `;
    write(
      `\n${acc}test loss ${last.testLoss.toFixed(4)} after ${epochs} epoch${epochs === 1 ? "" : "s"} ` +
        `(${history.seconds.toFixed(1)} s)`,
    );
    const save = stringOpt(p, "save");
    if (save !== undefined) {
      saveWeights(save, compiled.model, trainer.model);
      write(`weights (params and state) saved to ${save}`);
    }
    const plot = stringOpt(p, "plot");
    if (plot !== undefined) {
      writeChart(plot, trainingChart(history, `${compiled.model.name} on ${data}`));
      write(`chart written to ${plot}`);
    }
    if (json) await out(JSON.stringify(summary(history)));
    return 0;
  },
});

/** SPEC §5: the one line of JSON that ends `--json` output. */
export function summary(history: History) {
  const last = history.epochs[history.epochs.length - 1]!;
  const num = (v: number | null) => (v === null || !Number.isFinite(v) ? null : v);
  return {
    epochs: last.epoch,
    train_loss: num(last.trainLoss),
    test_loss: num(last.testLoss),
    test_accuracy: num(last.testAccuracy),
    seconds: Math.round(history.seconds * 1000) / 1000,
  };
}

export function writeChart(file: string, svg: string): void {
  writeOutput(file, svg, "the chart");
}
