// `nnc init` and `nnc predict`: the initial weights nnc train starts from, written apart, and a
// trained model's outputs for every row of new data.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { captureStdio } from "./capture.ts";
import { main } from "../src/cli/main.ts";
import { compile } from "../src/compile.ts";
import { loadWeights } from "../src/train/files.ts";

const io = captureStdio();
const dir = mkdtempSync(join(tmpdir(), "nnc-weights-"));
const path = (name: string) => join(dir, name);

/** A small network with batchnorm (state as well as params) and dropout, for the spirals. */
const spiralsBn = [
  "model bn {",
  "  input x: [batch, 2]",
  "  target y: [batch, 3]",
  "  h = x |> dense(8) |> batchnorm |> relu |> dropout(0.2)",
  "  p = h |> dense(3) |> softmax",
  "  output p",
  "  loss = mean(cross_entropy(p, y))",
  "  optimizer = adam(lr: 0.01, warmup: 2)",
  "}",
].join("\n");

describe("nnc init", () => {
  const bn = path("bn.nn");
  writeFileSync(bn, spiralsBn);
  it.each([
    // on the wasm target (auto), with a linear schedule over the run
    ["moons", "models/moons.nn", "data/moons.csv", []],
    ["batchnorm, f64", bn, "data/spirals.csv", ["--dtype", "f64"]],
    ["batchnorm, f32 on the wasm target", bn, "data/spirals.csv", ["--target", "wasm"]],
    ["batchnorm, f32 on the JS target", bn, "data/spirals.csv", ["--target", "js"]],
  ])(
    "init, then train --load, trains as train from the seed, bit for bit: %s",
    async (label, model, data, flags) => {
      const file = (name: string) => path(`${label.replace(/\W+/g, "-")}-${name}.safetensors`);
      const dtype = flags[0] === "--dtype" ? flags : [];
      expect(await main(["init", model, "--seed", "3", "--save", file("init"), ...dtype])).toBe(0);
      expect(io.out).toMatch(/^wrote .*init\.safetensors \(model \w+: \d+ params.*, seed 3\)\n$/);
      const train = ["train", model, "--data", data, "--epochs", "2", "--seed", "3", ...flags];
      expect(await main([...train, "--save", file("a")])).toBe(0);
      expect(await main([...train, "--load", file("init"), "--save", file("b")])).toBe(0);
      const a = readFileSync(file("a"));
      expect(readFileSync(file("b")).equals(a)).toBe(true);
      // and the initial weights are not the trained ones
      expect(readFileSync(file("init")).equals(a)).toBe(false);
    },
  );

  it("writes what createModel({ seed }) starts from; another seed, other weights", async () => {
    expect(await main(["init", "models/xor.nn", "--save", path("xor1.safetensors")])).toBe(0);
    expect(
      await main(["init", "models/xor.nn", "--seed", "1", "--save", path("xor1b.safetensors")]),
    ).toBe(0);
    expect(
      await main(["init", "models/xor.nn", "--seed", "2", "--save", path("xor2.safetensors")]),
    ).toBe(0);
    const one = readFileSync(path("xor1.safetensors"));
    expect(readFileSync(path("xor1b.safetensors")).equals(one)).toBe(true);
    expect(readFileSync(path("xor2.safetensors")).equals(one)).toBe(false);
    // nnc eval of the initial weights is the "before training" line of nnc train
    io.out = "";
    expect(
      await main([
        "eval",
        "models/xor.nn",
        "--load",
        path("xor1.safetensors"),
        "--data",
        "data/xor.csv",
        "--json",
      ]),
    ).toBe(0);
    const before = JSON.parse(io.out.trim()).test_loss;
    io.out = "";
    expect(
      await main([
        "train",
        "models/xor.nn",
        "--data",
        "data/xor.csv",
        "--epochs",
        "1",
        "--target",
        "js",
      ]),
    ).toBe(0);
    expect(io.out).toContain(`before training  test loss ${before.toFixed(4)}`);
  });

  it.each([
    ["no --save", ["models/xor.nn"], /--save W\.safetensors is required/],
    ["a bad seed", ["models/xor.nn", "--seed", "x", "--save", "w"], /--seed expects an integer/],
    [
      "--save over the model",
      ["models/xor.nn", "--save", "models/xor.nn"],
      /NN5004: the initial weights would write over the model's source/,
    ],
    ["an unknown model", ["models/xor.nn", "--model", "nope", "--save", "w"], /NN2007/],
  ])("exits 1 on %s", async (_, args, message) => {
    expect(await main(["init", ...args])).toBe(1);
    expect(io.err).toMatch(message);
    expect(io.err).not.toMatch(/\n\s+at /);
  });

  it("nnc train --epochs 0 points to nnc init", async () => {
    expect(await main(["train", "models/xor.nn", "--data", "data/xor.csv", "--epochs", "0"])).toBe(
      1,
    );
    expect(io.err).toMatch(
      /--epochs 0 trains nothing; the initial weights are written by nnc init/,
    );
  });
});

