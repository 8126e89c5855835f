// makemore.nn and gpt.nn against PyTorch, independently of nnc's exporter: test/torch_sequence_driver.py
// writes both networks by hand in torch (F.embedding, F.batch_norm, F.layer_norm, masked_fill of
// the upper triangle, F.gelu(approximate="tanh"), F.cross_entropy) and trains them with
// torch.optim (SGD with momentum 0.9 for makemore, AdamW with weight decay 0 for gpt) from the
// weights `nnc init` gives, on the same batches at the same constant rate. After each of 5 steps
// the loss, every gradient, every param, the optimizer's state and batchnorm's running statistics
// of nnc's generated module equal torch's: to 1e-9 in f64, and within float32's rounding in f32
// on the JS and the wasm target (which runs the model on JS where it lacks a kernel, and says so).
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { compile } from "../src/compile.ts";
import { decodeSafetensors } from "../src/train/safetensors.ts";
import {
  jsFeed,
  python,
  randomFeed,
  relativeError,
  tempDir,
  torchAvailable,
  writeWeights,
  type Feed,
} from "./export-helpers.ts";

const STEPS = 5;
/**
 * f32: nnc's values within this of torch's, plus three times torch's own distance from its f64
 * values (where Adam's g / (|g| + eps) turns a gradient of 0 up to rounding into a step of
 * rounding's sign, neither float32 engine can be nearer the other than to the truth).
 */
const F32_TOLERANCE = 1e-4;

interface Spec {
  model: "makemore" | "gpt";
  batch: number;
  /** the rate of every step (makemore's cosine schedule set aside: torch's SGD scales its
   * momentum buffer by the current rate, nnc's velocity by the rates it was built with) */
  lr: number;
}
const specs: Spec[] = [
  { model: "makemore", batch: 8, lr: 0.1 },
  { model: "gpt", batch: 2, lr: 0.001 },
];

type Values = Map<string, ArrayLike<number>>;

/** Steps of nnc's module from `weights` on `feeds`, keyed as the driver keys torch's. */
function nncSteps(
  file: string,
  options: { dtype: "f32" | "f64"; target?: "js" | "wasm" },
  weights: Values,
  feeds: Feed[],
  lr: number,
) {
  const compiled = compile(readFileSync(file, "utf8"), { file, ...options });
  const m = compiled.load().createModel({ weights });
  const out: Values = new Map();
  feeds.forEach((feed, i) => {
    const at = `${i + 1}`;
    const data = jsFeed(feed, options.dtype);
    const { loss, grads } = m.grad(data);
    out.set(`${at}/loss`, [loss]);
    for (const [name, g] of Object.entries(grads)) out.set(`${at}/grad/${name}`, g.slice());
    m.setLearningRate(lr);
    m.trainStep(data);
    for (const [name, v] of Object.entries(m.params)) out.set(`${at}/param/${name}`, v.slice());
    for (const [name, v] of Object.entries(m.state)) out.set(`${at}/state/${name}`, v.slice());
    for (const [name, v] of Object.entries(m.optimizer.slots))
      out.set(`${at}/slot/${name}`, v.slice());
  });
  return { values: out, target: compiled.target, note: compiled.targetNote };
}

/**
 * The error of each value of nnc's against torch's: relative to the tensor's largest element, or
 * to 1/1000 of the largest of its kind at that step where a tensor is 0 up to rounding (the bias
 * before makemore's batchnorm; the bias of attention's keys, which shifts a row of scores and so
 * has a gradient of exactly 0), as in test/torch-cnn.test.ts.
 */
function errors(ours: Values, theirs: Values, prefix: string): Map<string, number> {
  const kind = (key: string) => key.split("/").slice(0, 2).join("/");
  const largest = new Map<string, number>();
  for (const [key, v] of ours)
    largest.set(kind(key), Math.max(largest.get(kind(key)) ?? 0, maxAbs(v)));
  const out = new Map<string, number>();
  for (const [key, v] of ours) {
    const t = theirs.get(`${prefix}/${key}`);
    out.set(key, t ? relativeError(v, t, 1e-3 * largest.get(kind(key))!) : Infinity);
  }
  return out;
}

/** torch's values of one dtype, keyed as nnc's are (`1/grad/wte`). */
function withoutPrefix(values: Values, dtype: "f32" | "f64"): Values {
  const pre = `${dtype}/`;
  return new Map([...values].filter(([k]) => k.startsWith(pre)).map(([k, v]) => [k.slice(4), v]));
}

function maxAbs(v: ArrayLike<number>): number {
  let top = 0;
  for (let i = 0; i < v.length; i++) top = Math.max(top, Math.abs(v[i]!));
  return top;
}

/**
 * The params of attention's key bias: their gradient is 0 exactly (a shift of every score of a
 * row, which the softmax ignores), so that Adam moves them by rounding alone, ~1e-13 a step: the
 * test of the keys' bias checks they stay at 0, where no relative error means anything.
 */
const KEY_BIAS_PARAM = /\/param\/.*attention\.k\.b$/;

/** The kinds of value a run has (gpt has no running statistics). */
const present = (e: Map<string, number>) =>
  ["loss", "grad", "param", "slot", "state"].filter((p) =>
    [...e.keys()].some((k) => k.includes(`/${p}/`) || k.endsWith(`/${p}`)),
  );
const worst = (e: Map<string, number>, part: string) =>
  Math.max(...[...e].filter(([k]) => k.includes(`/${part}`)).map(([, v]) => v));

