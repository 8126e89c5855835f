// The wasm target computes what the JS target computes, in f32: for every model of every file in
// models/ and for random models, the outputs, the loss and the gradients agree to 1e-5 of their
// scale, fused and unfused, and so do the params after ten training steps. Its memory grows under
// arrays a user holds, and it refuses bad feeds with the JS target's messages.
import { readdirSync, readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compile, type Compiled } from "../src/index.ts";
import { checkGradients, randomFeed } from "../src/check.ts";
import { relError } from "./helpers.ts";
import { randomSource } from "./random-models.ts";

// models whose kernels the wasm target does not have yet (it runs them on the JS target): the
// sequence models need gather
const wasmPending = new Set(["lenet.nn", "gpt.nn", "makemore.nn"]);
const files = [
  ...readdirSync("models")
    .filter((f) => f.endsWith(".nn") && !wasmPending.has(f))
    .map((f) => `models/${f}`),
  ...readdirSync("models/experiments").map((f) => `models/experiments/${f}`),
];
/** Every model of a file, by name. */
const modelsOf = (source: string) => [...source.matchAll(/^\s*model\s+(\w+)/gm)].map((m) => m[1]!);
const cases = files.flatMap((file) =>
  modelsOf(readFileSync(file, "utf8")).map((model) => ({ file, model })),
);

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyModel = any;

function both(source: string, file: string, options: Record<string, unknown> = {}) {
  const build = (target: "js" | "wasm", dtype: "f32" | "f64" = "f32"): Compiled =>
    compile(source, { file, dtype, target, ...options });
  return { js: build("js"), wasm: build("wasm"), f64: build("js", "f64") };
}

/** A feed in f32 for the model's inputs and targets, with every named dim 8. */
function feedOf(c: Compiled, seed: number) {
  const dims = Object.fromEntries(c.model.dims.map((d) => [d, 8]));
  const f64 = randomFeed(c.model, dims, seed);
  return Object.fromEntries(
    Object.entries(f64).map(([k, v]) => [k, typeof v === "number" ? v : Float32Array.from(v)]),
  );
}

const flat = (v: unknown): ArrayLike<number> => (typeof v === "number" ? [v] : (v as Float32Array));

/** |a - b| over the larger of 1 and b's largest magnitude: an error relative to the values' scale. */
function scaled(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 1;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]!));
  let worst = 0;
  for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / scale);
  return worst;
}

/**
 * The two targets agree to 1e-5 of the values' scale, or, where f32 itself is not that close to
 * the exact values, within a multiple of the JS target's own distance from f64: the wasm target's
 * exp and log are polynomials good to 2.6 ulp (the JS target's are correctly rounded) and it sums
 * in f32 lanes, and eight layers of sigmoid and batchnorm (models/experiments/deep.nn) amplify
 * such roundings to 1.6e-5 (the JS target's own f32 error there: 1.6e-6).
 */
