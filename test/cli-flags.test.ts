// What the command line says about mistakes in flags, models and data: each with its exit code,
// its code and its place, and without Node's own parser's message.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { captureStdio } from "./capture.ts";
import { main } from "../src/cli/main.ts";
import { encodeSafetensors } from "../src/train/safetensors.ts";
import { formatEpoch } from "../src/train/progress.ts";

const io = captureStdio();
const dir = mkdtempSync(join(tmpdir(), "nnc-flags-"));
function file(name: string, data: string | Uint8Array): string {
  writeFileSync(join(dir, name), data);
  return join(dir, name);
}
const xorTrain = ["train", "models/xor.nn", "--data", "data/xor.csv", "--epochs", "1"];

describe("flags", () => {
  const unknown: [string, string[], RegExp][] = [
    [
      "a misspelled flag",
      [...xorTrain, "--lrr", "1"],
      /nnc train has no option `--lrr` \(did you mean `--lr`\?\)/,
    ],
    [
      "a flag another command has",
      ["grad", "models/xor.nn", "--epochs", "3"],
      /nnc grad has no option `--epochs`/,
    ],
    [
      "a flag without its value",
      [...xorTrain, "--batch"],
      /`--batch` needs a value: `--batch VALUE`/,
    ],
    ["a value for a switch", [...xorTrain, "--json=yes"], /`--json` takes no value/],
  ];
  it.each(unknown)("%s: a short message, exit 1", async (_, argv, message) => {
    expect(await main(argv)).toBe(1);
    expect(io.err).toMatch(message);
    expect(io.err).toMatch(/`nnc \w+ --help` lists its options\n$/);
    expect(io.err).not.toMatch(/To specify a positional argument|Unknown option|usage:/);
  });

  it("a negative value after a flag is written with `=`, and the message says so", async () => {
    expect(await main([...xorTrain, "--lr", "-0.1"])).toBe(1);
    expect(io.err).toMatch(
      /`--lr` needs a value: `--lr VALUE` \(a value that starts with `-` is written `--lr=-0\.1`\)/,
    );
  });

  it("trace --help lists only the options trace honours, and refuses the others", async () => {
    expect(await main(["trace", "--help"])).toBe(0);
    const flags = [...io.out.matchAll(/^ {2}(--[\w-]+)/gm)].map((m) => m[1]);
    expect(flags).toEqual(["--at", "--model", "--bind", "--fuse", "--seed"]);
    expect(await main(["trace", "models/neuron.nn", "--at", "x0=1,x1=2", "--dtype", "f32"])).toBe(
      1,
    );
    expect(io.err).toMatch(/nnc trace has no option `--dtype`/);
  });

  const rates: [string, RegExp][] = [
    ["0", /--lr expects a finite number greater than 0, got `0`/],
    ["=-0.1", /got `-0\.1`/],
    ["Infinity", /got `Infinity`/],
    ["NaN", /got `NaN`/],
  ];
  it.each(rates)("--lr %s is refused before training", async (lr, message) => {
    expect(await main([...xorTrain, ...(lr.startsWith("=") ? [`--lr${lr}`] : ["--lr", lr])])).toBe(
      1,
    );
    expect(io.err).toMatch(message);
    expect(io.out).toBe("");
  });

  it("--bind a dim named like Object.prototype's members, or too large", async () => {
    const src = file(
      "proto.nn",
      "model m {\n  input x: [__proto__, 2]\n  h = x * 2\n  output h\n}\n",
    );
    expect(await main(["compile", src, "-o", join(dir, "proto.js"), "--bind", "__proto__=3"])).toBe(
      0,
    );
    const mod = await import(join(dir, "proto.js"));
    const h = mod.createModel({}).forward({ x: [1, 2, 3, 4, 5, 6] }).h;
    expect(Array.from(h)).toEqual([2, 4, 6, 8, 10, 12]);
    expect(await import(join(dir, "proto.js")).then((m) => m.meta.dims)).toEqual(["__proto__"]);
    expect(
      await main(["compile", "models/xor.nn", "-o", join(dir, "b.js"), "--bind", "batch=1e300"]),
    ).toBe(1);
    expect(io.err).toMatch(/error NN5001: --bind batch=1e\+300: the size must be at most 2\^28/);
  });
});

