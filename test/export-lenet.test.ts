// LeNet out of nnc and back: nnc's initial weights, trained five steps by the exported torch module
// on 64 MNIST digits, saved by torch and read by `nnc eval`, which gives the loss torch gives for
// the trained weights on the same digits (f64, 1e-9).
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../src/cli/main.ts";
import { compile } from "../src/compile.ts";
import { seededWeights } from "../src/export/weights.ts";
import { mnist, mnistPixels } from "../src/train/mnist.ts";
import { captureStdio } from "./capture.ts";
import { runTorchJobs, tempDir, torchAvailable, writeWeights } from "./export-helpers.ts";

const io = captureStdio();
const lastJson = (text: string) => JSON.parse(text.trimEnd().split("\n").at(-1)!);

/** The first `n` training digits: as a CSV file nnc reads, and as the feed torch takes. */
function digits(n: number, file: string) {
  const table = mnist({ train: n, test: 1 }).train;
  const rows = Array.from({ length: n }, (_, r) =>
    Array.from(table.values.subarray(r * table.columns, (r + 1) * table.columns)),
  );
  writeFileSync(file, [table.header.join(","), ...rows.map((r) => r.join(","))].join("\n") + "\n");
  const y = rows.flatMap((r) =>
    Array.from({ length: 10 }, (_, d) => (r[mnistPixels] === d ? 1 : 0)),
  );
  return {
    x: { shape: [n, mnistPixels], data: rows.flatMap((r) => r.slice(0, mnistPixels)) },
    y: { shape: [n, 10], data: y },
  };
}

describe.runIf(torchAvailable())("lenet: nnc -> torch -> nnc", () => {
  it("torch trains nnc's initial weights; nnc eval reads what torch saved", async () => {
    const dir = tempDir();
    const path = (name: string) => join(dir, name);
    const module = path("lenet.py");
    expect(await main(["export", "models/lenet.nn", "--format", "torch", "-o", module])).toBe(0);
    const source = "models/lenet.nn";
    const c = compile(readFileSync(source, "utf8"), { file: source });
    const start = path("start.safetensors");
    writeWeights(start, c.model, Object.fromEntries(seededWeights(c, 1)), "f64");
    const feed = digits(64, path("digits.csv"));
    const saved = path("trained.safetensors");
    const [r] = runTorchJobs<{ trained: { f64: { losses: number[] } }; eval_loss: number }>(dir, [
      { module, weights: start, train: Array(5).fill(feed), eval: feed, save: saved },
    ]);
    const losses = r!.trained.f64.losses;
    expect(losses[4]!).toBeLessThan(losses[0]!);
    io.out = "";
    const args = ["eval", source, "--load", saved, "--data", path("digits.csv"), "--dtype", "f64"];
    expect(await main([...args, "--json"])).toBe(0);
    const evaluated = lastJson(io.out);
    expect(evaluated.examples).toBe(64);
    expect(Math.abs(evaluated.test_loss - r!.eval_loss) / r!.eval_loss).toBeLessThan(1e-9);
  }, 120_000);
});
