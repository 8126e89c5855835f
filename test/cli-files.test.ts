// The files the command line reads and writes: only regular files up to a size, never an output
// over an input, every output written whole or not at all, and `-o -` to standard output.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { captureStdio } from "./capture.ts";
import { main } from "../src/cli/main.ts";

const io = captureStdio();
const dir = mkdtempSync(join(tmpdir(), "nnc-files-"));
const path = (name: string) => join(dir, name);
const xorSource = readFileSync("models/xor.nn", "utf8");
function copy(name: string, text = xorSource): string {
  writeFileSync(path(name), text);
  return path(name);
}

describe("files nnc reads", () => {
  const devices: [string, string[], RegExp][] = [
    ["compile /dev/zero", ["compile", "/dev/zero", "-o", path("z.js")], /\.nn source files/],
    [
      "eval --load /dev/zero",
      ["eval", "models/xor.nn", "--load", "/dev/zero", "--data", "data/xor.csv"],
      /weights files/,
    ],
    ["train --data /dev/zero", ["train", "models/xor.nn", "--data", "/dev/zero"], /CSV files/],
    [
      "train --test /dev/zero",
      ["train", "models/xor.nn", "--data", "data/xor.csv", "--test", "/dev/zero"],
      /CSV files/,
    ],
    ["compile of a directory", ["compile", dir, "-o", path("d.js")], /but a directory/],
  ];
  it.each(devices)("refuses %s at once (NN5002, exit 1)", async (_, argv, what) => {
    expect(await main(argv)).toBe(1);
    expect(io.err).toMatch(/error NN5002: not a regular file but/);
    expect(io.err).toMatch(what);
    expect(io.out).not.toMatch(/training/);
  });

  it("refuses files over their kind's size (NN5003), before reading them", async () => {
    const big = copy("big.nn", "");
    truncateSync(big, 16 * 2 ** 20 + 1);
    expect(await main(["compile", big, "-o", path("big.js")])).toBe(1);
    expect(io.err).toMatch(
      /big\.nn:1:1: error NN5003: the file has 16,777,217 bytes; nnc reads \.nn source files of up to 16 MiB/,
    );
    const csv = copy("big.csv", "");
    truncateSync(csv, 256 * 2 ** 20 + 1);
    expect(await main(["train", "models/xor.nn", "--data", csv])).toBe(1);
    expect(io.err).toMatch(/error NN5003: .*CSV files of up to 256 MiB/);
  });
});