describe("models", () => {
  const noLoss = "# inference only\nmodel scorer {\n  input x: [batch, 2]\n  output x\n}\n";

  it("compile says a model without a loss is for inference", async () => {
    expect(await main(["compile", file("scorer.nn", noLoss), "-o", join(dir, "scorer.js")])).toBe(
      0,
    );
    expect(io.out).toMatch(/\(model scorer; inference only: it has no `loss`/);
  });

  it("train and eval on a model without a loss point at the model's name (NN2009)", async () => {
    const src = file("scorer.nn", noLoss);
    expect(await main(["train", src, "--data", "data/xor.csv"])).toBe(1);
    expect(io.err).toContain(
      `${src}:2:7: error NN2009: the model \`scorer\` has no \`loss\`, so there is nothing to train`,
    );
    expect(io.err).toMatch(/\n2 \| model scorer \{\n {10}\^/);
    expect(await main(["eval", src, "--data", "data/xor.csv", "--load", "x.safetensors"])).toBe(1);
    expect(io.err).toMatch(/NN2009: .*nothing to evaluate/);
  });

  it("a model without an optimizer says once which one it trains with", async () => {
    const text = readXor().replace(/\n\s*optimizer = .*\n/, "\n");
    expect(
      await main(["train", file("noopt.nn", text), "--data", "data/xor.csv", "--epochs", "2"]),
    ).toBe(0);
    const note = /no `optimizer` in .*noopt\.nn: training with the default, sgd\(lr: 0\.01\)/g;
    expect(io.out.match(note)).toHaveLength(1);
    expect(io.out).toMatch(/sgd lr 0\.01/);
  });

  it("an epoch's line shows the seconds of that epoch; the end, the seconds in all", async () => {
    const report = {
      epoch: 3,
      trainLoss: 0.5,
      testLoss: 0.25,
      testAccuracy: 1,
      seconds: 30,
      epochSeconds: 9.5,
    };
    expect(formatEpoch(report, 5)).toBe(
      "epoch 3/5  train loss 0.5000  test loss 0.2500  test accuracy 100.00%  (9.5 s)",
    );
    expect(await main(xorTrain)).toBe(0);
    expect(io.out).toMatch(/after 1 epoch \(\d+\.\d s in all\)/);
  });
});

function readXor(): string {
  return "model xor {\n  input  x: [batch, 2]\n  target y: [batch, 1]\n  h = x |> dense(4) |> sigmoid\n  p = h |> dense(1) |> sigmoid\n  output p\n  loss = mean(bce(p, y))\n  optimizer = sgd(lr: 0.5, momentum: 0.9)\n}\n";
}

describe("data and weights", () => {
  it("a bce target outside {0, 1} stops at its line and column (NN6050)", async () => {
    const csv = file("labels.csv", "x1,x2,y\n0,0,0\n0,1,1\n1,0,-1\n");
    expect(await main(["train", "models/xor.nn", "--data", csv])).toBe(1);
    expect(io.err).toContain(
      `${csv}:4:5: error NN6050: column 3 (y) is -1, but \`y\` is read by \`bce\` (line 8) as labels 0 or 1; ` +
        "write the two classes as 0 and 1 (-1/+1 labels y become (y + 1) / 2)",
    );
  });

  it("a cell beyond float32's range is an error at the CSV's line, not the model's (NN6008)", async () => {
    const csv = file("huge.csv", "x1,x2,y\n0,0,0\n1e39,1,1\n");
    expect(await main(["train", "models/xor.nn", "--data", csv])).toBe(1);
    expect(io.err).toContain(
      `${csv}:3:1: error NN6008: column 1 (x1) is 1e39, beyond float32's range`,
    );
    expect(
      await main(["train", "models/xor.nn", "--data", csv, "--dtype", "f64", "--epochs", "1"]),
    ).toBe(0);
  });

  it("weights with NaN stop eval, naming the file and the tensor (NN6103)", async () => {
    const t = (name: string, shape: number[], v = 0) => ({
      name,
      shape,
      data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(v),
    });
    const bytes = encodeSafetensors([
      t("h.W", [2, 4]),
      t("h.b", [4], NaN),
      t("p.W", [4, 1]),
      t("p.b", [1]),
    ]);
    const weights = file("nan.safetensors", bytes);
    expect(await main(["eval", "models/xor.nn", "--load", weights, "--data", "data/xor.csv"])).toBe(
      1,
    );
    expect(io.err).toContain(
      `${weights}:1:1: error NN6103: \`h.b\` holds NaN (element 0 of 4, and 3 more); weights must be finite numbers`,
    );
  });
});
