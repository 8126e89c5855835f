// Experiment 5. CS231n's case study: a linear softmax classifier and a 2-layer network on the
// spiral, full-batch gradient descent with L2 regularization.
import { writeOutput } from "../../src/train/outputs.ts";
import { svg } from "../../src/train/plot.ts";
import { parseCsv } from "../../src/train/csv.ts";
import { readFileSync } from "node:fs";
import { command, train, fixed, pct, fence, type Run, type History } from "./runs.ts";
import { classifier, regionsSvg, type Point } from "./regions.ts";

/** The points of a CSV file of `x1,x2,label`; labels -1/+1 become classes 0/1. */
export function pointsOf(file: string): Point[] {
  const t = parseCsv(readFileSync(file, "utf8"), file);
  return Array.from({ length: t.rows }, (_, r) => {
    const label = t.values[r * 3 + 2]!;
    return { x: t.values[r * 3]!, y: t.values[r * 3 + 1]!, cls: label < 0 ? 0 : label };
  });
}

/** Every `every`-th epoch's value (and the last), to keep long runs' charts small. */
export function thinned(h: History, key: "trainLoss" | "testAccuracy", every: number, scale = 1) {
  const last = h.epochs.length - 1;
  return h.epochs
    .filter((e) => e.epoch > 0 && (e.epoch % every === 0 || e.epoch === last || e.epoch < every))
    .map((e): [number, number] => [e.epoch, scale * ((e[key] as number | null) ?? NaN)]);
}

export function spiral(): string[] {
  const runs: Run[] = [
    {
      label: "2-layer network (100 relu units)",
      file: "models/spiral.nn",
      data: "data/spirals.csv",
      holdout: 0,
      epochs: 10000,
      batch: 300,
      seed: 1,
    },
    {
      label: "linear softmax classifier",
      file: "models/spiral.nn",
      model: "linear",
      data: "data/spirals.csv",
      holdout: 0,
      epochs: 200,
      batch: 300,
      seed: 1,
    },
  ];
  const results = runs.map(train);
  const hs = results.map((r) => r.history);
  const last = (h: History) => h.epochs.at(-1)!;
  const points = pointsOf("data/spirals.csv");
  writeOutput(
    "docs/exp5-spiral.svg",
    svg(
      [
        {
          kind: "line",
          title: "training loss",
          x: "step",
          y: "loss",
          logY: true,
          series: runs.map((r, i) => ({ name: r.label, points: thinned(hs[i]!, "trainLoss", 50) })),
        },
        {
          kind: "line",
          title: "training accuracy",
          x: "step",
          y: "accuracy (%)",
          series: runs.map((r, i) => ({
            name: r.label,
            points: thinned(hs[i]!, "testAccuracy", 50, 100),
          })),
        },
      ],
      "5. CS231n's spiral: loss and accuracy per step of full-batch gradient descent",
    ),
  );
  writeOutput(
    "docs/exp5-spiral-regions.svg",
    regionsSvg(
      results.map((r, i) => ({
        title: `${runs[i]!.label}: ${pct(last(hs[i]!).testAccuracy)}`,
        points,
        classify: classifier(r.trainer.model, "p"),
      })),
      "5. The classes each model assigns",
    ),
  );
  const [net, lin] = hs.map(last) as [History["epochs"][0], History["epochs"][0]];
  return [
    "## 5. CS231n's case study: a linear classifier and a 2-layer network on the spiral",
    "",
    "The note “Putting it together: minimal neural network case study” of CS231n, as written there: " +
      "its spiral data (`data/spirals.csv`, made by its generator: 3 classes of 100 points, radius " +
      "`linspace(0, 1)`, angle `linspace(4j, 4(j + 1)) + 0.2 randn`), weights drawn as `0.01 randn`, " +
      "biases 0, L2 regularization with `reg = 1e-3` (`0.5 * reg * sum(W * W)` per weight matrix), and " +
      "gradient descent with step size 1.0 on the full batch of 300 points, 200 steps for the linear " +
      "softmax classifier and 10,000 for the 2-layer network. `models/spiral.nn` writes the penalty in " +
      "the 2-layer network's loss as `0.5e-3 * l2(h.W, z.W)` and gives the linear model " +
      "`weight_decay: 1e-3` instead (the same gradient; its reported loss leaves the penalty out). " +
      "Accuracy is measured on the training points, as in the note (`--holdout 0`).",
    "",
    fence(runs.map(command)),
    "",
    "| model | steps | final loss | training accuracy | CS231n reports |",
    "|---|---|---|---|---|",
    `| ${runs[0]!.label} | 10,000 | ${fixed(net.trainLoss)} | ${pct(net.testAccuracy)} | 98% |`,
    `| ${runs[1]!.label} | 200 | ${fixed(lin.trainLoss)} | ${pct(lin.testAccuracy)} | 49% |`,
    "",
    `The linear classifier can only cut the plane into three wedges and stays at ${pct(lin.testAccuracy)}; ` +
      `the network with one hidden layer of 100 relu units follows the arms of the spiral and reaches ` +
      `${pct(net.testAccuracy)}, the note's two numbers on data drawn the same way (not the same draws).`,
    "",
    "![training loss and accuracy per step](exp5-spiral.svg)",
    "",
    "![the regions each model assigns to each class, with the data](exp5-spiral-regions.svg)",
    "",
  ];
}
