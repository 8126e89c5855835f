// Experiment 3. Vanishing gradients: 8 layers of sigmoid, of relu, and of batchnorm + sigmoid.
import { writeOutput } from "../../src/train/outputs.ts";
import { svg } from "../../src/train/plot.ts";
import { command, execute, pct, fixed, sci, epochsOf, fence, type Run } from "./runs.ts";

/** Runs the experiment, writes its chart, and returns its section of docs/EXPERIMENTS.md. */
export function vanishing(): string[] {
  const doc: string[] = [];

  const models = [
    ["deep_sigmoid", "8 layers, sigmoid"],
    ["deep_relu", "8 layers, relu"],
    ["deep_sigmoid_bn", "8 layers, batchnorm + sigmoid"],
  ] as const;
  const runs: Run[] = models.map(([m, label]) => ({
    label,
    file: "models/experiments/deep.nn",
    model: m,
    data: "data/spirals.csv",
    epochs: 100,
    batch: 32,
    seed: 1,
    gradNorms: true,
  }));
  const hs = runs.map(execute);
  const start = hs.map((h) => h.epochs[0]!.gradNorms!);
  const layers = start[0]!.map((g) => g.layer);
  writeOutput(
    "docs/exp3-vanishing.svg",
    svg(
      [
        {
          kind: "bar",
          title: "gradient norm per layer, before training",
          y: "norm of the layer's gradient",
          logY: true,
          categories: layers,
          series: runs.map((r, i) => ({
            name: r.label,
            values: layers.map((l) => start[i]!.find((g) => g.layer === l)?.norm ?? NaN),
          })),
        },
        {
          kind: "line",
          title: "training loss",
          x: "epoch",
          y: "mean loss of the epoch",
          series: runs.map((r, i) => ({ name: r.label, points: epochsOf(hs[i]!, "trainLoss") })),
        },
      ],
      "3. Vanishing gradients in an 8-layer network",
    ),
  );
  const ratio = (i: number) => {
    const g = start[i]!;
    return g[0]!.norm / g[g.length - 1]!.norm;
  };
  doc.push(
    "## 3. Vanishing gradients",
    "",
    "Eight dense layers of 32 units (seven hidden, then the 3-way softmax) on the spiral data, trained with " +
      "sgd (lr 0.02, momentum 0.9): with sigmoid, with relu, and with batchnorm before each sigmoid " +
      "(`models/experiments/deep.nn`). `--grad-norms` prints the norm of each layer's gradient before " +
      "training and after every epoch; the chart shows them before training, on the first batch.",
    "",
    fence(runs.map(command)),
    "",
    `| layer | ${runs.map((r) => r.label).join(" | ")} |`,
    `|---|${runs.map(() => "---").join("|")}|`,
    ...layers.map(
      (l) =>
        `| ${l} | ${start.map((g) => sci(g.find((x) => x.layer === l)?.norm ?? NaN)).join(" | ")} |`,
    ),
    `| first layer / last layer | ${runs.map((_, i) => sci(ratio(i))).join(" | ")} |`,
    `| train loss after 100 epochs | ${hs.map((h) => fixed(h.epochs.at(-1)!.trainLoss)).join(" | ")} |`,
    `| held-out accuracy | ${hs.map((h) => pct(h.epochs.at(-1)!.testAccuracy)).join(" | ")} |`,
    "",
    "The sigmoid's derivative is at most 1/4, so each sigmoid layer shrinks the gradient that flows back " +
      `through it: before training, the first layer's gradient is ${sci(ratio(0))} times the last layer's ` +
      `in the sigmoid network, ${sci(ratio(1))} with relu and ${sci(ratio(2))} with batchnorm.`,
    "",
    "![gradient norm per layer before training (log scale), and training loss](exp3-vanishing.svg)",
    "",
  );
  return doc;
}
