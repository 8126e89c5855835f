// `nnc stats`, `nnc grad --no-fuse` and `nnc grad --diff`: what the passes did, and the memory
// that buffer planning saves without changing any result.
import { readFileSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { main } from "../src/cli/main.ts";
import { compile } from "../src/index.ts";
import { randomFeed } from "../src/check.ts";
import { statsOf } from "../src/stats.ts";

let stdout = "";
beforeEach(() => {
  stdout = "";
  vi.spyOn(process.stdout, "write").mockImplementation((chunk: unknown, cb?: unknown) => {
    stdout += String(chunk);
    if (typeof cb === "function") cb();
    return true;
  });
});
afterEach(() => vi.restoreAllMocks());

const mnist = readFileSync("models/mnist.nn", "utf8");

describe("nnc stats", () => {
  it("reports nodes, loops, buffers and bytes per graph, and the rewrites that fired", async () => {
    expect(await main(["stats", "models/mnist.nn"])).toBe(0);
    const fused = JSON.parse(stdout);
    stdout = "";
    expect(await main(["stats", "models/mnist.nn", "--no-fuse"])).toBe(0);
    const plain = JSON.parse(stdout);
    expect(fused.fused).toBe(true);
    expect(plain.fused).toBe(false);
    for (const s of [fused, plain])
      for (const g of ["forward", "backward", "inference"])
        for (const k of ["nodes", "loops", "buffers", "bytes"])
          expect(typeof s[g][k], `${g}.${k}`).toBe("number");
    expect(fused.rewrites).toMatchObject({ "softmax-xent": 1, batchnorm: 2 });
    expect(plain.rewrites["softmax-xent"]).toBeUndefined();
    expect(fused.backward.ops).toMatchObject({ batchnorm_dx: 1 });
    expect(fused.backward.nodes).toBeLessThan(plain.backward.nodes);
    expect(fused.backward.loops).toBeLessThan(plain.backward.loops);
    expect(fused.backward.bytes).toBeLessThan(plain.backward.bytes);
    expect(fused.code.bufferBytes.after).toBeLessThan(fused.code.bufferBytes.before);
  });

  it("lists the fusions that could not fire, with the reason and the line", () => {
    const src = `model m {
      input x: [batch, 4]
      target y: [batch, 4]
      n = (x - mean(x, axis: 0)) / sqrt(mean(x * x, axis: 0) + 0.001)
      p = softmax(n, axis: 0)
      output p
      loss = mean(cross_entropy(p, y))
    }`;
    const stats = statsOf(compile(src, { file: "m.nn" }));
    expect(stats.missed).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          fusion: "batchnorm",
          line: 4,
          reason: expect.stringMatching(/variance/),
        }),
        expect.objectContaining({
          fusion: "softmax-xent",
          line: 7,
          reason: expect.stringMatching(/sums over axes \[1\] but the softmax normalizes axis 0/),
        }),
      ]),
    );
  });
});

describe("nnc grad", () => {
  it("--no-fuse prints the gates as written; the default prints the sigmoid gate as one node", async () => {
    expect(await main(["grad", "models/neuron.nn", "--no-fuse", "--forward"])).toBe(0);
    expect(stdout).toMatch(/Math\.exp/);
    expect(stdout).not.toMatch(/f \* \(1 - f\)/);
    stdout = "";
    expect(await main(["grad", "models/neuron.nn"])).toBe(0);
    expect(stdout).toMatch(/const d_w2 = f \* \(1 - f\);/);
  });

  it("--diff prints a unified diff of the unfused against the fused code", async () => {
    expect(await main(["grad", "models/neuron.nn", "--diff"])).toBe(0);
    const lines = stdout.split("\n");
    expect(lines[0]).toBe("--- models/neuron.nn (--no-fuse)");
    expect(lines[1]).toBe("+++ models/neuron.nn (fused)");
    expect(stdout).toMatch(/^@@ -\d+,\d+ \+\d+,\d+ @@$/m);
    expect(stdout).toMatch(/^- {2}const f_add = 1 \+ f_exp;$/m);
    expect(stdout).toMatch(/^\+ {2}const d_w2 = f \* \(1 - f\);$/m);
  });
});

describe("buffer planning", () => {
  it("shares memory between buffers, and results stay valid while other functions run", () => {
    const compiled = compile(mnist, { file: "models/mnist.nn", dtype: "f64" });
    expect(compiled.js).toMatch(/\.subarray\(0, [^)]*\); \/\/ shares memory with /);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const m: any = compiled.load().createModel({ seed: 2 });
    const feed = randomFeed(compiled.model, { batch: 8 }, 3);
    m.reseed(1);
    const grads = m.grad(feed).grads;
    const copies = Object.fromEntries(
      Object.entries(grads).map(([k, v]) => [k, Float64Array.from(v as Float64Array)]),
    );
    const p = Float64Array.from(m.forward(feed).p);
    m.loss(feed);
    m.forward({ x: (feed as Record<string, Float64Array>)["x"]!.subarray(0, 784 * 3) });
    for (const [k, v] of Object.entries(copies)) expect(grads[k], k).toEqual(v);
    m.reseed(1);
    expect(m.grad(feed).grads["h.dense.W"]).toEqual(copies["h.dense.W"]);
    expect(Float64Array.from(m.forward(feed).p)).toEqual(p);
  });
});
