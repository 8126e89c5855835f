// Fused and unfused modules compute the same function: loss, outputs, every gradient, and the
// params and state after a training step, for every model in models/ and for random models that
// spell sigmoid, batch norm, softmax + cross-entropy and sigmoid + bce in the usual ways. And the
// fused forms are stable where the primitive ones are not.
import { readdirSync, readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compile } from "../src/index.ts";
import { randomFeed } from "../src/check.ts";
import { relError } from "./helpers.ts";

type Arrays = Record<string, ArrayLike<number>>;

/** Both modules on the same data; throws (through expect) where they differ. */
function agree(src: string, file: string, batch = 4, seed = 1): void {
  const build = (fuse: boolean) => {
    const compiled = compile(src, { file, dtype: "f64", fuse });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    return { compiled, m: compiled.load().createModel({ seed: 3 }) as any };
  };
  const fused = build(true);
  const plain = build(false);
  const model = fused.compiled.model;
  const feed = randomFeed(model, Object.fromEntries(model.dims.map((d) => [d, batch])), seed);
  const close = (a: number | ArrayLike<number>, b: number | ArrayLike<number>, what: string) => {
    const [x, y] = [typeof a === "number" ? [a] : a, typeof b === "number" ? [b] : b];
    expect(relError(x, y), `${what} in\n${src}`).toBeLessThan(1e-9);
  };
  const outputs = (m: { forward(f: unknown): Arrays }) => ({ ...m.forward(feed) });
  const compare = (what: string) => {
    const [a, b] = [outputs(fused.m), outputs(plain.m)];
    for (const k of Object.keys(b)) close(a[k]!, b[k]!, `${what} output ${k}`);
  };
  compare("forward");
  if (model.train.loss === null) return;
  const [ga, gb] = [fused.m.grad(feed), plain.m.grad(feed)];
  close(ga.loss, gb.loss, "loss");
  for (const k of Object.keys(gb.grads)) close(ga.grads[k], gb.grads[k], `gradient ${k}`);
  fused.m.trainStep(feed);
  plain.m.trainStep(feed);
  for (const k of Object.keys(plain.m.params))
    close(fused.m.params[k], plain.m.params[k], `param ${k} after a step`);
  for (const k of Object.keys(plain.m.state))
    close(fused.m.state[k], plain.m.state[k], `state ${k} after a step`);
  compare("forward after a step");
}

describe.each(readdirSync("models").filter((f) => f.endsWith(".nn")))("models/%s", (name) => {
  it("fused and unfused agree on outputs, loss, gradients and a training step", () => {
    agree(readFileSync(`models/${name}`, "utf8"), `models/${name}`);
  });
});

const activations = [
  "1 / (1 + exp(-#))",
  "1 / (1 + exp(0 - #))",
  "1 / (1 + exp(-1 * #))",
  "exp(#) / (1 + exp(#))",
  "sigmoid(#)",
  "tanh(#)",
  "relu(#)",
  "# |> batchnorm",
  "(# - mean(#, axis: 0)) / sqrt(mean((# - mean(#, axis: 0)) ^ 2, axis: 0) + 0.001)",
  "transpose(transpose(#))",
  "log(softmax(#))",
  "log(sigmoid(#))",
  "# * 1 + 0",
  "-(-#)",
];
const losses = [
  "mean(cross_entropy(softmax(#), y))",
  "mean(cross_entropy(softmax(#, axis: 0), y))",
  "mean(bce(sigmoid(#), y))",
  "mean(bce(1 / (1 + exp(-#)), y))",
  "mean(mse(#, y))",
  "sum(log(softmax(#)) * y)",
];

function randomSource(steps: string[], loss: string, hidden: boolean): string {
  const lines = [
    "model random {",
    "  input x: [batch, 3]",
    "  target y: [batch, 2]",
    hidden ? "  t0 = x |> dense(2) |> batchnorm" : "  t0 = x |> dense(2)",
  ];
  steps.forEach((f, i) => lines.push(`  t${i + 1} = ${f.replaceAll("#", `t${i}`)}`));
  const last = `t${steps.length}`;
  lines.push(
    `  output ${last}`,
    `  loss = ${loss.replaceAll("#", last)}`,
    "  optimizer = sgd(lr: 0.1, momentum: 0.5)",
    "}",
  );
  return lines.join("\n");
}

describe("random models", () => {
  it("fused and unfused agree to 1e-9 in f64", () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...activations), { minLength: 0, maxLength: 4 }),
        fc.constantFrom(...losses),
        fc.boolean(),
        fc.integer({ min: 1, max: 1000 }),
        (steps, loss, hidden, seed) =>
          agree(randomSource(steps, loss, hidden), "random.nn", 5, seed),
      ),
      { numRuns: 50 },
    );
  }, 60_000);
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function load(src: string): any {
  return compile(src, { file: "stable.nn", dtype: "f64" }).load().createModel({ seed: 1 });
}
function finite(xs: number | ArrayLike<number>): boolean {
  return (typeof xs === "number" ? [xs] : Array.from(xs)).every(Number.isFinite);
}

describe("stability of the fused forms", () => {
  it("bce on logits of +-100: finite loss and gradients, the exact loss", () => {
    const m = load(`model m {
      input z: [batch, 1]
      target y: [batch, 1]
      param w: [1, 1] = 1
      p = sigmoid(z @ w)
      output p
      loss = mean(bce(p, y))
    }`);
    // confidently wrong both ways: each example's loss is 100
    const { loss, grads } = m.grad({ z: [100, -100], y: [0, 1] });
    expect(loss).toBeCloseTo(100, 9);
    expect(finite(grads["w"])).toBe(true);
    expect(grads["w"][0]).toBeCloseTo(100, 6);
  });

  it("softmax + cross-entropy over logits near 1000: finite loss and gradients", () => {
    const m = load(`model m {
      input x: [batch, 3]
      target y: [batch, 3]
      param w: [3, 3] = [1, 0, 0, 0, 1, 0, 0, 0, 1]
      z = x @ w
      p = softmax(z)
      output p
      loss = mean(cross_entropy(p, y))
    }`);
    const { loss, grads } = m.grad({
      x: [1000, 990, 960, 1000, 1000, 1000],
      y: [0, 0, 1, 1, 0, 0],
    });
    expect(finite(loss)).toBe(true);
    // row 1: lse - z_3 = 40 + log(1 + e^-10 + e^-40); row 2: log 3
    expect(loss).toBeCloseTo((40 + Math.log1p(Math.exp(-10) + Math.exp(-40)) + Math.log(3)) / 2, 9);
    expect(finite(grads["w"])).toBe(true);
  });

  it("batch norm over a constant column: finite loss and gradients", () => {
    const m = load(`model m {
      input x: [batch, 2]
      target y: [batch, 2]
      h = x |> batchnorm
      output h
      loss = mean(mse(h, y))
    }`);
    const feed = { x: [5, 1, 5, 2, 5, 3, 5, 4], y: [0, 0, 1, 1, 0, 1, 1, 0] };
    const { loss, grads } = m.grad(feed);
    expect(finite(loss)).toBe(true);
    for (const g of Object.values(grads)) expect(finite(g as ArrayLike<number>)).toBe(true);
    expect(finite(m.trainStep(feed))).toBe(true);
    expect(finite(m.forward({ x: feed.x }).h)).toBe(true);
  });
});