function agree(js: Compiled, wasm: Compiled, f64: Compiled, seed: number) {
  expect(wasm.target, wasm.targetNote).toBe("wasm");
  const exact: AnyModel = f64.load().createModel({ seed });
  const [mj, mw]: AnyModel[] = [js.load().createModel({ seed }), wasm.load().createModel({ seed })];
  const feed = feedOf(js, seed + 1);
  const out = (m: AnyModel) => m.forward(feed);
  const [oj, ow] = [out(mj), out(mw)];
  for (const k of Object.keys(oj))
    expect(scaled(flat(ow[k]), flat(oj[k])), `output ${k}`).toBeLessThan(1e-5);
  if (!js.model.train.loss) return;
  for (const m of [mj, mw, exact]) m.reseed(seed);
  const [gj, gw, ge] = [mj.grad(feed), mw.grad(feed), exact.grad(feed)];
  expect(scaled([gw.loss], [gj.loss]), "loss").toBeLessThan(1e-5);
  const largest = Math.max(
    ...Object.values(gj.grads).map((g) => Math.max(...Array.from(flat(g), Math.abs))),
  );
  for (const k of Object.keys(gj.grads)) {
    const own = scaled(flat(gj.grads[k]), flat(ge.grads[k]));
    const error = scaled(flat(gw.grads[k]), flat(gj.grads[k]));
    expect(error, `gradient ${k}`).toBeLessThan(Math.max(1e-5, 16 * own));
  }
  // ten steps; a param whose gradient is only rounding (a bias before a batchnorm, which cancels
  // it) moves by Adam's normalized noise on either target, so it is compared by its loss's effect
  const noise = new Set(
    Object.entries(gj.grads)
      .filter(([, g]) => Math.max(...Array.from(flat(g), Math.abs)) < 1e-6 * largest)
      .map(([k]) => k),
  );
  for (let s = 0; s < 10; s++) for (const m of [mj, mw, exact]) m.trainStep(feed);
  for (const k of Object.keys(mj.params)) {
    if (noise.has(k)) continue;
    const own = scaled(flat(mj.params[k]), flat(exact.params[k]));
    const error = scaled(flat(mw.params[k]), flat(mj.params[k]));
    expect(error, `param ${k} after 10 steps`).toBeLessThan(Math.max(1e-4, 16 * own));
  }
  // each once: a loss in training mode draws the next dropout masks
  const [lj, lw, le] = [mj.loss(feed), mw.loss(feed), exact.loss(feed)];
  const ownLoss = scaled([lj], [le]);
  const lossError = scaled([lw], [lj]);
  expect(lossError, "loss after 10 steps").toBeLessThan(Math.max(1e-4, 16 * ownLoss));
}

describe.each(cases)("$file:$model on the wasm target", ({ file, model }) => {
  it("agrees with the JS target, fused and unfused", () => {
    const source = readFileSync(file, "utf8");
    for (const fuse of [true, false]) {
      const { js, wasm, f64 } = both(source, file, { model, fuse });
      agree(js, wasm, f64, 3);
    }
  });
});

const spelled = "(x - mean(x, axis: 0)) / sqrt(mean((x - mean(x, axis: 0)) ^ 2, axis: 0) + 1e-5)";

// kernels called with unusual arguments: a result that is one number, an operand read twice,
// reductions over axes apart (in two stages, or as one where the axes between have size 1),
// batchnorm's statistics as constants or scalars
const unusual: [string, string][] = [
  ["a scalar's dropout mask", "param w: scalar = 0.5\n  t = w |> dropout(0.5)\n  loss = t * w"],
  ["a matrix times itself", "param w: [2, 2] = [0.5, -1, 2, 0.25]\n  loss = sum(sigmoid(w @ w))"],
  [
    "softmax cross-entropy of a value against itself",
    "param z: [2, 3] = normal(std: 1)\n  loss = sum(cross_entropy(softmax(z), z))",
  ],
  // axes of size 1 count as reduced or kept: lines around the channels of [N, C, H, 1]
  [
    "batchnorm on images one pixel wide",
    "param x: [3, 2, 4, 1] = normal(std: 1)\n  t = x |> batchnorm\n  loss = sum(t * t * x)",
  ],
  [
    "max over axes 0 and 2 of [3, 1, 2, 1]",
    "param x: [3, 1, 2, 1] = normal(std: 1)\n  loss = sum(max(x, axis: [0, 2]) * 2)",
  ],
  // reductions over axes apart, in two stages
  [
    "mean over axes 1 and 3 of [2, 3, 2, 4]",
    "param x: [2, 3, 2, 4] = normal(std: 1)\n  loss = sum(exp(mean(x * x, axis: [1, 3])))",
  ],
  [
    "a param broadcast from [1, 3, 1, 2] (its gradient sums axes 0 and 2)",
    "param x: [2, 3, 2, 2] = normal(std: 1)\n  param w: [1, 3, 1, 2] = normal(std: 1)\n  loss = max(x - w) + sum(tanh(x * w))",
  ],
  // batchnorm spelled out: its gamma is the constant 1, or a scalar
  [
    "batchnorm spelled out without a scale",
    `param x: [4, 3] = normal(std: 1)\n  t = ${spelled}\n  loss = sum(t * t * x)`,
  ],
  [
    "batchnorm spelled out with a scalar scale",
    `param x: [4, 3] = normal(std: 1)\n  param s: scalar = 1.5\n  t = ${spelled} * s + 0.5\n  loss = sum(t * t * x)`,
  ],
];

