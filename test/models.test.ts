// Every model in models/: it compiles, its generated gradient agrees with finite differences and
// with the reference interpreter over the IR, and it learns what it is meant to learn.
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { compile } from "../src/index.ts";
import { checkGradients, randomFeed } from "../src/check.ts";
import { interpret } from "../src/ir/interpret.ts";
import { relError, rng } from "./helpers.ts";

const files = readdirSync("models").filter((f) => f.endsWith(".nn"));
const load = (name: string, dtype: "f32" | "f64" = "f64") => {
  const file = `models/${name}`;
  const compiled = compile(readFileSync(file, "utf8"), { file, dtype });
  // tests index params and grads by name freely; the generated .d.ts types them per model
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return { ...compiled, load: (): any => compiled.load() };
};

describe.each(files)("models/%s", (name) => {
  it("compiles in f32 and f64", () => {
    for (const dtype of ["f32", "f64"] as const) {
      const m = load(name, dtype).load().createModel({ seed: 3 });
      const first = Object.values(m.params)[0] as ArrayLike<number>;
      expect(first).toBeInstanceOf(dtype === "f32" ? Float32Array : Float64Array);
    }
  });

  it("has a gradient that matches central finite differences", () => {
    const rows = checkGradients(load(name), { seed: 5 });
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) if (!r.skipped) expect(r.worst, r.name).toBeLessThan(1e-4);
  }, 180_000); // gpt.nn: 66 params, each probed in f64 through the whole network

  it("computes the loss and gradients the reference interpreter computes", () => {
    const compiled = load(name);
    const { model } = compiled;
    const dims = Object.fromEntries(model.dims.map((d) => [d, 4]));
    const m = compiled.load().createModel({ seed: 7 });
    const feed = randomFeed(model, dims, 11);
    // dropout masks: the module and the interpreter draw them from the same seeded stream
    m.reseed(13);
    const { loss, grads } = m.grad(feed);
    const values = new Map<string, ArrayLike<number> | number>();
    for (const [k, v] of Object.entries(feed)) values.set(k, v);
    for (const p of model.params) values.set(p.name, m.params[p.name]);
    for (const s of model.state) values.set(s.name, m.state[s.name]);
    const roots = [model.train.loss!, ...compiled.grads.map((g) => g.node)];
    const ref = interpret(roots, { values, dims, random: rng(13) });
    expect(loss).toBeCloseTo(ref.get(model.train.loss!)!.data[0]!, 9);
    for (const g of compiled.grads)
      expect(relError(grads[g.name], ref.get(g.node)!.data), g.name).toBeLessThan(1e-9);
  });
});

describe("models/neuron.nn, the backprop diagram", () => {
  it("traces the numbers of the classic diagram", async () => {
    const compiled = compile(readFileSync("models/neuron.nn", "utf8"), {
      file: "models/neuron.nn",
      dtype: "f64",
      wrt: "all",
    });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const m: any = compiled.load().createModel({ seed: 0 });
    const { loss, grads } = m.grad({ x0: -1, x1: -2 });
    expect(loss).toBeCloseTo(0.7311, 4);
    expect(grads["w0"][0]).toBeCloseTo(-0.1966, 4);
    expect(grads["x0"][0]).toBeCloseTo(0.3932, 4);
    expect(grads["w1"][0]).toBeCloseTo(-0.3932, 4);
    expect(grads["x1"][0]).toBeCloseTo(-0.5898, 4);
    expect(grads["w2"][0]).toBeCloseTo(0.1966, 4);
    m.trainStep({ x0: -1, x1: -2 });
    expect(m.params["w0"][0]).toBeCloseTo(2.02, 2);
    expect(m.params["w0"][0]).toBeCloseTo(2 + 0.1 * 0.19661, 5);
  });
});

const AND = { x: Float32Array.of(0, 0, 0, 1, 1, 0, 1, 1), y: Float32Array.of(0, 0, 0, 1) };
const XOR = { x: AND.x, y: Float32Array.of(0, 1, 1, 0) };
function correct(p: ArrayLike<number>, y: ArrayLike<number>) {
  let n = 0;
  for (let i = 0; i < y.length; i++) if ((p[i]! > 0.5 ? 1 : 0) === y[i]) n++;
  return n;
}

describe("models/perceptron.nn", () => {
  it("learns AND with the perceptron rule", () => {
    const m = load("perceptron.nn", "f32").load().createModel({ seed: 1 });
    for (let epoch = 0; epoch < 50; epoch++) m.trainStep(AND);
    expect(correct(m.forward({ x: AND.x }).p, AND.y)).toBe(4);
  });

  it("never gets all four XOR points right", () => {
    const m = load("perceptron.nn", "f32").load().createModel({ seed: 1 });
    for (let epoch = 0; epoch < 500; epoch++) {
      m.trainStep(XOR);
      expect(correct(m.forward({ x: XOR.x }).p, XOR.y)).toBeLessThanOrEqual(3);
    }
  });
});