/** The rows of a CSV file of numbers, without its header. */
const rowsOf = (text: string) =>
  text
    .trim()
    .split("\n")
    .slice(1)
    .map((line) => line.split(",").map(Number));

/** The spirals network with two outputs: `p` (3 numbers per example) and `z` (1). */
const twoOutputs = spiralsBn
  .replace("  output p", "  z = sum(h, axis: 1)\n  output p, z")
  .replace("model bn", "model two");

describe("nnc predict", () => {
  const model = path("two.nn");
  writeFileSync(model, twoOutputs);
  const trained = (dtype: string) => path(`two-${dtype}.safetensors`);
  const spirals = rowsOf(readFileSync("data/spirals.csv", "utf8"));
  const inputsOnly = path("inputs.csv");
  writeFileSync(inputsOnly, ["a,b", ...spirals.map((r) => `${r[0]},${r[1]}`)].join("\n"));

  it.each([
    ["f32, wasm", "f32", ["--target", "wasm"]],
    ["f32, js", "f32", ["--target", "js"]],
    ["f64", "f64", ["--dtype", "f64"]],
  ])("writes forward's outputs for every row, batch by batch: %s", async (_, dtype, flags) => {
    const dtypeFlags = dtype === "f64" ? flags : [];
    const train = ["train", model, "--data", "data/spirals.csv", "--epochs", "3", ...dtypeFlags];
    expect(await main([...train, "--save", trained(dtype)])).toBe(0);
    const out = path(`p-${flags.join("")}.csv`);
    const predict = ["predict", model, "--load", trained(dtype), ...flags, "--batch", "7"];
    expect(await main([...predict, "--data", "data/spirals.csv", "-o", out])).toBe(0);
    expect(io.out).toMatch(/wrote .*\.csv \(300 rows of p_0\.\.p_2, z, from data\/spirals\.csv\)/);
    const text = readFileSync(out, "utf8");
    expect(text.split("\n")[0]).toBe("p_0,p_1,p_2,z");
    // the same model, weights and inputs in one forward call of the module, on the same target
    const target = flags[0] === "--target" ? (flags[1] as "js" | "wasm") : "js";
    const c = compile(twoOutputs, { file: model, dtype: dtype as "f32" | "f64", target });
    const m = c
      .load()
      .createModel({ weights: loadWeights(trained(dtype), c.model, dtype as "f32") });
    const x = (dtype === "f32" ? Float32Array : Float64Array).from(
      spirals.flatMap((r) => r.slice(0, 2)),
    );
    const { p, z } = m.forward({ x }) as Record<string, Float32Array>;
    const want = spirals.map((_, i) => [p![3 * i]!, p![3 * i + 1]!, p![3 * i + 2]!, z![i]!]);
    const got = rowsOf(text);
    // f32 to the bit on either target (the shortest decimal that reads back as the float); f64 exact
    const round = dtype === "f32" ? Math.fround : (v: number) => v;
    expect(got.map((row) => row.map(round))).toEqual(want);
    // a file of the inputs alone, to standard output: the same rows
    io.out = "";
    expect(await main([...predict, "--data", inputsOnly])).toBe(0);
    expect(io.out).toBe(text);
  });

  it("names a one-number output by its name, and reads MNIST's held-out digits", async () => {
    const mnist = path("mnist.safetensors");
    expect(await main(["init", "models/mnist.nn", "--save", mnist])).toBe(0);
    io.out = "";
    expect(await main(["predict", "models/mnist.nn", "--load", mnist, "--data", "mnist"])).toBe(0);
    const lines = io.out.trim().split("\n");
    expect(lines[0]).toBe(Array.from({ length: 10 }, (_, i) => `p_${i}`).join(","));
    expect(lines.length).toBe(2001);
    const sums = rowsOf(io.out).map((r) => r.reduce((a, b) => a + b, 0));
    for (const s of sums) expect(Math.abs(s - 1)).toBeLessThan(1e-5); // softmax rows
    const xor = path("xor.safetensors");
    expect(await main(["init", "models/xor.nn", "--save", xor])).toBe(0);
    io.out = "";
    expect(await main(["predict", "models/xor.nn", "--load", xor, "--data", "data/xor.csv"])).toBe(
      0,
    );
    expect(io.out.split("\n")[0]).toBe("p");
    expect(rowsOf(io.out).length).toBe(4);
  });

  it("writes a prediction that is not finite as NaN, and says so on stderr", async () => {
    const log = path("log.nn");
    writeFileSync(
      log,
      "model m {\n  input x: [batch, 1]\n  param w: [1, 1] = ones\n  p = log(x @ w)\n  output p\n}\n",
    );
    const data = path("signs.csv");
    writeFileSync(data, "x\n1\n-1\n0.5\n-2\n");
    const w = path("log.safetensors");
    expect(await main(["init", log, "--save", w])).toBe(0);
    io.out = "";
    expect(await main(["predict", log, "--load", w, "--data", data])).toBe(0);
    // log(0.5) in float32, written as the shortest decimal that reads back as that float
    expect(io.out).toBe("p\n0\nNaN\n-0.6931472\nNaN\n");
    expect(io.err).toBe("nnc: note: 2 of the predictions are not finite, the first in row 2 (p)\n");
  });

  const bad = path("bad.csv");
  writeFileSync(bad, "a,b\n0.5,0.25\n1,x\n");
  const wide = path("wide.csv");
  writeFileSync(wide, "a,b,c,d,e\n1,2,3,4,5\n");
  const scalar = path("scalar.nn");
  writeFileSync(
    scalar,
    "model s {\n  input x: [batch, 2]\n  param w: [2, 1]\n  y = x @ w\n  m = mean(y)\n  output y, m\n}\n",
  );
  it.each([
    ["no --load", ["models/xor.nn", "--data", "data/xor.csv"], /--load W\.safetensors is required/],
    [
      "no --data",
      ["models/xor.nn", "--load", "w"],
      /--data mnist\|words\|text:FILE\|FILE\.csv is required/,
    ],
    [
      "weights of another model",
      ["models/softmax.nn", "--load", "XOR", "--data", "data/xor.csv"],
      /NN6102: these weights do not fit the model `softmax`/,
    ],
    [
      "a cell that is not a number",
      ["models/xor.nn", "--load", "XOR", "--data", bad],
      /bad\.csv:3:3: error NN6004: column 2 \(b\) is `x`/,
    ],
    [
      "data of another width",
      ["models/xor.nn", "--load", "XOR", "--data", wide],
      /wide\.csv:1:1: error NN6003: the model `xor` takes 2 input columns: x \(2 columns\), or 3 with the targets' after them \(left unread\); the data has 5/,
    ],
    [
      "MNIST for a model of another width",
      ["models/xor.nn", "--load", "XOR", "--data", "mnist"],
      /^mnist:1:1: error NN6003: the model `xor` takes 2 input columns.*; the data has 784/,
    ],
    [
      "an output that is not one per example",
      [scalar, "--load", "XOR", "--data", "data/xor.csv"],
      /scalar\.nn:1:7: error NN6005: the output `m: \[\]` is not one row per example/,
    ],
    [
      "-o over the data",
      ["models/xor.nn", "--load", "XOR", "--data", wide, "-o", wide],
      /NN5004: the predictions \(-o\) would write over the --data file/,
    ],
    [
      "a bad --batch",
      ["models/xor.nn", "--load", "XOR", "--data", wide, "--batch", "0"],
      /--batch expects an integer of at least 1/,
    ],
  ])("exits 1 on %s, without a stack trace", async (_, args, message) => {
    const xor = path("xor-for-errors.safetensors");
    expect(await main(["init", "models/xor.nn", "--save", xor])).toBe(0);
    expect(await main(["predict", ...args.map((a) => (a === "XOR" ? xor : a))])).toBe(1);
    expect(io.err).toMatch(message);
    expect(io.err).not.toMatch(/\n\s+at /);
  });
});
