// The generated module, checked against plain-JS reference computations and against central
// finite differences of its own loss (f64, h = 1e-6), on small models built directly in the IR.
import { describe, expect, it } from "vitest";
import { gradients } from "../src/autodiff/grad.ts";
import {
  emitModule,
  loadModule,
  type GeneratedModel,
  type GradTarget,
} from "../src/codegen/index.ts";
import type { Init, ModelIR, OptimizerSpec } from "../src/ir/model.ts";
import { at, leaf, modelOf } from "./helpers.ts";
import { compile, NnError } from "../src/index.ts";
import { checkGradients } from "../src/check.ts";
import { setName, setOrigin, type Node } from "../src/ir/node.ts";
import { dropoutMask, state as stateLeaf } from "../src/ops/index.ts";
import {
  add,
  bce,
  c,
  div,
  exp,
  input,
  logSoftmax,
  matmul,
  max,
  mean,
  mul,
  neg,
  param,
  relu,
  sigmoid,
  softmax,
  sub,
  sum,
  transpose,
  xent,
} from "../src/ops/index.ts";

interface BuildOptions {
  dtype?: "f32" | "f64";
  bind?: Record<string, number>;
  wrt?: string[];
}

function gradTargets(model: ModelIR, wrt: string[] = []): GradTarget[] {
  if (!model.train.loss) return [];
  const data = [...model.inputs, ...model.targets].filter((l) => wrt.includes(l.name));
  const leaves = [...model.params, ...data];
  const map = gradients(
    model.train.loss,
    leaves.map((l) => l.node),
  );
  return leaves.map((l) => ({
    name: l.name,
    kind: l.node.op === "param" ? "param" : (l.node.attrs["role"] as "input" | "target"),
    node: map.get(l.node)!,
  }));
}

function build(model: ModelIR, options: BuildOptions = {}) {
  const grads = gradTargets(model, options.wrt);
  const emitted = emitModule(model, {
    dtype: options.dtype ?? "f64",
    bind: options.bind ?? {},
    grads,
  });
  return { ...emitted, ...loadModule(emitted.js) };
}

type Feed = Record<string, number[] | Float64Array | number>;

/** Central differences of `m.loss` with respect to every element of every param. */
function numericGrads(m: GeneratedModel, feed: Feed, h = 1e-6): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const [name, values] of Object.entries(m.params)) {
    out[name] = Array.from(values, (keep, i) => {
      values[i] = keep + h;
      const up = m.loss(feed);
      values[i] = keep - h;
      const down = m.loss(feed);
      values[i] = keep;
      return (up - down) / (2 * h);
    });
  }
  return out;
}

function expectClose(
  actual: ArrayLike<number> | number,
  expected: ArrayLike<number> | number,
  tol = 1e-6,
) {
  const a = typeof actual === "number" ? [actual] : Array.from(actual);
  const e = typeof expected === "number" ? [expected] : Array.from(expected);
  expect(a.length).toBe(e.length);
  a.forEach((v, i) => expect(Math.abs(v - e[i]!)).toBeLessThan(tol * (1 + Math.abs(e[i]!))));
}

function expectGradsMatchNumeric(m: GeneratedModel, feed: Feed, tol = 1e-5) {
  const numeric = numericGrads(m, feed);
  const { grads } = m.grad(feed);
  for (const name of Object.keys(m.params)) expectClose(grads[name]!, numeric[name]!, tol);
}

// the CS231n neuron: f = sigmoid(w0 x0 + w1 x1 + w2)
function neuron() {
  const x0 = input("x0", []);
  const x1 = input("x1", []);
  const w0 = param("w0", []);
  const w1 = param("w1", []);
  const w2 = param("w2", []);
  const z = add(add(mul(w0, x0), mul(w1, x1)), w2);
  const f = setOrigin(setName(div(c(1), add(c(1), exp(neg(z)))), "f"), {
    ...at,
    line: 7,
    text: "  f = 1 / (1 + exp(-(w0 * x0 + w1 * x1 + w2)))",
  });
  return modelOf({
    name: "neuron",
    inputs: [x0, x1],
    params: [
      [w0, { kind: "values", values: [2] }],
      [w1, { kind: "values", values: [-3] }],
      [w2, { kind: "values", values: [-3] }],
    ],
    outputs: { f },
    loss: f,
  });
}

