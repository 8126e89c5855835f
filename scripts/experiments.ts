// `npm run experiments`: runs the four experiments of docs/EXPERIMENTS.md, draws their charts
// (docs/*.svg) and rewrites the document with the numbers measured. Every run is an `nnc train`
// command, printed in the document; running that command gives the same numbers (same seed, same
// data, same weights bit for bit).
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as prettier from "prettier";
import { compile } from "../src/index.ts";
import { loadData } from "../src/train/load.ts";
import { Trainer, type History } from "../src/train/trainer.ts";
import { svg, type Chart } from "../src/train/plot.ts";
import { mulberry32 } from "../src/train/rng.ts";

interface Run {
  label: string;
  file: string;
  model?: string;
  data: string;
  epochs: number;
  batch: number;
  seed: number;
  gradNorms?: boolean;
}

function command(r: Run): string {
  return [
    "npx nnc train",
    r.file,
    ...(r.model ? ["--model", r.model] : []),
    `--data ${r.data} --epochs ${r.epochs} --batch ${r.batch} --seed ${r.seed}`,
    ...(r.gradNorms ? ["--grad-norms"] : []),
  ].join(" ");
}

function execute(r: Run): History {
  const started = performance.now();
  const compiled = compile(readFileSync(r.file, "utf8"), {
    file: r.file,
    ...(r.model ? { model: r.model } : {}),
  });
  const { train, test } = loadData(r.data, compiled.model);
  const trainer = new Trainer(compiled, train, test, {
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
  return history;
}

const pct = (v: number | null) => (v === null ? "-" : `${(100 * v).toFixed(1)}%`);
const fixed = (v: number) => v.toFixed(4);
const sci = (v: number) => v.toExponential(2);
const best = (h: History) => Math.max(...h.epochs.map((e) => e.testAccuracy ?? 0));
const epochsOf = (h: History, key: "trainLoss" | "testLoss" | "testAccuracy", scale = 1) =>
  h.epochs
    .filter((e) => e.epoch > 0 || key !== "trainLoss")
    .map((e): [number, number] => [e.epoch, scale * ((e[key] as number | null) ?? NaN)]);
const lowest = (xs: number[]) => xs.indexOf(Math.min(...xs));
const pct2 = (v: number | null) => (v === null ? "-" : `${(100 * v).toFixed(2)}%`);
const fence = (lines: string[]) => ["```sh", ...lines, "```"].join("\n");

/** CS231n's spiral data: three classes of 100 points, each an arm of a noisy spiral. */
function spirals(file: string): void {
  const rand = mulberry32(1998);
  const normal = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const rows = ["x1,x2,class"];
  for (let k = 0; k < 3; k++)
    for (let i = 0; i < 100; i++) {
      const r = i / 99;
      const t = 4 * k + (4 * i) / 99 + 0.2 * normal();
      rows.push(`${(r * Math.sin(t)).toFixed(5)},${(r * Math.cos(t)).toFixed(5)},${k}`);
    }
  writeFileSync(file, rows.join("\n") + "\n");
}

mkdirSync("docs", { recursive: true });
spirals("data/spirals.csv");
const doc: string[] = [];
const started = Date.now();

// 1. The perceptron and XOR
{
  const runs: Run[] = [
    {
      label: "perceptron on AND",
      file: "models/perceptron.nn",
      data: "data/and.csv",
      epochs: 100,
      batch: 4,
      seed: 1,
    },
    {
      label: "perceptron on XOR",
      file: "models/perceptron.nn",
      data: "data/xor.csv",
      epochs: 100,
      batch: 4,
      seed: 1,
    },
    {
      label: "2-4-1 MLP on XOR",
      file: "models/xor.nn",
      data: "data/xor.csv",
      epochs: 300,
      batch: 4,
      seed: 1,
    },
  ];
  const hs = runs.map(execute);
  writeFileSync(
    "docs/exp1-perceptron.svg",
    svg(
      [
        {
          kind: "line",
          title: "accuracy on the four points",
          x: "epoch",
          y: "accuracy (%)",
          series: runs.map((r, i) => ({
            name: r.label,
            points: epochsOf(hs[i]!, "testAccuracy", 100),
          })),
        },
        {
          kind: "line",
          title: "loss",
          x: "epoch",
          y: "loss",
          series: runs.map((r, i) => ({ name: r.label, points: epochsOf(hs[i]!, "testLoss") })),
        },
      ],
      "1. A perceptron learns AND but not XOR; an MLP learns XOR",
    ),
  );
  const [and, xor, mlp] = hs as [History, History, History];
  doc.push(
    "## 1. A perceptron learns AND but not XOR; a 2-4-1 MLP learns XOR",
    "",
    "`models/perceptron.nn` is Rosenblatt's perceptron: a step activation trained with the perceptron rule. " +
      "AND is linearly separable; XOR is not, so no line, and no perceptron, gets all four points right. " +
      "`models/xor.nn` adds a hidden layer of four sigmoid units.",
    "",
    fence(runs.map(command)),
    "",
    "| run | epochs | final accuracy | best accuracy over all epochs | final loss |",
    "|---|---|---|---|---|",
    ...runs.map(
      (r, i) =>
        `| ${r.label} | ${r.epochs} | ${pct(hs[i]!.epochs.at(-1)!.testAccuracy)} | ${pct(best(hs[i]!))} | ${fixed(hs[i]!.epochs.at(-1)!.testLoss)} |`,
    ),
    "",
    `The perceptron ${best(and) === 1 ? "gets all four AND points right" : `reaches only ${pct(best(and))} on AND`}; ` +
      `on XOR it never does better than ${pct(best(xor))} in ${runs[1]!.epochs} epochs. ` +
      `The MLP ${mlp.epochs.at(-1)!.testAccuracy === 1 ? "classifies all four XOR points right" : `reaches ${pct(mlp.epochs.at(-1)!.testAccuracy)} on XOR`}.`,
    "",
    "![accuracy and loss per epoch](exp1-perceptron.svg)",
    "",
  );
}

// 2. Optimizers
{
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
  writeFileSync(
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
}

// 3. Vanishing gradients
{
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
  writeFileSync(
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
}

// 4. Batch normalization on MNIST
{
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
  writeFileSync(
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
            },
            {
              name: "test",
              points: epochsOf(hs[i]!, "testLoss").filter(([e]) => e > 0),
              dashed: true,
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
    "`models/mnist.nn` (784-128 dense, batchnorm, relu, dropout 0.2, softmax; Adam at 0.002 annealed along a " +
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
}

const minutes = ((Date.now() - started) / 60000).toFixed(1);
const markdown = [
  "# Experiments",
  "",
  "The classic lessons of training neural networks, each reproduced with `nnc train`. This file and its " +
    "charts are written by `npm run experiments` (" +
    `${minutes} minutes on the machine that last ran it); every number below is the one it measured. ` +
    "Each command printed before a table reproduces that run on its own, with the same numbers.",
  "",
  ...doc,
].join("\n");
const style = (await prettier.resolveConfig("docs/EXPERIMENTS.md")) ?? {};
writeFileSync(
  "docs/EXPERIMENTS.md",
  await prettier.format(markdown, { ...style, parser: "markdown" }),
);
console.log(`wrote docs/EXPERIMENTS.md and docs/exp1..4 charts (${minutes} min)`);
