// `npm run experiments`: runs the experiments of docs/EXPERIMENTS.md, draws their charts
// (docs/*.svg) and rewrites the document with the numbers measured. Every run is an `nnc train`
// command, printed in the document; running that command gives the same numbers (same seed, same
// data, same weights bit for bit). Names as arguments run those experiments alone and keep the
// other sections of the document.
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
import { gpt, makemore } from "./experiments/sequences.ts";

/** Every experiment by the name that selects it: `npm run experiments -- makemore gpt`. */
const experiments: [string, () => string[]][] = [
  ["perceptron", perceptron],
  ["optimizers", optimizers],
  ["vanishing", vanishing],
  ["batchnorm", batchnorm],
  ["spiral", spiral],
  ["moons", moons],
  ["svm", svm],
  ["nielsen", nielsen],
  ["makemore", makemore],
  ["gpt", gpt],
];
const names = process.argv.slice(2);
const unknown = names.filter((n) => !experiments.some(([e]) => e === n));
if (unknown.length > 0) {
  console.error(
    `unknown experiment ${unknown.join(", ")}; the experiments: ${experiments.map(([e]) => e).join(", ")}`,
  );
  process.exit(1);
}
const chosen = experiments.filter(([e]) => names.length === 0 || names.includes(e));

mkdirSync("docs", { recursive: true });
spirals("data/spirals.csv");
moonsData("data/moons.csv");
blobs("data/blobs.csv");
const started = Date.now();
const fresh = chosen.map(([, run]) => run().join("\n"));
const minutes = ((Date.now() - started) / 60000).toFixed(1);
const intro = [
  "# Experiments",
  "",
  "The classic lessons of training neural networks, each reproduced with `nnc train`. This file and its " +
    "charts are written by `npm run experiments` (" +
    `${minutes} minutes on the machine that last ran it); every number below is the one it measured. ` +
    "Each command printed before a table reproduces that run on its own, with the same numbers. " +
    "`npm run experiments -- NAME...` runs some of them (" +
    `${experiments.map(([e]) => e).join(", ")}) and keeps the other sections as they are.`,
  "",
  "<!-- toc:start -->",
  "<!-- toc:end -->",
  "",
].join("\n");
const markdown = names.length === 0 ? [intro, ...fresh].join("\n") : merge(fresh);
const style = (await prettier.resolveConfig("docs/EXPERIMENTS.md")) ?? {};
writeOutput(
  "docs/EXPERIMENTS.md",
  await prettier.format(withToc(markdown), { ...style, parser: "markdown" }),
);
console.log(
  `wrote docs/EXPERIMENTS.md and the charts of ${chosen.map(([e]) => e).join(", ")} (${minutes} min)`,
);

/** The document as it is, with the sections just run in place of theirs (by number), in order. */
function merge(sections: string[]): string {
  const old = existsSync("docs/EXPERIMENTS.md") ? readFileSync("docs/EXPERIMENTS.md", "utf8") : "";
  const parts = old.split(/^(?=## )/m);
  const head = parts[0]?.startsWith("# ") ? parts.shift()! : "# Experiments\n\n";
  const number = (section: string) => Number(/^## (\d+)\./.exec(section)?.[1] ?? Infinity);
  const byNumber = new Map(parts.map((p) => [number(p), p.trimEnd() + "\n"]));
  for (const section of sections) byNumber.set(number(section), section);
  const ordered = [...byNumber].sort((a, b) => a[0] - b[0]).map(([, p]) => p);
  return [head.trimEnd() + "\n", ...ordered].join("\n");
}