describe("the scalar neuron", () => {
  const mod = build(neuron(), { wrt: ["x0", "x1"] });

  it("computes CS231n's numbers", () => {
    const m = mod.createModel();
    const feed = { x0: -1, x1: -2 };
    expect(m.forward(feed)["f"]).toBeCloseTo(0.7311, 4);
    const { loss, grads } = m.grad(feed);
    expect(loss).toBeCloseTo(0.7311, 4);
    expect(grads["w0"]![0]).toBeCloseTo(-0.1966, 4);
    expect(grads["w1"]![0]).toBeCloseTo(-0.3932, 4);
    expect(grads["w2"]![0]).toBeCloseTo(0.1966, 4);
    expect(grads["x0"]![0]).toBeCloseTo(0.3932, 4);
    expect(grads["x1"]![0]).toBeCloseTo(-0.5898, 4);
    expectGradsMatchNumeric(m, feed);
  });

  it("is straight-line code: no loops, scalars as local constants", () => {
    expect(mod.gradSource).not.toMatch(/\bfor \(/);
    expect(mod.gradSource).not.toMatch(/compute_/);
    expect(mod.gradSource).toMatch(/const f = /);
    expect(mod.gradSource).toMatch(/const d_w0 = /);
    expect(mod.gradSource).toContain("// line 7: f = 1 / (1 + exp(-(w0 * x0 + w1 * x1 + w2)))");
  });

  it("takes one sgd step", () => {
    const m = mod.createModel();
    const feed = { x0: -1, x1: -2 };
    const { grads } = m.grad(feed);
    const before = Object.fromEntries(
      Object.entries(grads).map(([k, v]) => [k, [m.params[k]?.[0] ?? 0, v[0]!]]),
    );
    expect(m.trainStep(feed)).toBeCloseTo(0.7311, 4);
    for (const k of ["w0", "w1", "w2"]) {
      const [p, g] = before[k]!;
      expect(m.params[k]![0]).toBeCloseTo(p! - 0.1 * g!, 12);
    }
  });
});

/** A 2-4-1 MLP: sigmoid(sigmoid(x W1 + b1) W2 + b2), loss mean(bce(p, y)). */
function mlp(optimizer: Partial<OptimizerSpec> = {}) {
  const x = input("x", ["batch", 2]);
  const y = input("y", ["batch", 1], "target");
  const W1 = param("h.W", [2, 4]);
  const b1 = param("h.b", [4]);
  const W2 = param("p.W", [4, 1]);
  const b2 = param("p.b", [1]);
  const h = setName(sigmoid(add(matmul(x, W1), b1)), "h");
  const p = setName(sigmoid(add(matmul(h, W2), b2)), "p");
  const loss = mean(bce(p, y));
  return modelOf({
    name: "xor",
    inputs: [x],
    targets: [y],
    params: [
      [W1, { kind: "glorot" }],
      [b1, { kind: "zeros" }],
      [W2, { kind: "glorot" }],
      [b2, { kind: "zeros" }],
    ],
    outputs: { p },
    loss,
    dims: ["batch"],
    optimizer,
  });
}

const sig = (v: number) => 1 / (1 + Math.exp(-v));

/** The MLP in plain JS. */
function mlpReference(P: Record<string, ArrayLike<number>>, x: number[], y: number[]) {
  const n = x.length / 2;
  const p: number[] = [];
  for (let r = 0; r < n; r++) {
    const h = [0, 1, 2, 3].map((j) =>
      sig(x[r * 2]! * P["h.W"]![j]! + x[r * 2 + 1]! * P["h.W"]![4 + j]! + P["h.b"]![j]!),
    );
    p.push(sig(h.reduce((s, v, j) => s + v * P["p.W"]![j]!, 0) + P["p.b"]![0]!));
  }
  const loss =
    p.reduce((s, v, r) => s - (y[r]! * Math.log(v) + (1 - y[r]!) * Math.log(1 - v)), 0) / n;
  return { p, loss };
}

const xorX = [0, 0, 0, 1, 1, 0, 1, 1];
const xorY = [0, 1, 1, 0];

describe("an MLP with broadcast biases, sigmoid and bce", () => {
  const mod = build(mlp(), { wrt: ["x"] });

  it("matches the plain-JS reference and finite differences", () => {
    const m = mod.createModel({ seed: 3 });
    const ref = mlpReference(m.params, xorX, xorY);
    expectClose(m.forward({ x: xorX })["p"] as Float64Array, ref.p);
    expect(m.loss({ x: xorX, y: xorY })).toBeCloseTo(ref.loss, 12);
    expectGradsMatchNumeric(m, { x: xorX, y: xorY });
  });

  it("learns XOR with sgd and momentum", () => {
    const m = build(mlp({ lr: 0.5, momentum: 0.9 })).createModel({ seed: 1 });
    const feed = { x: new Float64Array(xorX), y: new Float64Array(xorY) };
    const first = m.trainStep(feed);
    let last = first;
    for (let i = 0; i < 2000; i++) last = m.trainStep(feed);
    expect(last).toBeLessThan(first / 4);
  });

  it("reuses its buffers and result objects", () => {
    const m = mod.createModel();
    const a = m.forward({ x: xorX });
    const pa = a["p"];
    const b = m.forward({ x: xorX });
    expect(b).toBe(a);
    expect(b["p"]).toBe(pa);
    const g1 = m.grad({ x: xorX, y: xorY });
    const g2 = m.grad({ x: xorX, y: xorY });
    expect(g2).toBe(g1);
    expect(g2.grads["h.W"]).toBe(g1.grads["h.W"]);
  });

  it("grows dynamic buffers with the batch: 2, then 5, then 3", () => {
    const m = mod.createModel({ seed: 2 });
    for (const n of [2, 5, 3]) {
      const x = Array.from({ length: 2 * n }, (_, i) => Math.sin(i + n));
      const y = Array.from({ length: n }, (_, i) => (i % 2 === 0 ? 1 : 0));
      const ref = mlpReference(m.params, x, y);
      const p = m.forward({ x })["p"] as Float64Array;
      expect(p.length).toBe(n);
      expectClose(p, ref.p);
      expect(m.loss({ x, y })).toBeCloseTo(ref.loss, 12);
      const { grads } = m.grad({ x, y });
      expect(grads["x"]!.length).toBe(2 * n);
    }
  });

  it("sizes buffers up front with createModel({ batch })", () => {
    const m = mod.createModel({ batch: 4 });
    const p = m.forward({ x: xorX })["p"] as Float64Array;
    expect(p.length).toBe(4);
    expect(m.forward({ x: xorX })["p"]).toBe(p);
  });

  it("bakes a bound dim into the code", () => {
    const bound = build(mlp(), { bind: { batch: 4 } });
    expect(bound.js).not.toMatch(/n_batch/);
    const m = bound.createModel({ seed: 3 });
    const ref = mlpReference(m.params, xorX, xorY);
    expectClose(m.forward({ x: xorX })["p"] as Float64Array, ref.p);
    expect(() => m.forward({ x: [1, 2] })).toThrow(
      /"x" should have shape \[batch, 2\].*8 numbers.*length 2/,
    );
  });

  it("validates its inputs", () => {
    const m = mod.createModel();
    expect(() => m.forward({})).toThrow(
      /input "x" should have shape \[batch, 2\] but it is missing/,
    );
    expect(() => m.forward({ x: [1, 2, 3] })).toThrow(
      /"x".*\[batch, 2\].*multiple of 2.*array of length 3/,
    );
    expect(() => m.forward({ x: "abc" })).toThrow(/"x".*a string/);
    expect(() => m.forward({ x: [1, "a"] })).toThrow(/"x".*element 1/);
    expect(() => m.loss({ x: xorX, y: [1, 2] })).toThrow(
      /"y" should have shape \[batch, 1\].*4 numbers.*length 2/,
    );
    expect(() => m.loss({ x: xorX })).toThrow(/"y".*missing/);
  });

  it("initializes deterministically from the seed, or from given params", () => {
    const a = mod.createModel({ seed: 7 });
    const b = mod.createModel({ seed: 7 });
    const c = mod.createModel({ seed: 8 });
    expect(Array.from(a.params["h.W"]!)).toEqual(Array.from(b.params["h.W"]!));
    expect(Array.from(a.params["h.W"]!)).not.toEqual(Array.from(c.params["h.W"]!));
    const limit = Math.sqrt(6 / (2 + 4));
    for (const v of a.params["h.W"]!) expect(Math.abs(v)).toBeLessThanOrEqual(limit);
    expect(Array.from(a.params["h.b"]!)).toEqual([0, 0, 0, 0]);
    const given = mod.createModel({ params: { "p.b": [0.5] } });
    expect(given.params["p.b"]![0]).toBe(0.5);
    expect(() => mod.createModel({ params: { "p.q": [1] } })).toThrow(
      'unknown param "p.q"; the params are: h.W, h.b, p.W, p.b',
    );
    expect(() => mod.createModel({ params: { "p.W": [1] } })).toThrow(/"p.W" should be 4 numbers/);
    expect(Object.getPrototypeOf(a.params)).toBe(null);
  });

  it("uses Float32Array with f32 and Float64Array with f64", () => {
    const m32 = build(mlp(), { dtype: "f32" }).createModel();
    expect(m32.params["h.W"]).toBeInstanceOf(Float32Array);
    expect(m32.forward({ x: xorX })["p"]).toBeInstanceOf(Float32Array);
    expect(m32.grad({ x: xorX, y: xorY }).grads["h.W"]).toBeInstanceOf(Float32Array);
    const m64 = mod.createModel();
    expect(m64.params["h.W"]).toBeInstanceOf(Float64Array);
    expect(m64.forward({ x: xorX })["p"]).toBeInstanceOf(Float64Array);
  });

  it("writes a .d.ts with the exact param names", () => {
    expect(mod.dts).toContain('"h.W": Float64Array;');
    expect(mod.dts).toContain(
      "export declare function createModel(options?: CreateOptions): Model;",
    );
    expect(mod.meta["params"]).toEqual([
      { name: "h.W", shape: [2, 4] },
      { name: "h.b", shape: [4] },
      { name: "p.W", shape: [4, 1] },
      { name: "p.b", shape: [1] },
    ]);
  });
});

/** Row-major random values, deterministic. */
function values(n: number, seed: number): number[] {
  return Array.from({ length: n }, (_, i) => Math.sin(seed * 7.3 + i * 1.7) * 1.5);
}

describe("softmax and cross-entropy", () => {
  const x = input("x", ["batch", 3]);
  const y = input("y", ["batch", 4], "target");
  const W = param("W", [3, 4]);
  const b = param("b", [4]);
  const z = setName(add(matmul(x, W), b), "z");
  const p = setName(softmax(z), "p");
  const ce = mean(sum(xent(p, y), [1]));
  const lsm = neg(mean(sum(mul(y, logSoftmax(z)), [1])));
  const params: [Node, Init][] = [
    [W, { kind: "normal", mean: 0, std: 0.5 }],
    [b, { kind: "uniform", low: -0.1, high: 0.1 }],
  ];
  const xs = values(6, 1);
  const ys = [0, 0, 1, 0, 1, 0, 0, 0];

  function reference(P: Record<string, ArrayLike<number>>) {
    const probs: number[] = [];
    let loss = 0;
    for (let r = 0; r < 2; r++) {
      const zr = [0, 1, 2, 3].map(
        (j) =>
          [0, 1, 2].reduce((s, k) => s + xs[r * 3 + k]! * P["W"]![k * 4 + j]!, 0) + P["b"]![j]!,
      );
      const m = Math.max(...zr);
      const total = zr.reduce((s, v) => s + Math.exp(v - m), 0);
      const pr = zr.map((v) => Math.exp(v - m) / total);
      probs.push(...pr);
      loss -= pr.reduce((s, v, j) => s + ys[r * 4 + j]! * Math.log(v), 0);
    }
    return { probs, loss: loss / 2 };
  }

  for (const [name, loss] of [
    ["softmax + cross_entropy", ce],
    ["log_softmax", lsm],
  ] as const) {
    it(`${name}: matches the reference and finite differences`, () => {
      const mod = build(
        modelOf({ inputs: [x], targets: [y], params, outputs: { p }, loss, dims: ["batch"] }),
      );
      const m = mod.createModel({ seed: 5 });
      const ref = reference(m.params);
      expectClose(m.forward({ x: xs })["p"] as Float64Array, ref.probs);
      expect(m.loss({ x: xs, y: ys })).toBeCloseTo(ref.loss, 12);
      expectGradsMatchNumeric(m, { x: xs, y: ys });
    });
  }

  it("softmax along axis 0", () => {
    const w = param("w", [3, 2]);
    const q = softmax(w, 0);
    const mod = build(
      modelOf({
        params: [[w, { kind: "values", values: values(6, 2) }]],
        outputs: { q },
        loss: sum(mul(q, q)),
      }),
    );
    const m = mod.createModel();
    const wv = values(6, 2);
    const expected: number[] = new Array(6).fill(0);
    for (let j = 0; j < 2; j++) {
      const col = [0, 1, 2].map((i) => Math.exp(wv[i * 2 + j]!));
      const total = col.reduce((s, v) => s + v, 0);
      col.forEach((v, i) => (expected[i * 2 + j] = v / total));
    }
    expectClose(m.forward({})["q"] as Float64Array, expected);
    expectGradsMatchNumeric(m, {});
  });
});

describe("reductions and transpose", () => {
  const x = input("x", [2, 3, 4]);
  const w = param("w", [2, 3, 4]);
  const xs = values(24, 3);
  const wInit: Init = { kind: "values", values: values(24, 4) };
  const prod = mul(w, x);
  const ref = (
    axes: number[],
    f: (a: number, b: number) => number,
    init: number,
    meanOf: boolean,
  ) => {
    const wv = values(24, 4);
    const shape = [2, 3, 4];
    const outShape = shape.map((d, i) => (axes.includes(i) ? 1 : d));
    const out = new Array(outShape.reduce((a, b) => a * b, 1)).fill(init);
    for (let i = 0; i < 24; i++) {
      const idx = [Math.floor(i / 12), Math.floor(i / 4) % 3, i % 4];
      const o = idx.reduce((s, v, d) => s * outShape[d]! + (axes.includes(d) ? 0 : v), 0);
      out[o] = f(out[o], wv[i]! * xs[i]!);
    }
    const count = axes.reduce((a, d) => a * shape[d]!, 1);
    return meanOf ? out.map((v) => v / count) : out;
  };
  const cases: [string, typeof sum, (a: number, b: number) => number, number, boolean][] = [
    ["sum", sum, (a, b) => a + b, 0, false],
    ["mean", mean, (a, b) => a + b, 0, true],
    ["max", max, Math.max, -Infinity, false],
  ];
  for (const [name, op, f, init, meanOf] of cases)
    for (const axes of [[0], [1], [2], [0, 1], [1, 2], [0, 2], [0, 1, 2]])
      for (const keep of [false, true]) {
        it(`${name} over axes ${axes}${keep ? ", keeping them" : ""}`, () => {
          const r = op(prod, axes, keep);
          const loss = sum(mul(r, r));
          const mod = build(modelOf({ inputs: [x], params: [[w, wInit]], outputs: { r }, loss }));
          const m = mod.createModel();
          const out = m.forward({ x: xs })["r"]!;
          expectClose(typeof out === "number" ? [out] : out, ref(axes, f, init, meanOf));
          expectGradsMatchNumeric(m, { x: xs });
        });
      }

  it("transpose, 2-D and 3-D", () => {
    const t2 = transpose(param("a", [3, 4]));
    const t3 = transpose(w, [2, 0, 1]);
    const v = param("v", [4, 2, 3]);
    const loss = add(sum(mul(t2, t2)), sum(mul(mul(t3, v), t3)));
    const av = values(12, 5);
    const mod = build(
      modelOf({
        inputs: [x],
        params: [
          [t2.inputs[0]!, { kind: "values", values: av }],
          [w, wInit],
          [v, { kind: "values", values: values(24, 6) }],
        ],
        outputs: { t2, t3 },
        loss,
      }),
    );
    const m = mod.createModel();
    const out = m.forward({ x: xs });
    const e2 = new Array(12);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 4; j++) e2[j * 3 + i] = av[i * 4 + j];
    expectClose(out["t2"] as Float64Array, e2);
    const wv = values(24, 4);
    const e3 = new Array(24);
    for (let i = 0; i < 2; i++)
      for (let j = 0; j < 3; j++)
        for (let k = 0; k < 4; k++) e3[k * 6 + i * 3 + j] = wv[i * 12 + j * 4 + k];
    expectClose(out["t3"] as Float64Array, e3);
    expectGradsMatchNumeric(m, { x: xs });
  });
});

