// A training step allocates nothing in steady state: every model in models/, on both targets,
// fused, measured as the bench measures it (bench/alloc.ts: the young generation's growth over n
// steps and over 2n). The bound is one number's box (16 bytes) for the loss trainStep returns (a
// caller whose call is not inlined boxes it) and one for each plain number in the feed (an
// object keeps a number field unboxed, and reading it boxes it). A kernel that boxes a number
// computed per step (a scalar argument, Adam's corrections) or builds an array or a closure
// costs more.
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { allocation } from "../bench/alloc.ts";
import { randomFeed } from "../src/check.ts";
import { compile } from "../src/index.ts";

const files = readdirSync("models").filter((f) => f.endsWith(".nn"));
const BOX = 16;

/** Feeds as a program gives them: Float32Arrays for f32 and Int32Arrays of indices. */
function feeds(model: ReturnType<typeof compile>["model"], batch: number) {
  const dims = Object.fromEntries(model.dims.map((d) => [d, batch]));
  const leaves = new Map([...model.inputs, ...model.targets].map((l) => [l.name, l]));
  return [1, 2, 3].map((seed) => {
    const feed = randomFeed(model, dims, seed);
    for (const rule of model.labels ?? []) {
      const y = feed[rule.target];
      if (y instanceof Float64Array)
        for (let i = 0; i < y.length; i++) y[i] = rule.values[i % rule.values.length]!;
    }
    return Object.fromEntries(
      Object.entries(feed).map(([k, v]) => [
        k,
        typeof v === "number"
          ? v
          : leaves.get(k)!.node.attrs["dtype"] === "int"
            ? Int32Array.from(v)
            : Float32Array.from(v),
      ]),
    );
  });
}

describe.each(files)("models/%s: a training step's allocation", (name) => {
  it.each(["js", "wasm"] as const)(
    "boxes no number but the loss and the feed's on the %s target",
    async (target) => {
      const file = `models/${name}`;
      const compiled = compile(readFileSync(file, "utf8"), { file, dtype: "f32", target });
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const m = (compiled.load() as any).createModel({ seed: 1 });
      const fs = feeds(compiled.model, 2);
      let k = 0;
      const step = () => {
        m.trainStep(fs[k++ % fs.length]);
      };
      const big = name === "gpt.nn" || name === "lenet.nn";
      const n = big ? 150 : 600;
      // the big models' matmul kernels are compiled and dropped (deoptimized) several times
      // before they settle: a longer warm-up than allocation()'s second
      const t0 = performance.now();
      while (big && performance.now() - t0 < 4000) step();
      const runs: number[] = [];
      for (let r = 0; r < 3; r++) runs.push((await allocation(step, n)).bytesPerStep);
      runs.sort((a, b) => a - b);
      const numbers = Object.values(fs[0]!).filter((v) => typeof v === "number").length;
      const bound = BOX * (1 + numbers);
      expect(runs[1], `bytes per step: ${runs.join(", ")}`).toBeLessThanOrEqual(bound);
    },
    180_000,
  );
});
