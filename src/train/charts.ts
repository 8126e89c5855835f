// The chart `nnc train --plot` writes: train and test loss, and test accuracy, against epochs.
import { svg, type Chart } from "./plot.ts";
import type { History } from "./trainer.ts";

export function trainingChart(history: History, title: string): string {
  const after = history.epochs.filter((e) => e.epoch > 0);
  const charts: Chart[] = [
    {
      kind: "line",
      title: "loss",
      x: "epoch",
      y: "loss",
      series: [
        { name: "train loss", points: after.map((e) => [e.epoch, e.trainLoss]) },
        {
          name: "test loss",
          points: history.epochs.map((e) => [e.epoch, e.testLoss]),
          dashed: true,
        },
      ],
    },
  ];
  if (history.epochs.some((e) => e.testAccuracy !== null))
    charts.push({
      kind: "line",
      title: "test accuracy",
      x: "epoch",
      y: "accuracy (%)",
      series: [
        {
          name: "test accuracy",
          points: history.epochs.map((e) => [e.epoch, 100 * (e.testAccuracy ?? NaN)]),
        },
      ],
    });
  return svg(charts, title);
}