describe("optimizers: one step matches a hand computation", () => {
  const x = input("x", [3]);
  const w = param("w", [3]);
  const s = param("s", []);
  const loss = add(sum(mul(mul(w, w), x)), mul(s, mul(s, s)));
  const xs = [0.5, -1, 2];
  const init = () => ({ w: [1, 2, -0.5], s: 0.7 });
  const grads = (p: { w: number[]; s: number }) => ({
    w: p.w.map((v, i) => 2 * v * xs[i]!),
    s: 3 * p.s * p.s,
  });
  const make = (optimizer: Partial<OptimizerSpec>) =>
    build(
      modelOf({
        inputs: [x],
        params: [
          [w, { kind: "values", values: init().w }],
          [s, { kind: "values", values: [init().s] }],
        ],
        outputs: {},
        loss,
        optimizer,
      }),
    ).createModel();
  const run = (
    optimizer: Partial<OptimizerSpec>,
    steps: number,
    update: (p: number, g: number, st: number[], t: number) => number,
  ) => {
    const m = make(optimizer);
    const p = init();
    const states = { w: p.w.map(() => [0, 0]), s: [0, 0] };
    for (let t = 1; t <= steps; t++) {
      const g = grads(p);
      m.trainStep({ x: xs });
      p.w = p.w.map((v, i) => update(v, g.w[i]!, states.w[i]!, t));
      p.s = update(p.s, g.s, states.s, t);
    }
    expectClose(m.params["w"]!, p.w, 1e-12);
    expectClose(m.params["s"]!, [p.s], 1e-12);
  };

  it("sgd", () => run({ kind: "sgd", lr: 0.1 }, 2, (p, g) => p - 0.1 * g));
  it("sgd with momentum", () =>
    run({ kind: "sgd", lr: 0.1, momentum: 0.9 }, 3, (p, g, st) => {
      st[0] = 0.9 * st[0]! - 0.1 * g;
      return p + st[0];
    }));
  it("rmsprop", () =>
    run({ kind: "rmsprop", lr: 0.01, rho: 0.9, eps: 1e-8 }, 3, (p, g, st) => {
      st[0] = 0.9 * st[0]! + 0.1 * g * g;
      return p - (0.01 * g) / (Math.sqrt(st[0]) + 1e-8);
    }));
  it("adam", () =>
    run({ kind: "adam", lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8 }, 3, (p, g, st, t) => {
      st[0] = 0.9 * st[0]! + 0.1 * g;
      st[1] = 0.999 * st[1]! + 0.001 * g * g;
      const mHat = st[0] / (1 - 0.9 ** t);
      const vHat = st[1] / (1 - 0.999 ** t);
      return p - (0.01 * mHat) / (Math.sqrt(vHat) + 1e-8);
    }));
  it("createModel({ lr }) overrides the learning rate", () => {
    const m = build(
      modelOf({
        inputs: [x],
        params: [
          [w, { kind: "values", values: [1, 2, -0.5] }],
          [s, { kind: "values", values: [0.7] }],
        ],
        outputs: {},
        loss,
      }),
    ).createModel({ lr: 0.5 });
    m.trainStep({ x: xs });
    expect(m.params["s"]![0]).toBeCloseTo(0.7 - 0.5 * 3 * 0.49, 12);
  });
});

