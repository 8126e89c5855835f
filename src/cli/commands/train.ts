import { oneFile, parse, stringOpt, UsageError, type Parsed } from "../args.ts";
import { defineCommand, out } from "../command.ts";
import { compileFile, compileOptions } from "../common.ts";
import {
  prepareOutputs,
  refuseOverwrites,
  writeOutputsOrFallback,
  type OutputData,
  type NamedFile,
} from "../../train/outputs.ts";
import { inputFiles, numberOpt, requireData, requireLoss } from "../training.ts";
import type { Compiled } from "../../compile.ts";
import type { OptimizerSpec } from "../../ir/model.ts";
import { scheduleText } from "../../codegen/js/optim.ts";
import { loadData } from "../../train/load.ts";
import { Trainer, type EpochReport, type History } from "../../train/trainer.ts";
import { progressHooks, shownEpochs } from "../../train/progress.ts";
import { loadWeightsAndVocab } from "../../train/files.ts";
import { vocabMetadata, type Vocab } from "../../train/text.ts";
import { weightsToBytes } from "../../train/safetensors.ts";
import { terminalCurve } from "../../train/curve.ts";
import { trainingChart } from "../../train/charts.ts";

const usage = `usage: nnc train FILE.nn --data mnist|words|text:FILE|FILE.csv [options]

Trains the model on the data with its optimizer: a progress bar per epoch, then the training loss,
the held-out loss and accuracy of each epoch (with the seconds that epoch took), and the loss curve.

  --data mnist|FILE.csv  mnist: the 10,000 digits of the \`mnist\` package, 8,000 for training and
                         2,000 held out. FILE.csv: a header row, then one example per row; the
                         columns fill the inputs, then the targets, in declaration order, each by
                         its width; a one-hot target may be one column holding the class index.
                         words: ~275,000 English words (characters . and a-z, 27 indices) for a
                         model of characters: input [batch, k] int and target [batch] int (each
                         k-character context and the next) or [batch, k] int (windows of the words
                         joined by \`.\`, and the window moved on by one); 10% of the words held
                         out. text:FILE: the same from a text file (one word per line where no line
                         has a space, else raw text), its characters the vocabulary (docs/sequence.md)
  --test FILE.csv        held-out examples (default: 20% of a CSV's rows, picked at random but
                         the same every run; all rows when there are fewer than 10)
  --holdout F            the fraction of --data held out when there is no --test (default 0.2;
                         0.1 of words and text)
  --epochs N             passes over the training data (default 10)
  --steps N              train this many batches instead, wherever an epoch is (the schedule's
                         length); the held-out loss is measured at each epoch's end and at the last
  --batch N              examples per step (default 32)
  --lr X                 learning rate (finite, above 0), instead of the one in the model's optimizer
  --seed N               seed of the initial params, the shuffling and dropout (default 1)
  --load W.safetensors   start from these params and state instead of the initializers (a file of
                         nnc train --save, or of nnc init: the initializers written apart); words
                         and text are read with the vocabulary it keeps, where it keeps one
  --save W.safetensors   write the trained params and state (safetensors format, with the
                         vocabulary of words or text in its metadata; its folder is
                         made, and checked, before training starts; should the write still
                         fail at the end, they go to a fallback file the error names)
  --plot FILE.svg        write a chart of train/test loss and test accuracy per epoch
  --grad-norms           print each layer's gradient norm before training and after each epoch
  --json                 end with one line of JSON: epochs, train_loss, test_loss, test_accuracy, seconds
  --model NAME           which model of the file (default: the first)
  --dtype f32|f64        the float type of the generated code (default: f32)
  --target js|wasm|auto  where the kernels run (default auto: WebAssembly SIMD where the model
                         gains from it and every kernel has a wasm form, else JS; f64 is JS)

No output is ever written over an input (the model, --data, --test, --load).`;

