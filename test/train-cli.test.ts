// `nnc train` and `nnc eval` from the command line: output, files written, and exit codes.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { captureStdio } from "./capture.ts";
import { main } from "../src/cli/main.ts";

const io = captureStdio();

const dir = mkdtempSync(join(tmpdir(), "nnc-train-cli-"));
const path = (name: string) => join(dir, name);
const lastLine = () => io.out.trimEnd().split("\n").at(-1)!;

describe("nnc train", () => {
  it("trains XOR from a CSV file and ends with the JSON summary", async () => {
    const args = ["train", "models/xor.nn", "--data", "data/xor.csv", "--epochs", "300"];
    expect(await main([...args, "--batch", "4", "--json"])).toBe(0);
    const summary = JSON.parse(lastLine());
    expect(Object.keys(summary)).toEqual([
      "epochs",
      "train_loss",
      "test_loss",
      "test_accuracy",
      "seconds",
    ]);
    expect(summary.epochs).toBe(300);
    expect(summary.test_accuracy).toBe(1);
    expect(summary.train_loss).toBeLessThan(0.1);
    expect(io.out).toMatch(/epoch 300\/300 {2}train loss \d\.\d{4} {2}test loss/);
    expect(io.out).toMatch(/training loss per step\n.*┤/);
    expect(io.out).toMatch(/test accuracy 100\.00%/);
  });

  it("saves weights that nnc eval loads, and writes an SVG chart", async () => {
    const weights = path("xor.safetensors");
    const chart = path("xor.svg");
    const args = ["train", "models/xor.nn", "--data", "data/xor.csv", "--epochs", "300"];
    expect(await main([...args, "--save", weights, "--plot", chart, "--seed", "3"])).toBe(0);
    expect(io.out).toContain(`saved to ${weights}`);
    const svg = readFileSync(chart, "utf8");
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(svg).toContain("test accuracy");
    expect(svg.match(/<path d="M/g)?.length).toBe(3);
    io.out = "";
    expect(
      await main(["eval", "models/xor.nn", "--load", weights, "--data", "data/xor.csv", "--json"]),
    ).toBe(0);
    expect(JSON.parse(lastLine())).toMatchObject({ examples: 4, test_accuracy: 1 });
  });

  it("prints each layer's gradient norm", async () => {
    const args = [
      "train",
      "models/xor.nn",
      "--data",
      "data/xor.csv",
      "--epochs",
      "2",
      "--grad-norms",
    ];
    expect(await main(args)).toBe(0);
    expect(io.out).toMatch(/grad norms: h \d\.\d\de[-+]\d+ {2}p \d\.\d\de[-+]\d+/);
    expect(io.out).toMatch(/^before training {2}test loss .*\n {2}grad norms: h /m);
  });

  it("continues from saved weights with --load", async () => {
    const weights = path("xor2.safetensors");
    const args = ["train", "models/xor.nn", "--data", "data/xor.csv", "--json"];
    expect(await main([...args, "--epochs", "300", "--save", weights])).toBe(0);
    const first = JSON.parse(lastLine());
    io.out = "";
    expect(await main([...args, "--epochs", "1", "--load", weights])).toBe(0);
    expect(JSON.parse(lastLine()).train_loss).toBeLessThan(first.train_loss * 1.01);
  });

  it.each([
    ["nothing set", "sgd(lr: 0.5)", "sgd lr 0.5, seed 1"],
    [
      "every part",
      "sgd(lr: 0.1, momentum: 0.9, weight_decay: 1e-3, warmup: 3, decay: 0.8, schedule: cosine(to: 0.01))",
      "sgd lr 0.1, warmup 3 steps, schedule cosine(to: 0.01), decay 0.8 per epoch, weight decay 0.001, seed 1",
    ],
    [
      "a step schedule and one warmup step",
      "adam(lr: 0.01, warmup: 1, schedule: step(every: 5, factor: 0.5))",
      "adam lr 0.01, warmup 1 step, schedule step(every: 5, factor: 0.5), seed 1",
    ],
    // adamw decays by default (0.01, PyTorch's); a linear schedule to the run's end
    [
      "adamw's own decay",
      "adamw(lr: 0.01, schedule: linear(to: 0.1))",
      "adamw lr 0.01, schedule linear(to: 0.1), weight decay 0.01, seed 1",
    ],
  ])("the header says what the optimizer runs: %s", async (_, optimizer, line) => {
    const model = path("recipe.nn");
    writeFileSync(
      model,
      `model m {\n  input x: [batch, 2]\n  target y: [batch, 1]\n  p = x |> dense(1) |> sigmoid\n` +
        `  output p\n  loss = mean(bce(p, y))\n  optimizer = ${optimizer}\n}\n`,
    );
    expect(await main(["train", model, "--data", "data/xor.csv", "--epochs", "1"])).toBe(0);
    expect(io.out.split("\n")[1]).toBe(`1 epoch of 1 batch of up to 4, ${line}`);
  });

  const errors: [string, string[], RegExp][] = [
    ["no --data", ["models/xor.nn"], /--data mnist\|words\|text:FILE\|FILE\.csv is required/],
    [
      "a missing CSV file",
      ["models/xor.nn", "--data", "nope.csv"],
      /^nope\.csv:1:1: error NN6001: no such file/,
    ],
    [
      "a bad --epochs",
      ["models/xor.nn", "--data", "data/xor.csv", "--epochs", "two"],
      /--epochs expects an integer/,
    ],
    [
      "a bad --lr",
      ["models/xor.nn", "--data", "data/xor.csv", "--lr=-1"],
      /--lr expects a finite number greater than 0/,
    ],
    [
      "data of the wrong width",
      ["models/softmax.nn", "--data", "test/data/four.csv"],
      /four\.csv:1:1: error NN6003: the model `softmax` takes 5 \(or 3\) columns/,
    ],
    [
      "MNIST for a model of another width",
      ["models/xor.nn", "--data", "mnist"],
      /^mnist:1:1: error NN6003: the model `xor` takes 3 columns: .*; the data has 785/,
    ],
    [
      "weights of another model",
      ["models/softmax.nn", "--data", "data/xor.csv", "--load", "models/xor.nn"],
      /NN6101/,
    ],
  ];
  it.each(errors)("exits 1 on %s, without a stack trace", async (_, args, message) => {
    expect(await main(["train", ...args])).toBe(1);
    expect(io.err).toMatch(message);
    expect(io.err).not.toMatch(/\n\s+at /);
  });

  it("exits 1 with the step and the line when the loss is not finite", async () => {
    const model = path("log.nn");
    writeFileSync(
      model,
      "model m {\n  input x: [batch, 1]\n  target y: [batch, 1]\n  param w: [1, 1] = ones\n  p = log(x @ w)\n  output p\n  loss = mean(mse(p, y))\n}\n",
    );
    const data = path("neg.csv");
    writeFileSync(data, "x,y\n-1,0\n-2,0\n");
    expect(await main(["train", model, "--data", data])).toBe(1);
    expect(io.err).toMatch(/log\.nn:5:\d+: error NN7001: training stopped at step 1 \(epoch 1\)/);
    expect(io.err).toMatch(/`p` \(op `log`\)/);
  });
});

describe("a regression", () => {
  it("reports the loss and no accuracy", async () => {
    const data = path("linear.csv");
    const rows = Array.from(
      { length: 20 },
      (_, i) => `${i / 10},${1 - i / 20},${i % 3},${(2 * i) / 10 + 1}`,
    );
    writeFileSync(data, ["a,b,c,y", ...rows].join("\n"));
    expect(
      await main(["train", "models/linreg.nn", "--data", data, "--epochs", "50", "--json"]),
    ).toBe(0);
    const summary = JSON.parse(lastLine());
    expect(summary.test_accuracy).toBeNull();
    expect(summary.test_loss).toBeLessThan(1);
    expect(io.out).not.toMatch(/accuracy \d/);
  });
});

describe("nnc eval", () => {
  it("needs --load", async () => {
    expect(await main(["eval", "models/xor.nn", "--data", "data/xor.csv"])).toBe(1);
    expect(io.err).toMatch(/--load W\.safetensors is required/);
  });
});