describe("names from the source are never pasted unchecked", () => {
  it("accepts constructor, __proto__, Math, this, eval, Float32Array, toString", () => {
    const a = input("constructor", [2]);
    const b = input("__proto__", [2], "target");
    const M = param("Math", [2]);
    const t = param("this", []);
    const e = param("eval", [2]);
    const out1 = setName(add(mul(M, a), t), "Float32Array");
    const out2 = setName(mul(e, b), "toString");
    const loss = setName(sum(mul(out1, out2)), "*/ \n evil \u2028");
    const mod = build(
      modelOf({
        name: "this",
        inputs: [a],
        targets: [b],
        params: [
          [M, { kind: "values", values: [1, 2] }],
          [t, { kind: "values", values: [3] }],
          [e, { kind: "values", values: [4, 5] }],
        ],
        outputs: { Float32Array: out1, toString: out2, constructor: t },
        loss,
      }),
      { wrt: ["constructor", "__proto__"] },
    );
    const m = mod.createModel();
    const feed = { constructor: [1, -1], ["__proto__"]: [2, 3] };
    expect(Object.keys(feed)).toContain("__proto__");
    const r = m.forward(feed);
    expectClose(r["Float32Array"] as Float64Array, [1 * 1 + 3, 2 * -1 + 3]);
    expectClose(r["toString"] as Float64Array, [8, 15]);
    expect(r["constructor"]).toBe(3);
    expect(m.loss(feed)).toBeCloseTo(4 * 8 + 1 * 15, 12);
    const { grads } = m.grad(feed);
    expectClose(grads["__proto__"]!, [4 * 4, 1 * 5]);
    expectClose(grads["constructor"]!, [1 * 8, 2 * 15]);
    expectGradsMatchNumeric(m, feed);
    expect(() => m.forward({ ["__proto__"]: [2, 3] })).toThrow(/"constructor".*missing/);
    expect(() => m.forward(Object.create({ constructor: [1, 2] }))).toThrow(/missing/);
    expect(mod.js).not.toMatch(/\n\s*evil/);
  });
});

