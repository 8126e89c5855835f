// Experiment 1. A perceptron learns AND but not XOR; a 2-4-1 MLP learns XOR.
import { writeOutput } from "../../src/train/outputs.ts";
import { svg } from "../../src/train/plot.ts";
import {
  command,
  execute,
  pct,
  fixed,
  best,
  epochsOf,
  fence,
  type Run,
  type History,
} from "./runs.ts";

/** Runs the experiment, writes its chart, and returns its section of docs/EXPERIMENTS.md. */
export function perceptron(): string[] {
  const doc: string[] = [];

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
  writeOutput(
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
  return doc;
}
