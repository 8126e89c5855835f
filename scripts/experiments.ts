// `npm run experiments`: runs the experiments of docs/EXPERIMENTS.md, draws their charts
// (docs/*.svg) and rewrites the document with the numbers measured. Every run is an `nnc train`
// command, printed in the document; running that command gives the same numbers (same seed, same
// data, same weights bit for bit).
import { mkdirSync } from "node:fs";
import { writeOutput } from "../src/train/outputs.ts";
import * as prettier from "prettier";
import { withToc } from "./docs/pages.ts";
import { blobs, moons as moonsData, spirals } from "./experiments/datasets.ts";
import { perceptron } from "./experiments/perceptron.ts";
import { optimizers } from "./experiments/optimizers.ts";
import { vanishing } from "./experiments/vanishing.ts";
import { batchnorm } from "./experiments/batchnorm.ts";
import { spiral } from "./experiments/spiral.ts";
import { moons } from "./experiments/moons.ts";
import { svm } from "./experiments/svm.ts";
import { nielsen } from "./experiments/nielsen.ts";

mkdirSync("docs", { recursive: true });
spirals("data/spirals.csv");
moonsData("data/moons.csv");
blobs("data/blobs.csv");
const started = Date.now();
const doc = [
  ...perceptron(),
  ...optimizers(),
  ...vanishing(),
  ...batchnorm(),
  ...spiral(),
  ...moons(),
  ...svm(),
  ...nielsen(),
];
const minutes = ((Date.now() - started) / 60000).toFixed(1);
const markdown = [
  "# Experiments",
  "",
  "The classic lessons of training neural networks, each reproduced with `nnc train`. This file and its " +
    "charts are written by `npm run experiments` (" +
    `${minutes} minutes on the machine that last ran it); every number below is the one it measured. ` +
    "Each command printed before a table reproduces that run on its own, with the same numbers.",
  "",
  "<!-- toc:start -->",
  "<!-- toc:end -->",
  "",
  ...doc,
].join("\n");
const style = (await prettier.resolveConfig("docs/EXPERIMENTS.md")) ?? {};
writeOutput(
  "docs/EXPERIMENTS.md",
  await prettier.format(withToc(markdown), { ...style, parser: "markdown" }),
);
console.log(`wrote docs/EXPERIMENTS.md and docs/exp1..8 charts (${minutes} min)`);
