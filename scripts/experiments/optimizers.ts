// Experiment 2. SGD, momentum, RMSProp and Adam on the same model and data.
import { writeOutput } from "../../src/train/outputs.ts";
import { svg } from "../../src/train/plot.ts";
import {
  command,
  execute,
  pct,
  fixed,
  epochsOf,
  lowest,
  fence,
  type Run,
  type History,
} from "./runs.ts";

/** Runs the experiment, writes its chart, and returns its section of docs/EXPERIMENTS.md. */
export function optimizers(): string[] {
  const doc: string[] = [];

  const names = ["sgd", "momentum", "rmsprop", "adam"];
  const runs: Run[] = names.map((m) => ({
    label: m,
    file: "models/experiments/optimizers.nn",
    model: m,
    data: "data/spirals.csv",
    epochs: 100,
    batch: 32,
    seed: 1,
  }));
  const hs = runs.map(execute);
  writeOutput(
    "docs/exp2-optimizers.svg",
    svg(
      [
        {
          kind: "line",
          title: "training loss",
          x: "epoch",
          y: "mean loss of the epoch",
          logY: true,
          series: runs.map((r, i) => ({ name: r.label, points: epochsOf(hs[i]!, "trainLoss") })),
        },
        {
          kind: "line",
          title: "held-out accuracy",
          x: "epoch",
          y: "accuracy (%)",
          series: runs.map((r, i) => ({
            name: r.label,
            points: epochsOf(hs[i]!, "testAccuracy", 100),
          })),
        },
      ],
      "2. SGD, momentum, RMSProp and Adam on the spiral data",
    ),
  );
  const at = (h: History, e: number) => h.epochs[Math.min(e, h.epochs.length - 1)]!;
  doc.push(
    "## 2. SGD, momentum, RMSProp and Adam",
    "",
    "One 2-64-3 relu classifier (`models/experiments/optimizers.nn`, one model per optimizer) on CS231n's " +
      "spiral data (`data/spirals.csv`: three classes of 100 points; 240 for training, 60 held out), " +
      "batches of 32, the same seed and so the same initial weights for all four. " +
      "Learning rates: sgd 0.05, momentum 0.05 with momentum 0.9, rmsprop 0.005, adam 0.005.",
    "",
    fence(runs.map(command)),
    "",
    "| optimizer | train loss after 10 epochs | after 30 | after 100 | held-out accuracy after 100 |",
    "|---|---|---|---|---|",
    ...runs.map(
      (r, i) =>
        `| ${r.label} | ${fixed(at(hs[i]!, 10).trainLoss)} | ${fixed(at(hs[i]!, 30).trainLoss)} | ${fixed(at(hs[i]!, 100).trainLoss)} | ${pct(at(hs[i]!, 100).testAccuracy)} |`,
    ),
    "",
    `After 100 epochs plain SGD's training loss is ${fixed(at(hs[0]!, 100).trainLoss)}; momentum brings it to ` +
      `${fixed(at(hs[1]!, 100).trainLoss)}, RMSProp to ${fixed(at(hs[2]!, 100).trainLoss)} and Adam to ` +
      `${fixed(at(hs[3]!, 100).trainLoss)}. The lowest is ${runs[lowest(hs.map((h) => at(h, 100).trainLoss))]!.label}'s.`,
    "",
    "![training loss (log scale) and held-out accuracy per epoch](exp2-optimizers.svg)",
    "",
  );
  return doc;
}
