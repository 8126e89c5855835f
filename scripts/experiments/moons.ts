// Experiment 6. micrograd's demo: a 2-16-16-1 network, hinge loss on -1/+1 labels, L2 1e-4, and
// the learning rate decayed linearly from 1.0 towards 0.1 over 100 full-batch steps.
import { writeOutput } from "../../src/train/outputs.ts";
import { svg } from "../../src/train/plot.ts";
import { command, train, fixed, pct, epochsOf, fence, type Run } from "./runs.ts";
import { classifier, regionsSvg } from "./regions.ts";
import { pointsOf } from "./spiral.ts";

export function moons(): string[] {
  const run: Run = {
    label: "micrograd's moons",
    file: "models/moons.nn",
    data: "data/moons.csv",
    holdout: 0,
    epochs: 100,
    batch: 100,
    seed: 1,
  };
  const { history, trainer } = train(run);
  const last = history.epochs.at(-1)!;
  const firstPerfect = history.epochs.find((e) => e.testAccuracy === 1)?.epoch;
  // the first step from which every later one is at 100% too
  const lastMiss = Math.max(
    -1,
    ...history.epochs.filter((e) => e.testAccuracy !== 1).map((e) => e.epoch),
  );
  const perfectFrom = lastMiss + 1 < history.epochs.length ? lastMiss + 1 : undefined;
  const steps = history.epochs.length - 1;
  const rates = [0, 50, steps - 1].map((t) => trainer.learningRate(t));
  writeOutput(
    "docs/exp6-moons.svg",
    svg(
      [
        {
          kind: "line",
          title: "loss (hinge + L2)",
          x: "step",
          y: "loss",
          logY: true,
          series: [{ name: "training loss", points: epochsOf(history, "trainLoss") }],
        },
        {
          kind: "line",
          title: "accuracy and learning rate",
          x: "step",
          y: "accuracy (%), learning rate x 100",
          series: [
            { name: "accuracy", points: epochsOf(history, "testAccuracy", 100) },
            {
              name: "learning rate x 100",
              dashed: true,
              points: history.epochs
                .filter((e) => e.epoch > 0)
                .map((e): [number, number] => [e.epoch, 100 * trainer.learningRate(e.epoch - 1)]),
            },
          ],
        },
      ],
      "6. micrograd's demo on the two moons",
    ),
  );
  writeOutput(
    "docs/exp6-moons-regions.svg",
    regionsSvg(
      [
        {
          title: `the sign of the score: ${pct(last.testAccuracy)}`,
          points: pointsOf("data/moons.csv"),
          classify: classifier(trainer.model, "score"),
        },
      ],
      "6. The two moons",
    ),
  );
  return [
    "## 6. micrograd's demo: the two moons with a margin loss",
    "",
    "The demo notebook of Karpathy's micrograd: scikit-learn's `make_moons(n_samples=100, noise=0.1)` " +
      "(`data/moons.csv`, made by the same recipe from a fixed seed), labels -1 and +1, a 2-16-16-1 " +
      "network of relu units with weights uniform in [-1, 1] and biases 0, the “max-margin” loss " +
      "`mean(max(0, 1 - y score))` plus `1e-4` times the sum of the squares of every param " +
      "(`1e-4 * l2(...)`), and 100 steps of gradient descent on the whole data with the learning rate " +
      "`1.0 - 0.9 k / 100` at step k: `schedule: linear(to: 0.1)`, whose horizon is the run's 100 steps. " +
      "Accuracy is the sign of the score against the label (`metric = accuracy(score, y, threshold: 0)`), " +
      "on the training points as in the demo.",
    "",
    fence([command(run)]),
    "",
    "| steps | learning rate at steps 0, 50, 99 | final loss | training accuracy | 100% first after | micrograd reports |",
    "|---|---|---|---|---|---|",
    `| ${steps} | ${rates.map((r) => r.toFixed(3)).join(", ")} | ${fixed(last.trainLoss)} | ${pct(last.testAccuracy)} | ${firstPerfect === undefined ? "never" : `${firstPerfect} steps`} | 100% |`,
    "",
    `The network separates the two moons: ${pct(last.testAccuracy)} of the points on their side of the ` +
      `boundary after ${steps} steps${perfectFrom !== undefined ? `, and all of them after each of the last ${steps - perfectFrom + 1} steps` : ""}.`,
    "",
    "![loss, accuracy and learning rate per step](exp6-moons.svg)",
    "",
    "![the two moons and the regions of the two classes](exp6-moons-regions.svg)",
    "",
  ];
}