describe.runIf(torchAvailable())("makemore.nn and gpt.nn against PyTorch, written apart", () => {
  const dir = tempDir();
  const runs = specs.map((spec) => {
    const file = `models/${spec.model}.nn`;
    const source = readFileSync(file, "utf8");
    const start = compile(source, { file, dtype: "f64" });
    const m = start.load().createModel({ seed: 1 });
    const weights: Values = new Map(Object.entries({ ...m.params, ...m.state }));
    const feeds = Array.from({ length: STEPS }, (_, k) =>
      randomFeed(start.model, spec.batch, 7 + k),
    );
    const path = join(dir, `${spec.model}.safetensors`);
    writeWeights(path, start.model, Object.fromEntries(weights), "f64");
    const torch: Values = new Map();
    let f64: Values | undefined;
    /** nnc's f64 steps (run once, read by two tests) */
    const nnc64 = () => (f64 ??= nncSteps(file, { dtype: "f64" }, weights, feeds, spec.lr).values);
    return { spec, file, weights, feeds, path, torch, nnc64 };
  });

  beforeAll(() => {
    for (const run of runs) {
      const out = join(dir, `${run.spec.model}-torch.safetensors`);
      const job = join(dir, `${run.spec.model}.json`);
      const batches = run.feeds.map((f) =>
        Object.fromEntries(
          Object.entries(f).map(([k, v]) => [k, { shape: v.shape, data: [...v.data] }]),
        ),
      );
      writeFileSync(job, JSON.stringify({ ...run.spec, weights: run.path, batches, out }));
      execFileSync(python, ["test/torch_sequence_driver.py", job], {
        env: { ...process.env, OMP_NUM_THREADS: "1" },
      });
      const tensors = decodeSafetensors(readFileSync(out), out);
      for (const [name, t] of tensors) run.torch.set(name, t.data);
    }
  }, 120_000);

  it.each(runs.map((r, i) => [r.spec.model, i] as const))(
    "%s.nn, f64: the loss, every gradient, param, optimizer state and running statistic of 5 steps (1e-9)",
    (_model, i) => {
      const run = runs[i]!;
      const values = run.nnc64();
      const e = errors(values, run.torch, "f64");
      const shown = new Map([...e].filter(([k]) => !KEY_BIAS_PARAM.test(k)));
      const report = present(e).map((p) => `${p} ${worst(shown, p).toExponential(1)}`);
      console.log(`${run.spec.model} f64: ${report.join(", ")}`);
      const kinds = ["loss", "grad", "param", "slot"];
      expect(present(e)).toEqual(run.spec.model === "makemore" ? [...kinds, "state"] : kinds);
      for (const [key, err] of e)
        if (!KEY_BIAS_PARAM.test(key)) expect(err, key).toBeLessThan(1e-9);
      // the loss moves: 5 steps on 5 batches are not one step repeated
      const losses = run.feeds.map((_, k) => values.get(`${k + 1}/loss`)![0]!);
      expect(new Set(losses).size).toBe(STEPS);
    },
  );

  it("gpt.nn: the keys' bias has a gradient of 0 and stays at 0 (a shift of every score of a row), in nnc and torch", () => {
    const run = runs[1]!;
    for (const values of [run.nnc64(), withoutPrefix(run.torch, "f64")]) {
      const first = [...values].filter(([k]) => k.startsWith("1/grad/"));
      const largest = first.reduce((a, [, g]) => Math.max(a, maxAbs(g)), 0);
      expect(largest).toBeGreaterThan(0.01);
      const keyBias = first.filter(([k]) => /attention\.k\.b$/.test(k));
      expect(keyBias.length).toBe(4);
      for (const [k, g] of keyBias) expect(maxAbs(g), k).toBeLessThan(1e-12 * largest);
      const moved = [...values].filter(
        ([k]) => k.startsWith(`${STEPS}/`) && KEY_BIAS_PARAM.test(k),
      );
      expect(moved.length).toBe(4);
      for (const [k, p] of moved) expect(maxAbs(p), k).toBeLessThan(1e-10);
    }
  });

  const f32Cases = runs.flatMap((r, i) =>
    (["js", "wasm"] as const).map((target) => [r.spec.model, target, i] as const),
  );
  it.each(f32Cases)("%s.nn, f32 on the %s target: within float32's rounding", (_m, target, i) => {
    const run = runs[i]!;
    const nnc = nncSteps(run.file, { dtype: "f32", target }, run.weights, run.feeds, run.spec.lr);
    if (target === "wasm" && nnc.target === "js") console.warn(`wasm target: ${nnc.note}`);
    const e = errors(nnc.values, run.torch, "f32");
    // torch's own float32 rounding: its f32 run against its f64 run
    const own = withoutPrefix(run.torch, "f32");
    const noise = errors(own, run.torch, "f64");
    const excess = new Map(
      [...e].map(([k, err]) => [k, err / (F32_TOLERANCE + 3 * noise.get(k)!)]),
    );
    const report = present(e).map(
      (p) => `${p} ${worst(e, p).toExponential(1)} (${worst(excess, p).toFixed(2)})`,
    );
    console.log(
      `${run.spec.model} f32, ${target} target (ran on ${nnc.target}): ${report.join(", ")}`,
    );
    for (const [key, x] of excess) expect(x, key).toBeLessThan(1);
  });
});
