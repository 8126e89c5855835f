// Experiment 7. The linear SVM against logistic regression on two separable blobs: both separate
// the data; the SVM's line leaves the widest margin.
import { writeOutput } from "../../src/train/outputs.ts";
import { command, train, fixed, pct, fence, type Run } from "./runs.ts";
import { regionsSvg, type Line, type Point } from "./regions.ts";
import { pointsOf } from "./spiral.ts";

/** The distance from the line w.x + b = 0 to the closest point, signed: < 0 if one is misclassified. */
export function geometricMargin(points: Point[], w: [number, number], b: number): number {
  const norm = Math.hypot(w[0], w[1]);
  return Math.min(
    ...points.map((p) => ((p.cls === 1 ? 1 : -1) * (w[0] * p.x + w[1] * p.y + b)) / norm),
  );
}

/**
 * The widest margin any line leaves, found without any training: for each direction n of a line's
 * normal, the best line is midway between the classes' projections on n, with margin
 * (min over the +1 points of n.x - max over the -1 points of n.x) / 2; search every direction in
 * 0.01 degree steps, then refine around the best.
 */
export function widestMargin(points: Point[]): number {
  let best = -Infinity;
  let at = 0;
  const scan = (from: number, to: number, n: number) => {
    for (let i = 0; i <= n; i++) {
      const t = from + ((to - from) * i) / n;
      const [c, s] = [Math.cos(t), Math.sin(t)];
      let lowPos = Infinity;
      let highNeg = -Infinity;
      for (const p of points) {
        const v = c * p.x + s * p.y;
        if (p.cls === 1) lowPos = Math.min(lowPos, v);
        else highNeg = Math.max(highNeg, v);
      }
      if ((lowPos - highNeg) / 2 > best) [best, at] = [(lowPos - highNeg) / 2, t];
    }
  };
  scan(0, 2 * Math.PI, 36000);
  for (let k = 0; k < 4; k++) scan(at - 2e-4 / 10 ** k, at + 2e-4 / 10 ** k, 400);
  return best;
}

export function svm(): string[] {
  const runs: Run[] = ["svm", "logistic"].map((model) => ({
    label: model === "svm" ? "linear SVM (hinge + L2 on W)" : "logistic regression",
    file: "models/svm.nn",
    model,
    data: "data/blobs.csv",
    holdout: 0,
    epochs: 10000,
    batch: 100,
    seed: 1,
  }));
  const points = pointsOf("data/blobs.csv");
  const rows = runs.map((r) => {
    const { history, trainer } = train(r);
    const W = trainer.model.params["W"]!;
    const w: [number, number] = [W[0]!, W[1]!];
    const b = trainer.model.params["b"]![0]!;
    const e = history.epochs.at(-1)!;
    return {
      run: r,
      w,
      b,
      e,
      inverse: 1 / Math.hypot(...w),
      margin: geometricMargin(points, w, b),
    };
  });
  const widest = widestMargin(points);
  const [svmRow, logRow] = rows as [(typeof rows)[0], (typeof rows)[0]];
  const line = (
    r: typeof svmRow,
    offset: number,
    name: string,
    color: string,
    dashed = false,
  ): Line => ({
    a: r.w[0],
    b: r.w[1],
    c: r.b - offset,
    name,
    color,
    ...(dashed ? { dashed } : {}),
  });
  writeOutput(
    "docs/exp7-svm.svg",
    regionsSvg(
      [
        {
          title: "two blobs, two separating lines",
          points,
          lines: [
            line(svmRow, 0, `SVM: margin ${svmRow.margin.toFixed(3)}`, "#222"),
            line(svmRow, 1, "SVM: score = +1", "#222", true),
            line(svmRow, -1, "SVM: score = -1", "#222", true),
            line(logRow, 0, `logistic regression: margin ${logRow.margin.toFixed(3)}`, "#d62728"),
          ],
        },
      ],
      "7. SVM and logistic regression",
    ),
  );
  return [
    "## 7. The linear SVM picks the widest margin",
    "",
    "The lecture's linear support vector machine: a linear score `x @ W + b`, the hinge loss " +
      "`max(0, 1 - y score)` on labels -1 and +1, and L2 on W alone (`0.5e-3 * l2(W)`), in " +
      "`models/svm.nn`, on two Gaussian blobs of 50 points each (`data/blobs.csv`, centers (-1.5, -1) " +
      "and (1.5, 1), standard deviation 0.6: separable). Its margin is the distance from the line " +
      "`score = 0` to the lines `score = ±1`, `1/|W|`; once every point is at score ±1 or beyond, it is " +
      "also the distance to the closest point. Logistic regression on the same data and the same steps " +
      "(`log(1 + exp(-y score))`, no penalty, the second model of the file) separates the data too. " +
      "The widest margin any line can leave is found without training, by trying every direction.",
    "",
    fence(runs.map(command)),
    "",
    "| model | training accuracy | final loss | 1/\\|W\\| | distance from the line to the closest point |",
    "|---|---|---|---|---|",
    ...rows.map(
      (r) =>
        `| ${r.run.label} | ${pct(r.e.testAccuracy)} | ${fixed(r.e.trainLoss)} | ${r.run.model === "svm" ? r.inverse.toFixed(4) : "-"} | ${r.margin.toFixed(4)} |`,
    ),
    `| the widest margin of any line (search) | | | | ${widest.toFixed(4)} |`,
    "",
    `Both lines separate the blobs. The SVM's leaves ${svmRow.margin.toFixed(4)} to the closest point, ` +
      `${((100 * svmRow.margin) / widest).toFixed(2)}% of the widest margin possible (${widest.toFixed(4)}), ` +
      `and its 1/|W| is ${svmRow.inverse.toFixed(4)}: the closest points sit on its margins. Logistic ` +
      `regression's line passes at ${logRow.margin.toFixed(4)} from the closest point ` +
      `(${((100 * logRow.margin) / widest).toFixed(2)}% of the widest): it has no reason to center ` +
      "its line between the closest points, since every point, near or far, pulls on it.",
    "",
    "![the blobs, the SVM's boundary and margins, and logistic regression's boundary](exp7-svm.svg)",
    "",
  ];
}
