// `nnc init` and `nnc predict`: the initial weights nnc train starts from, written apart, and a
// trained model's outputs for every row of new data.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { captureStdio } from "./capture.ts";
import { main } from "../src/cli/main.ts";

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
