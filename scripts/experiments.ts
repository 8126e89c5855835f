// `npm run experiments`: runs the experiments of docs/EXPERIMENTS.md, draws their charts
// (docs/*.svg) and rewrites the document with the numbers measured. Every run is an `nnc train`
// command, printed in the document; running that command gives the same numbers (same seed, same
// data, same weights bit for bit). `npm run experiments -- lenet svm` runs only those experiments
// and rewrites only their sections, keeping the others' text.
import { existsSync, mkdirSync, readFileSync } from "node:fs";
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
import { lenet } from "./experiments/lenet.ts";
import { gpt, makemore } from "./experiments/sequences.ts";

/** The experiments in the document's order: section N is the N-th. */
const experiments: [string, () => string[]][] = [
  ["perceptron", perceptron],
  ["optimizers", optimizers],
  ["vanishing", vanishing],
  ["batchnorm", batchnorm],
  ["spiral", spiral],
  ["moons", moons],
  ["svm", svm],
  ["nielsen", nielsen],
  ["lenet", lenet],
  ["makemore", makemore],
  ["gpt", gpt],
];
const only = process.argv.slice(2);
for (const name of only)
  if (!experiments.some(([n]) => n === name))
    throw new Error(`no experiment ${name}; they are ${experiments.map(([n]) => n).join(", ")}`);
if (only.length > 0 && !existsSync("docs/EXPERIMENTS.md"))
  throw new Error("docs/EXPERIMENTS.md is missing: run every experiment once, without names");

/** The sections of the document as it is, by number (`## 4. ...` up to the next one). */
function sectionsNow(): Map<number, string[]> {
  const out = new Map<number, string[]>();
  let current: string[] | undefined;
  for (const line of readFileSync("docs/EXPERIMENTS.md", "utf8").split("\n")) {
    const m = /^## (\d+)\./.exec(line);
    if (m) out.set(Number(m[1]), (current = []));
    current?.push(line);
  }
  return out;
}

mkdirSync("docs", { recursive: true });
spirals("data/spirals.csv");
moonsData("data/moons.csv");
blobs("data/blobs.csv");
const kept = only.length > 0 ? sectionsNow() : new Map<number, string[]>();
const started = Date.now();
const doc = experiments.flatMap(([name, run], i) =>
  only.length === 0 || only.includes(name) ? run() : (kept.get(i + 1) ?? []),
);
const minutes = ((Date.now() - started) / 60000).toFixed(1);
const took =
  only.length > 0
    ? /\(([\d.]+) minutes on the machine/.exec(readFileSync("docs/EXPERIMENTS.md", "utf8"))?.[1]
    : minutes;
const markdown = [
  "# Experiments",
  "",
  "The classic lessons of training neural networks, each reproduced with `nnc train`. This file and its " +
    "charts are written by `npm run experiments` (" +
    `${took ?? minutes} minutes on the machine that last ran it); every number below is the one it measured. ` +
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
console.log(`wrote docs/EXPERIMENTS.md and its charts (${minutes} min)`);
