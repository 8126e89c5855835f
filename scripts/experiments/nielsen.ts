// Experiment 8. Nielsen's chapter 1 network: 784-30-10 sigmoid, quadratic cost, batches of 10,
// eta 3.0, on the bundled digits.
import { writeOutput } from "../../src/train/outputs.ts";
import { svg } from "../../src/train/plot.ts";
import { command, execute, epochsOf, fixed, pct2, fence, best, type Run } from "./runs.ts";

export function nielsen(): string[] {
  const run: Run = {
    label: "784-30-10 sigmoid, quadratic cost",
    file: "models/nielsen.nn",
    data: "mnist",
    epochs: 30,
    batch: 10,
    seed: 1,
  };
  const h = execute(run);
  const after = h.epochs.filter((e) => e.epoch > 0);
  const last = after.at(-1)!;
  const top = after.find((e) => e.testAccuracy === best(h))!;
  writeOutput(
    "docs/exp8-nielsen.svg",
    svg(
      [
        {
          kind: "line",
          title: "held-out accuracy",
          x: "epoch",
          y: "accuracy (%)",
          series: [{ name: run.label, points: epochsOf(h, "testAccuracy", 100).slice(1) }],
        },
        {
          kind: "line",
          title: "quadratic cost",
          x: "epoch",
          y: "mean of 1/2 |y - a|^2",
          series: [
            { name: "training (mean of the epoch)", points: epochsOf(h, "trainLoss") },
            { name: "held out", dashed: true, points: epochsOf(h, "testLoss").slice(1) },
          ],
        },
      ],
      "8. Nielsen's network on the bundled digits",
    ),
  );
  const rows = after.map(
    (e) =>
      `| ${e.epoch} | ${pct2(e.testAccuracy)} | ${fixed(e.trainLoss)} | ${fixed(e.testLoss)} |`,
  );
  return [
    "## 8. Nielsen's first network: 784-30-10 sigmoid units and the quadratic cost",
    "",
    "Chapter 1 of Michael Nielsen's “Neural Networks and Deep Learning”: 784 inputs, 30 sigmoid " +
      "units, 10 sigmoid outputs, weights and biases drawn from N(0, 1) as his `network.py` draws them, " +
      "the quadratic cost `C = 1/2 |y - a|^2` (`mean(quadratic(a, y))`: his cost of a mini-batch), " +
      "mini-batches of 10 and `eta = 3.0` for 30 epochs (`models/nielsen.nn`). The book's runs reach " +
      "about 95% on MNIST's 10,000 test images after training on 50,000 images per epoch; here the " +
      "data is the 10,000 digits of the `mnist` package, 8,000 for training and 2,000 held out, so an " +
      "epoch is 800 steps where the book's is 5,000.",
    "",
    fence([command(run)]),
    "",
    "| epoch | held-out accuracy | training cost (mean of the epoch) | held-out cost |",
    "|---|---|---|---|",
    ...rows,
    "",
    `After 30 epochs the network classifies ${pct2(last.testAccuracy)} of the 2,000 held-out digits ` +
      `(best ${pct2(top.testAccuracy)}, after epoch ${top.epoch}), below the book's 95% with its six ` +
      `times larger training set; the training cost (${fixed(last.trainLoss)}) ends far below the ` +
      `held-out one (${fixed(last.testLoss)}): on 8,000 examples the network overfits.`,
    "",
    "![held-out accuracy and quadratic cost per epoch](exp8-nielsen.svg)",
    "",
  ];
}