describe("models/xor.nn", () => {
  it("the 2-4-1 MLP learns XOR: all four points right", () => {
    const m = load("xor.nn", "f32").load().createModel({ seed: 1 });
    for (let step = 0; step < 3000; step++) m.trainStep(XOR);
    expect(correct(m.forward({ x: XOR.x }).p, XOR.y)).toBe(4);
  });
});

/** Points of `classes` Gaussian blobs in 2-D, with one-hot labels. */
function blobs(n: number, classes: number, seed: number) {
  const rand = rng(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const x = new Float64Array(n * 2);
  const y = new Float64Array(n * classes);
  const label = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const k = i % classes;
    const angle = (2 * Math.PI * k) / classes;
    x[2 * i] = 2 * Math.cos(angle) + 0.5 * normal();
    x[2 * i + 1] = 2 * Math.sin(angle) + 0.5 * normal();
    y[i * classes + k] = 1;
    label[i] = k;
  }
  return { x, y, label };
}

describe("models/logistic.nn", () => {
  it("separates two classes", () => {
    const { x, label } = blobs(200, 2, 3);
    const y = Float64Array.from(label);
    const m = load("logistic.nn").load().createModel({ seed: 2 });
    const first = m.trainStep({ x, y });
    for (let step = 0; step < 300; step++) m.trainStep({ x, y });
    expect(m.loss({ x, y })).toBeLessThan(first / 4);
    expect(correct(m.forward({ x }).p, y)).toBeGreaterThanOrEqual(196);
  });
});

describe("models/softmax.nn", () => {
  it("classifies three classes", () => {
    const train = blobs(300, 3, 4);
    const test = blobs(150, 3, 5);
    const m = load("softmax.nn").load().createModel({ seed: 2 });
    for (let step = 0; step < 300; step++) m.trainStep({ x: train.x, y: train.y });
    const { p } = m.forward({ x: test.x });
    let right = 0;
    for (let i = 0; i < 150; i++) {
      const row = Array.from(p.subarray(3 * i, 3 * i + 3) as ArrayLike<number>);
      if (row.indexOf(Math.max(...row)) === test.label[i]) right++;
    }
    expect(right / 150).toBeGreaterThan(0.95);
  });
});

describe("models/linreg.nn", () => {
  it("converges to the normal-equation solution", () => {
    const rand = rng(9);
    const n = 64;
    const x = Float64Array.from({ length: n * 3 }, () => 2 * rand() - 1);
    const y = Float64Array.from({ length: n }, (_, i) => {
      const [a, b, c] = [x[3 * i]!, x[3 * i + 1]!, x[3 * i + 2]!];
      return 1.5 * a - 2 * b + 0.5 * c + 0.3 + 0.1 * (rand() - 0.5);
    });
    const m = load("linreg.nn").load().createModel({ seed: 0 });
    for (let step = 0; step < 3000; step++) m.trainStep({ x, y });
    // least squares with a bias column: solve (A^T A) beta = A^T y by Gaussian elimination
    const A = Array.from({ length: n }, (_, i) => [x[3 * i]!, x[3 * i + 1]!, x[3 * i + 2]!, 1]);
    const M = [0, 1, 2, 3].map((r) =>
      [0, 1, 2, 3].map((c) => A.reduce((s, row) => s + row[r]! * row[c]!, 0)),
    );
    const v = [0, 1, 2, 3].map((r) => A.reduce((s, row, i) => s + row[r]! * y[i]!, 0));
    const beta = solve(M, v);
    const w = m.params["w"];
    for (let j = 0; j < 3; j++) expect(Math.abs(w[j] - beta[j]!)).toBeLessThan(1e-3);
    expect(Math.abs(m.params["b"][0] - beta[3]!)).toBeLessThan(1e-3);
  });
});

function solve(M: number[][], v: number[]): number[] {
  const n = v.length;
  const a = M.map((row, i) => [...row, v[i]!]);
  for (let col = 0; col < n; col++) {
    const pivot = a.reduce(
      (best, row, i) => (i >= col && Math.abs(row[col]!) > Math.abs(a[best]![col]!) ? i : best),
      col,
    );
    [a[col], a[pivot]] = [a[pivot]!, a[col]!];
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = a[r]![col]! / a[col]![col]!;
      for (let c = col; c <= n; c++) a[r]![c]! -= f * a[col]![c]!;
    }
  }
  return a.map((row, i) => row[n]! / row[i]!);
}

describe("models/mnist.nn", () => {
  it("compiles and one training step runs", () => {
    const m = load("mnist.nn", "f32").load().createModel({ seed: 1 });
    const rand = rng(1);
    const batch = 16;
    const x = Float32Array.from({ length: batch * 784 }, () => rand());
    const y = new Float32Array(batch * 10);
    for (let i = 0; i < batch; i++) y[i * 10 + (i % 10)] = 1;
    const before = Float32Array.from(m.params["h.dense.W"]);
    const loss = m.trainStep({ x, y });
    expect(Number.isFinite(loss)).toBe(true);
    expect(loss).toBeGreaterThan(1); // about ln 10 at the start
    expect(m.params["h.dense.W"]).not.toEqual(before);
    const { p } = m.forward({ x: x.subarray(0, 784) });
    expect(p.length).toBe(10);
    expect(Array.from(p as Float32Array).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
  });
});
