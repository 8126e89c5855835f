// Experiment 4. Batch normalization on and off for MNIST.
import { writeOutput } from "../../src/train/outputs.ts";
import { svg } from "../../src/train/plot.ts";
import { command, execute, best, epochsOf, pct2, fence, type Run } from "./runs.ts";

/** Runs the experiment, writes its chart, and returns its section of docs/EXPERIMENTS.md. */
export function batchnorm(): string[] {
  const doc: string[] = [];

  const runs: Run[] = [
    {
      label: "with batchnorm (models/mnist.nn)",
      file: "models/mnist.nn",
      data: "mnist",
      epochs: 10,
      batch: 32,
      seed: 1,
    },
    {
      label: "without (models/experiments/mnist-nobn.nn)",
      file: "models/experiments/mnist-nobn.nn",
      data: "mnist",
      epochs: 10,
      batch: 32,
      seed: 1,
    },
  ];
  const hs = runs.map(execute);
  writeOutput(
    "docs/exp4-batchnorm.svg",
    svg(
      [
        {
          kind: "line",
          title: "held-out accuracy",
          x: "epoch",
          y: "accuracy (%)",
          series: runs.map((r, i) => ({
            name: r.label.replace(/ \(.*/, ""),
            points: epochsOf(hs[i]!, "testAccuracy", 100).filter(([e]) => e > 0),
          })),
        },
        {
          kind: "line",
          title: "loss",
          x: "epoch",
          y: "loss",
          series: runs.flatMap((r, i) => [
            {
              name: `train, ${r.label.replace(/ \(.*/, "")}`,
              points: epochsOf(hs[i]!, "trainLoss"),
              color: i,
            },
            {
              name: `test, ${r.label.replace(/ \(.*/, "")}`,
              points: epochsOf(hs[i]!, "testLoss").filter(([e]) => e > 0),
              dashed: true,
              color: i,
            },
          ]),
        },
      ],
      "4. Batch normalization on MNIST",
    ),
  );
  doc.push(
    "## 4. Batch normalization on and off for MNIST",
    "",
    "`models/mnist.nn` (dropout 0.1 on the pixels, 784-128 dense, batchnorm, relu, dropout 0.2, softmax; Adam at 0.002 annealed along a " +
      "cosine) against the same model without its batchnorm, on the 8,000 training digits of the `mnist` " +
      "package, tested on the 2,000 held out.",
    "",
    fence(runs.map(command)),
    "",
    `| epoch | ${runs.map((r) => `${r.label}: held-out accuracy`).join(" | ")} |`,
    `|---|${runs.map(() => "---").join("|")}|`,
    ...hs[0]!.epochs
      .filter((e) => e.epoch > 0)
      .map(
        (e) =>
          `| ${e.epoch} | ${hs.map((h) => pct2(h.epochs[e.epoch]!.testAccuracy)).join(" | ")} |`,
      ),
    "",
    `After one epoch the model with batchnorm is at ${pct2(hs[0]!.epochs[1]!.testAccuracy)} and the one ` +
      `without at ${pct2(hs[1]!.epochs[1]!.testAccuracy)}; after two, ${pct2(hs[0]!.epochs[2]!.testAccuracy)} ` +
      `and ${pct2(hs[1]!.epochs[2]!.testAccuracy)}; after ten, ${pct2(hs[0]!.epochs.at(-1)!.testAccuracy)} and ` +
      `${pct2(hs[1]!.epochs.at(-1)!.testAccuracy)} (best over the ten epochs: ${pct2(best(hs[0]!))} and ` +
      `${pct2(best(hs[1]!))}). Training took ${hs[0]!.seconds.toFixed(0)} s and ${hs[1]!.seconds.toFixed(0)} s ` +
      "on a shared machine: times vary with its load.",
    "",
    "![held-out accuracy and loss per epoch](exp4-batchnorm.svg)",
    "",
  );
  return doc;
}