describe("state and training mode", () => {
  const x = input("x", ["batch", 2]);
  const rm = stateLeaf("bn.running_mean", [2]);
  const mu = mean(x, [0]);
  const centered = sub(x, mu);
  const g = param("g", [2]);
  const loss = mean(mul(mul(centered, centered), g));
  const newMean = add(mul(c(0.9), rm), mul(c(0.1), mu));
  const y = setName(mul(sub(x, rm), g), "y");
  const model: ModelIR = {
    ...modelOf({
      inputs: [x],
      params: [[g, { kind: "ones" }]],
      outputs: { y },
      loss,
      dims: ["batch"],
    }),
    state: [{ ...leaf(rm), name: "bn.running_mean", init: 0 }],
    train: { outputs: [], loss, stateUpdates: [{ name: "bn.running_mean", node: newMean }] },
  };

  it("training on a batch of 1 is a clear error; trainStep updates the state", () => {
    const m = build(model).createModel();
    expect(() => m.loss({ x: [1, 2] })).toThrow(
      /batchnorm needs a batch of at least 2 in training/,
    );
    expect(m.forward({ x: [1, 2] })["y"]).toBeInstanceOf(Float64Array);
    const xs = [1, 2, 3, 6];
    m.trainStep({ x: xs });
    expectClose(m.state["bn.running_mean"]!, [0.1 * 2, 0.1 * 4]);
    expectClose(
      m.forward({ x: xs })["y"] as Float64Array,
      [0.8, 1.6, 2.8, 5.6].map((v, i) => v * m.params["g"]![i % 2]!),
    );
  });

  it("dropout masks come from the seeded generator, 0 or 1/(1-rate)", () => {
    const w = param("w", [1000]);
    const d = mul(w, dropoutMask([1000], 0.25, "d"));
    const mod = build(modelOf({ params: [[w, { kind: "ones" }]], outputs: {}, loss: sum(d) }));
    const m = mod.createModel({ seed: 4 });
    m.reseed(9);
    const a = Array.from(m.grad({}).grads["w"]!);
    m.reseed(9);
    expect(Array.from(m.grad({}).grads["w"]!)).toEqual(a);
    expect(a.every((v) => v === 0 || Math.abs(v - 4 / 3) < 1e-12)).toBe(true);
    const kept = a.filter((v) => v !== 0).length / 1000;
    expect(kept).toBeGreaterThan(0.68);
    expect(kept).toBeLessThan(0.82);
  });
});