describe("files nnc writes", () => {
  it("never writes the module over its source, even through a link", async () => {
    const src = copy("own.nn");
    expect(await main(["compile", src, "-o", src])).toBe(1);
    expect(io.err).toMatch(/error NN5004: the module would write over the model's source/);
    symlinkSync(src, path("link.js"));
    expect(await main(["compile", src, "-o", path("link.js")])).toBe(1);
    expect(io.err).toMatch(/error NN5004/);
    const dts = copy("pair.d.ts");
    expect(await main(["compile", dts, "-o", path("pair.js")])).toBe(1);
    expect(io.err).toMatch(/its declarations would write over the model's source/);
    expect(readFileSync(src, "utf8")).toBe(xorSource);
    expect(readFileSync(dts, "utf8")).toBe(xorSource);
  });

  it("never exports over the model or its --load weights (NN5004), nor leaves a partial file", async () => {
    const src = copy("export.nn");
    const onnx = ["export", src, "--format", "onnx", "-o"];
    expect(await main([...onnx, src])).toBe(1);
    expect(io.err).toMatch(/error NN5004: the export \(-o\) would write over the model's source/);
    const weights = path("export.safetensors");
    const train = ["train", src, "--data", "data/xor.csv", "--epochs", "1"];
    expect(await main([...train, "--save", weights])).toBe(0);
    const saved = readFileSync(weights);
    expect(await main([...onnx, weights, "--load", weights])).toBe(1);
    expect(io.err).toMatch(/the export \(-o\) would write over the --load weights/);
    expect(readFileSync(weights)).toEqual(saved);
    // train_ddp.py is written beside the module: over the source when that is its name
    const ddp = copy("train_ddp.py");
    expect(await main(["export", ddp, "--format", "torch", "--ddp", "-o", path("m.py")])).toBe(1);
    expect(io.err).toMatch(/the DDP script would write over the model's source/);
    expect(readFileSync(src, "utf8")).toBe(xorSource);
    expect(readFileSync(ddp, "utf8")).toBe(xorSource);
    // a folder in the way of -o: refused before any work, nothing written, no temporary file left
    mkdirSync(path("taken/m.onnx"), { recursive: true });
    expect(await main([...onnx, path("taken/m.onnx")])).toBe(1);
    expect(io.err).toMatch(
      /error NN5002: not a regular file but a directory; nnc writes the export/,
    );
    expect(readdirSync(path("taken"))).toEqual(["m.onnx"]);
  });

  it("writes the module and its declarations both or neither", async () => {
    mkdirSync(path("half/m.d.ts"), { recursive: true }); // the declarations cannot be written
    expect(await main(["compile", "models/xor.nn", "-o", path("half/m.js")])).toBe(1);
    expect(io.err).toMatch(/m\.d\.ts:1:1: error NN5002: not a regular file but a directory/);
    expect(existsSync(path("half/m.js"))).toBe(false);
    expect(readdirSync(path("half"))).toEqual(["m.d.ts"]); // no temporary file left either
    expect(await main(["compile", "models/xor.nn", "-o", path("new/dir/m.js")])).toBe(0);
    expect(readdirSync(path("new/dir")).sort()).toEqual(["m.d.ts", "m.js"]);
  });

  it("writes the module to standard output with -o -", async () => {
    expect(await main(["compile", "models/xor.nn", "-o", "-"])).toBe(0);
    const printed = io.out;
    expect(existsSync("-")).toBe(false);
    // the very module -o FILE writes, whole
    expect(await main(["compile", "models/xor.nn", "-o", path("stdout/m.js")])).toBe(0);
    expect(printed).toBe(readFileSync(path("stdout/m.js"), "utf8"));
    expect(printed).toMatch(/^\/\/ model xor from models\/xor\.nn \(f32\)/);
    expect(printed).toMatch(/export \{ \$createModel as createModel, \$meta as meta \};\n$/);
  });

  const train = ["train", "models/xor.nn", "--data", "data/xor.csv", "--epochs", "1"];
  const clashes: [string, string[], RegExp][] = [
    [
      "--save over the model",
      ["--save", "models/xor.nn"],
      /the --save weights would write over the model's source/,
    ],
    [
      "--plot over the data",
      ["--plot", "data/xor.csv"],
      /the --plot chart would write over the --data file/,
    ],
    [
      "--save and --plot as one file",
      ["--save", path("same"), "--plot", path("same")],
      /the --plot chart would write over the --save weights/,
    ],
  ];
  it.each(clashes)("refuses %s before training (NN5004)", async (_, flags, message) => {
    expect(await main([...train, ...flags])).toBe(1);
    expect(io.err).toMatch(message);
    expect(io.out).toBe("");
    expect(readFileSync("models/xor.nn", "utf8")).toBe(xorSource);
  });

  it("makes --save's folder, and refuses one it cannot make before training starts", async () => {
    const weights = path("made/for/it/xor.safetensors");
    expect(await main([...train, "--save", weights])).toBe(0);
    expect(readFileSync(weights).length).toBeGreaterThan(8);
    const blocked = join(copy("plain.txt", "a file, not a folder"), "w.safetensors");
    io.out = "";
    expect(await main([...train, "--save", blocked])).toBe(1);
    expect(io.err).toMatch(
      /error NN5005: cannot write the --save weights there: its folder .*plain\.txt cannot be made \(.*plain\.txt is not a folder\)/,
    );
    expect(io.out).not.toMatch(/training/);
  });
});
