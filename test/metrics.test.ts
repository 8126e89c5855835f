// Accuracy: the model's `metric = accuracy(...)` statement, the rules used without one (one-hot,
// 0/1 and -1/+1 targets), and the check, as data is read, of targets read as labels.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../src/cli/main.ts";
import { captureStdio } from "./capture.ts";
import { compile, NnError } from "../src/index.ts";
import { parseCsv } from "../src/train/csv.ts";
import { fit } from "../src/train/data.ts";
import { Evaluator } from "../src/train/evaluate.ts";
import { badLabels, scorer, three } from "./bad-data.ts";

function accuracy(source: string, csv: string): number | null {
  const compiled = compile(source, { file: "m.nn", dtype: "f64" });
  const data = fit(parseCsv(csv, "d.csv"), compiled.model);
  const m = compiled.load().createModel({});
  return new Evaluator(compiled.model, "f64").evaluate(m, data).accuracy;
}

const signs = "x1,x2,y\n0.5,0,1\n-2,0,-1\n3,0,-1\n-0.1,0,1\n";
const bits = "x1,x2,y\n0.6,0,1\n-0.4,0,0\n0.9,0,0\n0.1,0,1\n";

const rows: [string, string, string, number | null][] = [
  [
    "-1/+1 targets of a hinge loss: the output's sign",
    scorer("  output s\n  loss = mean(hinge(s, y))"),
    signs,
    0.5,
  ],
  [
    "-1/+1 targets without a hinge loss: the sign too, from the data",
    scorer("  output s\n  loss = mean(mse(s, y))"),
    signs,
    0.5,
  ],
  [
    "0/1 targets: the output against 0.5",
    scorer("  output s\n  loss = mean(mse(s, y))"),
    bits,
    0.5,
  ],
  [
    "0/1 targets with a declared threshold: the output against it",
    scorer("  output s\n  loss = mean(mse(s, y))\n  metric = accuracy(s, y, threshold: 0)"),
    bits,
    0.75,
  ],
  [
    "a declared metric on a value that is not an output",
    scorer(
      "  u = s + 10\n  output u\n  loss = mean(mse(s, y))\n  metric = accuracy(s, y, threshold: 0)",
    ),
    bits,
    0.75,
  ],
  [
    "a declared metric on -1/+1 targets: threshold 0 by default",
    scorer("  output s\n  loss = mean(hinge(s, y))\n  metric = accuracy(s, y)"),
    signs,
    0.5,
  ],
  [
    "targets that are not classes: no accuracy",
    scorer("  output s\n  loss = mean(mse(s, y))"),
    "x1,x2,y\n0.5,0,0.3\n-2,0,2\n",
    null,
  ],
  [
    "class indices against the argmax of 3 outputs",
    three(
      "  loss = mse(sum(p, axis: 1), sum(y, axis: 1))\n  metric = accuracy(p, y)",
      "[batch, 1]",
    ),
    "x1,x2,y\n1,0,0\n0,1,1\n-1,-1,2\n1,2,0\n",
    0.75,
  ],
  [
    "one-hot rows against the argmax, without a metric",
    three("  loss = mean(mse(p, y))", "[batch, 3]"),
    "x1,x2,a,b,c\n1,0,1,0,0\n0,1,1,0,0\n-1,-1,0,0,1\n",
    2 / 3,
  ],
];

describe("accuracy", () => {
  it.each(rows)("%s", (_scenario, source, csv, want) => {
    const got = accuracy(source, csv);
    if (want === null) expect(got).toBeNull();
    else expect(got).toBeCloseTo(want, 12);
  });

  it("records the metric in the model: its target, threshold and prediction", () => {
    const { model } = compile(
      scorer("  output s\n  loss = mean(hinge(s, y))\n  metric = accuracy(s, y, threshold: 0.25)"),
    );
    expect(model.metric).toMatchObject({ kind: "accuracy", target: "y", threshold: 0.25 });
    expect(model.metric!.prediction).toBe(model.infer.outputs[0]!.node);
    expect(model.labels).toMatchObject([{ target: "y", values: [-1, 1], by: "hinge" }]);
  });
});

describe("targets read as labels are checked as the data is read", () => {
  it.each(badLabels)("%s", (_scenario, source, csv, message, line) => {
    const compiled = compile(source, { file: "m.nn" });
    try {
      fit(parseCsv(csv, "d.csv"), compiled.model);
    } catch (e) {
      expect(e).toBeInstanceOf(NnError);
      const d = (e as NnError).diagnostics[0]!;
      expect(d).toMatchObject({ file: "d.csv", line, code: "NN6050" });
      expect(d.message).toMatch(message);
      return;
    }
    throw new Error("expected an NnError");
  });
});

describe("nnc train and nnc eval report the model's metric", () => {
  const io = captureStdio();
  const weights = join(mkdtempSync(join(tmpdir(), "nnc-metric-")), "moons.safetensors");
  const data = ["--data", "data/moons.csv", "--holdout", "0"];

  it("trains micrograd's moons on -1/+1 labels and evaluates the saved weights", async () => {
    const args = ["train", "models/moons.nn", ...data, "--batch", "100", "--epochs", "100"];
    expect(await main([...args, "--save", weights, "--json"])).toBe(0);
    expect(JSON.parse(io.out.trimEnd().split("\n").at(-1)!)).toMatchObject({ test_accuracy: 1 });
    io.out = "";
    expect(await main(["eval", "models/moons.nn", "--load", weights, ...data.slice(0, 2)])).toBe(0);
    expect(io.out).toMatch(/\(100 examples\): loss 0\.\d{4}, accuracy 100\.00%/);
  });

  it("refuses 0/1 labels for a hinge loss, at the cell", async () => {
    expect(await main(["train", "models/moons.nn", "--data", "data/xor.csv"])).toBe(1);
    expect(io.err).toMatch(
      /^data\/xor\.csv:2:5: error NN6050: column 3 \(y\) is 0, but `y` is read by `hinge`/,
    );
  });
});