describe("vector operands of @ and named dims read from the feeds, from source", () => {
  const source = [
    "model mv {",
    "  input x: [batch, 4]",
    "  input v: [4]",
    "  param M: [4, 3]",
    "  param k: [4] = [1, 2, 3, 4]",
    "  vm = v @ M",
    "  xk = x @ k",
    "  output vm, xk",
    "  loss = sum(vm * vm) + sum(xk * xk)",
    "}",
  ].join("\n");

  it("keeps the gradients of [k] @ [k,n] and [m,k] @ [k] valid across calls", () => {
    const compiled = compile(source, { file: "mv.nn", dtype: "f64", wrt: "all" });
    const m = compiled.load().createModel({ seed: 2 });
    const feed = { x: [1, -2, 3, 0.5, -1, 2, 0, 1], v: [0.5, -1, 2, 1] };
    const before = Object.fromEntries(
      Object.entries(m.grad(feed).grads).map(([n, g]) => [n, Array.from(g as Float64Array)]),
    );
    const { grads } = m.grad(feed);
    m.loss({ x: [9, 9, 9, 9], v: [7, 7, 7, 7] });
    m.forward({ x: [8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8], v: [6, 6, 6, 6] });
    for (const [name, g] of Object.entries(grads))
      expect(Array.from(g as Float64Array), name).toEqual(before[name]);
    const k = m.params["k"] as Float64Array;
    const xk = [0, 1].map((i) => [0, 1, 2, 3].reduce((s, j) => s + feed.x[i * 4 + j]! * k[j]!, 0));
    expectClose(
      grads["v"] as Float64Array,
      [0, 1, 2, 3].map((i) => {
        const M = m.params["M"] as Float64Array;
        const vm = [0, 1, 2].map((j) =>
          [0, 1, 2, 3].reduce((s, r) => s + feed.v[r]! * M[r * 3 + j]!, 0),
        );
        return vm.reduce((s, y, j) => s + 2 * y * M[i * 3 + j]!, 0);
      }),
    );
    expectClose(
      grads["k"] as Float64Array,
      [0, 1, 2, 3].map((j) => xk.reduce((s, y, i) => s + 2 * y * feed.x[i * 4 + j]!, 0)),
    );
    expect(checkGradients(compiled).every((r) => r.ok)).toBe(true);
  });

  it("reads a named dim from whichever feed gives it, in any declaration order", () => {
    const src =
      "model m {\n  input x: [a, b]\n  input y: [b]\n  s = sum(x * y, axis: 1)\n  output s\n}\n";
    const m = compile(src).load().createModel();
    expectClose(m.forward({ x: [1, 2, 3, 4, 5, 6], y: [1, 1, 2] })["s"] as Float32Array, [9, 21]);
    expectClose(m.forward({ x: [1, 2, 3, 4], y: [1, -1] })["s"] as Float32Array, [-1, -1]);
    // `forward` does not use `y`, but reads it for the size of `b`
    const only =
      "model m {\n  input x: [a, b]\n  input y: [b]\n  output x\n  loss = sum(x * y)\n}\n";
    const m2 = compile(only).load().createModel();
    expect(m2.forward({ x: [1, 2, 3, 4, 5, 6], y: [0, 0, 0] })["x"]).toHaveLength(6);
    expect(m2.loss({ x: [1, 2, 3, 4, 5, 6], y: [1, 0] })).toBe(9);
    // `dim(x, 0)` reads the size from `x` at every call, though no value of `x` is used
    const size =
      "model m {\n  input x: [batch, 2]\n  n = dim(x, 0)\n  output n\n  loss = sum(x)\n}\n";
    const m3 = compile(size).load().createModel();
    expect(m3.forward({ x: [1, 2, 3, 4, 5, 6] })["n"]).toBe(3);
    expect(m3.forward({ x: [1, 2] })["n"]).toBe(1);
  });

  it("rejects, at the declaration, data whose named dims no length can give", () => {
    const src = (shape: string) => `model m {\n  input x: ${shape}\n  output x\n}\n`;
    for (const shape of ["[batch, batch]", "[a, b]"]) {
      let error: unknown;
      try {
        compile(src(shape), { file: "d.nn" });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(NnError);
      expect((error as NnError).diagnostics).toMatchObject([
        { file: "d.nn", code: "NN3007", line: 2, col: 9 },
      ]);
    }
    const m = compile(src("[batch, batch]"), { bind: { batch: 2 } })
      .load()
      .createModel();
    expectClose(m.forward({ x: [1, 2, 3, 4] })["x"] as Float32Array, [1, 2, 3, 4]);
  });
});

describe("long chains of elementwise ops", () => {
  it("are cut into statements, so deep chains compile and stay readable", () => {
    const x = input("x", []);
    const w = param("w", []);
    const v = input("v", [3]);
    let y: Node = x;
    let t: Node = v;
    for (let i = 0; i < 2000; i++) y = add(mul(y, w), c(0.001));
    for (let i = 0; i < 200; i++) t = add(mul(t, w), c(0.001));
    const mod = build(
      modelOf({
        inputs: [x, v],
        params: [[w, { kind: "values", values: [0.5] }]],
        outputs: { y, t },
        loss: add(y, sum(t)),
      }),
    );
    expect(Math.max(...mod.js.split("\n").map((l) => l.length))).toBeLessThan(4000);
    const m = mod.createModel();
    const r = m.forward({ x: 1, v: [1, 2, 3] });
    expect(r["y"]).toBeCloseTo(0.002, 12);
    expectClose(r["t"] as Float64Array, [0.002, 0.002, 0.002]);
    // d/dw of the fixed point 0.001 / (1 - w) is 0.001 / (1 - w)^2, for y and each of t's 3
    expect(m.grad({ x: 1, v: [1, 2, 3] }).grads["w"]![0]).toBeCloseTo(4 * 0.004, 9);
  });
});