describe.each(unusual)("%s", (_, body) => {
  const source = `model m {\n  ${body}\n  optimizer = adam(lr: 0.1)\n}\n`;
  it("runs on either target, fused and unfused, with the gradient of finite differences", () => {
    for (const fuse of [true, false]) {
      const { js, wasm, f64 } = both(source, "unusual.nn", { fuse });
      agree(js, wasm, f64, 4);
      for (const r of checkGradients(f64, { seed: 4 })) expect(r.worst, r.name).toBeLessThan(1e-6);
    }
  });
});

describe("random models on the wasm target", () => {
  it("agree with the JS target", () => {
    fc.assert(
      fc.property(randomSource, (source) => {
        const { js, wasm, f64 } = both(source, "random.nn");
        agree(js, wasm, f64, 5);
      }),
      { numRuns: 25, seed: 42 },
    );
  });
});

describe("the wasm target's memory", () => {
  const mlp = readFileSync("bench/models/mlp.nn", "utf8");
  const feed = (n: number) => ({
    x: Float32Array.from({ length: n * 784 }, (_, i) => Math.sin(i) * 0.5 + 0.5),
    y: Float32Array.from({ length: n * 10 }, (_, i) =>
      i % 10 === Math.floor(i / 10) % 10 ? 1 : 0,
    ),
  });

  it("grows for a larger batch under the arrays a user holds", () => {
    const m: AnyModel = compile(mlp, { file: "mlp.nn", target: "wasm" })
      .load()
      .createModel({ seed: 1 });
    const W: Float32Array = m.params["h.W"];
    const state = Object.values(m.state);
    m.trainStep(feed(4));
    const before = W.slice();
    m.trainStep(feed(512)); // the buffers for 512 examples need more memory than there is
    expect(W.length).toBe(784 * 128); // still attached
    expect(W).not.toEqual(before); // and still the param: the step changed it
    expect(W).toBe(m.params["h.W"]);
    expect(Object.values(m.state)).toEqual(state);
    const { grads } = m.grad(feed(1024));
    expect(grads["h.W"]!.length).toBe(784 * 128);
  });

  it("where it cannot be shared, hands out fresh views after growth, with the same values", () => {
    const js = compile(mlp, { file: "mlp.nn", target: "wasm" }).js;
    const unshared = js.replace(
      "new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });",
      'throw new Error("not cross-origin isolated");',
    );
    expect(unshared).not.toBe(js);
    const c = compile(mlp, { file: "mlp.nn", target: "wasm" });
    const load = () =>
      new Function(
        unshared
          .replace(/export \{[^}]*\};/, "return { createModel: $createModel };")
          .replace("await WebAssembly.compile($bytes)", "new WebAssembly.Module($bytes)"),
      )();
    const m: AnyModel = load().createModel({ seed: 1 });
    const reference: AnyModel = c.load().createModel({ seed: 1 });
    for (const n of [4, 512]) {
      m.trainStep(feed(n));
      reference.trainStep(feed(n));
    }
    expect(Array.from(m.params["h.W"] as Float32Array)).toEqual(
      Array.from(reference.params["h.W"] as Float32Array),
    );
  });

  it("refuses a bad feed with the JS target's message", () => {
    const { js, wasm } = both(mlp, "mlp.nn");
    const message = (c: Compiled) => {
      try {
        (c.load().createModel() as AnyModel).forward({ x: new Float32Array(5) });
      } catch (e) {
        return (e as Error).message;
      }
      return "no error";
    };
    expect(message(wasm)).toBe(message(js));
    expect(message(wasm)).toMatch(/input "x" should have shape \[batch, 784\]/);
  });
});