export const trainOptions = {
  data: { type: "string" },
  test: { type: "string" },
  holdout: { type: "string" },
  epochs: { type: "string" },
  steps: { type: "string" },
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

interface Settings {
  data: string;
  epochs: number;
  steps: number | undefined;
  batch: number;
  seed: number;
  lr: number | undefined;
  holdout: number | undefined;
  save: NamedFile | undefined;
  plot: NamedFile | undefined;
}

function settings(p: Parsed): Settings {
  const save = stringOpt(p, "save");
  const plot = stringOpt(p, "plot");
  return {
    data: requireData(p, usage),
    epochs: epochsOpt(p),
    steps: stringOpt(p, "steps") === undefined ? undefined : numberOpt(p, "steps", 1, "int", 1),
    batch: numberOpt(p, "batch", 32, "int", 1),
    seed: numberOpt(p, "seed", 1, "int", 0),
    lr:
      stringOpt(p, "lr") === undefined
        ? undefined
        : numberOpt(p, "lr", 0, "real", 0, Infinity, true),
    holdout:
      stringOpt(p, "holdout") === undefined
        ? undefined
        : numberOpt(p, "holdout", 0.2, "real", 0, 1),
    save: save === undefined ? undefined : { path: save, what: "the --save weights" },
    plot: plot === undefined ? undefined : { path: plot, what: "the --plot chart" },
  };
}

/** --epochs: at least 1; 0 is what `nnc init` is for. */
function epochsOpt(p: Parsed): number {
  const text = stringOpt(p, "epochs");
  if (text !== undefined && text.trim() !== "" && Number(text) === 0)
    throw new UsageError(
      "--epochs 0 trains nothing; the initial weights are written by nnc init FILE.nn --seed N --save W.safetensors",
    );
  return numberOpt(p, "epochs", 10, "int", 1);
}

export const trainCommand = defineCommand({
  name: "train",
  summary: "train a model on MNIST, words, text or a CSV file, with progress, loss and accuracy",
  usage,
  options: trainOptions,
  async run(argv) {
    const p = parse(argv, this.options, usage);
    const file = oneFile(p, usage);
    const s = settings(p);
    const outputs = [s.save, s.plot].filter((f): f is NamedFile => f !== undefined);
    refuseOverwrites(outputs, inputFiles(file, p));
    prepareOutputs(outputs);
    // training runs on the wasm target where it can and gains, unless --target says otherwise
    const compiled = compileFile(p, file, stringOpt(p, "target") ? {} : { target: "auto" });
    requireLoss(compiled.model, "train");
    const trainer = makeTrainer(p, file, s, compiled);
    const write = (text: string) => void process.stdout.write(text + "\n");
    write(trainer.header);
    const history = train(trainer.trainer, trainer.trainer.epochs, write);
    finish(history, s, compiled, trainer, write);
    if (p.values["json"] === true) await out(JSON.stringify(summary(history)));
    return 0;
  },
});

/** The data, the weights, the trainer, and the lines that say what is about to happen. */
function makeTrainer(p: Parsed, file: string, s: Settings, compiled: Compiled) {
  const dtype = compileOptions(p, file).dtype ?? "f32";
  const testFile = stringOpt(p, "test");
  const load = stringOpt(p, "load");
  const loaded = load !== undefined ? loadWeightsAndVocab(load, compiled.model, dtype) : undefined;
  const weights = loaded?.weights;
  const { train, test, note, vocab } = loadData(s.data, compiled.model, {
    dtype,
    ...(s.holdout !== undefined ? { holdout: s.holdout } : {}),
    ...(testFile !== undefined ? { test: testFile } : {}),
    ...(loaded?.vocab ? { vocab: loaded.vocab } : {}),
  });
  const trainer = new Trainer(compiled, train, test, {
    epochs: s.epochs,
    ...(s.steps !== undefined ? { steps: s.steps } : {}),
    batch: s.batch,
    seed: s.seed,
    ...(s.lr !== undefined ? { lr: s.lr } : {}),
    ...(weights ? { weights } : {}),
    gradNorms: p.values["grad-norms"] === true,
  });
  const o = compiled.model.optimizer;
  const steps = trainer.stepsPerEpoch;
  const plural = (n: number, word: string, many = `${word}s`) => `${n} ${n === 1 ? word : many}`;
  const header = [
    `training ${compiled.model.name} (${file}): ${note}`,
    ...(o.isDefault
      ? [`no \`optimizer\` in ${file}: training with the default, sgd(lr: ${o.lr})`]
      : []),
    (s.steps !== undefined
      ? `${plural(s.steps, "step")} (${plural(trainer.epochs, "epoch")} of up to ${steps}) of batches of up to ${Math.min(s.batch, train.n)}, `
      : `${plural(s.epochs, "epoch")} of ${plural(steps, "batch", "batches")} of up to ${Math.min(s.batch, train.n)}, `) +
      [`${o.kind} lr ${s.lr ?? o.lr}`, ...recipe(o), `seed ${s.seed}`].join(", ") +
      (load ? `, from ${load}` : ""),
    `target: ${compiled.target === "wasm" ? "wasm (WebAssembly SIMD)" : "js"}` +
      (compiled.targetNote ? ` (${compiled.targetNote})` : ""),
  ].join("\n");
  return { trainer, header, vocab };
}

/** What the optimizer runs besides its rate, where the model sets it: `warmup 3 steps, cosine(to: 0.1)`. */
export function recipe(o: OptimizerSpec): string[] {
  return [
    ...(o.warmup ? [`warmup ${o.warmup} step${o.warmup === 1 ? "" : "s"}`] : []),
    ...(o.schedule ? [`schedule ${scheduleText(o.schedule)}`] : []),
    ...(o.decay !== undefined && o.decay !== 1 ? [`decay ${o.decay} per epoch`] : []),
    ...(o.weightDecay ? [`weight decay ${o.weightDecay}`] : []),
  ];
}

function train(trainer: Trainer, epochs: number, write: (text: string) => void): History {
  const hooks = progressHooks(epochs, write);
  const shown = shownEpochs(epochs);
  const normsOf = (r: EpochReport) =>
    `  grad norms: ${r.gradNorms!.map((g) => `${g.layer} ${g.norm.toExponential(2)}`).join("  ")}`;
  return trainer.run({
    ...hooks,
    epochEnd(r) {
      hooks.epochEnd?.(r);
      if (r.gradNorms && shown(r.epoch)) write(normsOf(r));
    },
  });
}

/** The loss curve, the final numbers, and the files asked for. */
function finish(
  history: History,
  s: Settings,
  compiled: Compiled,
  { trainer, vocab }: { trainer: Trainer; vocab: Vocab | undefined },
  write: (text: string) => void,
): void {
  const last = history.epochs[history.epochs.length - 1]!;
  write(
    `\ntraining loss per step\n${terminalCurve(history.steps, { x: `${history.steps.length} steps` })}`,
  );
  const acc =
    last.testAccuracy === null ? "" : `test accuracy ${(100 * last.testAccuracy).toFixed(2)}%, `;
  write(
    `\n${acc}test loss ${last.testLoss.toFixed(4)} after ` +
      (s.steps !== undefined
        ? `${s.steps} step${s.steps === 1 ? "" : "s"} `
        : `${s.epochs} epoch${s.epochs === 1 ? "" : "s"} `) +
      `(${history.seconds.toFixed(1)} s in all)`,
  );
  // both or neither; where that fails at the end, both to fallback files the error names
  const files: OutputData[] = [];
  const metadata = vocab ? vocabMetadata(vocab) : {};
  if (s.save)
    files.push({ ...s.save, data: weightsToBytes(compiled.model, trainer.model, metadata) });
  if (s.plot)
    files.push({ ...s.plot, data: trainingChart(history, `${compiled.model.name} on ${s.data}`) });
  if (files.length > 0) writeOutputsOrFallback(files);
  if (s.save) write(`weights (params and state) saved to ${s.save.path}`);
  if (s.plot) write(`chart written to ${s.plot.path}`);
}

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
