// A convolution's bias per channel and activation are applied as it stores its output (the
// schedule's epilogue, as for a dense layer), and only where that is the same function: rows of
// [scenario, statement, the kernel it becomes]. Each model computes what the reference interpreter
// computes (the JS target in f64), and the wasm target computes what the JS target does in f32.
import { describe, expect, it } from "vitest";
import { compile, type Compiled } from "../src/index.ts";
import { randomFeed } from "../src/check.ts";
import { interpret } from "../src/ir/interpret.ts";
import { relError } from "./helpers.ts";

const ROWS: [string, string, RegExp][] = [
  ["the layer, then relu", "x |> conv2d(4, kernel: 3, padding: 1) |> relu", /conv2d_bias_relu_/],
  ["no bias, then tanh", "x |> conv2d(3, kernel: 2, bias: false) |> tanh", /conv2d_tanh_/],
  [
    "the primitive's bias, then sigmoid",
    "sigmoid(conv2d(x, W, b, stride: 2))",
    /conv2d_bias_sigmoid_/,
  ],
  ["the bias alone", "conv2d(x, W, b, dilation: 2)", /conv2d_bias_batch/],
  [
    "a bias per column is not per channel",
    "conv2d(x, W, padding: [1, 1]) + c",
    /conv2d_batch.*\n.*add_/,
  ],
  [
    "an activation of a sum with another value",
    "relu(conv2d(x, W, padding: 1) + x2)",
    /conv2d_batch.*\n.*add_relu_/,
  ],
];

const source = (statement: string) => `model m {
  input x: [batch, 2, 7, 5]
  input x2: [batch, 4, 7, 5]
  param W: [4, 2, 3, 3]
  param b: [4]
  param c: [5]
  y = ${statement}
  output y
}`;

/** The kernel calls of the forward function, one per line. */
const calls = (c: Compiled) =>
  c.js
    .split("function $forward")[1]!
    .split("\n")
    .filter((l) => /^\s*\$[a-z]/.test(l))
    .join("\n");

describe("a convolution's epilogue", () => {
  it.each(ROWS)("%s: %s", (_, statement, kernel) => {
    const src = source(statement);
    const f64 = compile(src, { file: "m.nn", dtype: "f64" });
    expect(calls(f64)).toMatch(kernel);
    const model = f64.model;
    const feed = randomFeed(model, { batch: 3 }, 5);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const m: any = f64.load().createModel({ seed: 2 });
    const values = new Map<string, ArrayLike<number> | number>(Object.entries(feed));
    for (const p of model.params) values.set(p.name, m.params[p.name]);
    const out = model.infer.outputs[0]!.node;
    const want = interpret([out], { values, dims: { batch: 3 } }).get(out)!.data;
    expect(relError(m.forward(feed).y, want)).toBeLessThan(1e-12);
    const f32 = (target: "js" | "wasm") => {
      const c = compile(src, { file: "m.nn", dtype: "f32", target });
      expect(c.target, c.targetNote).toBe(target);
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const mm: any = c.load().createModel({ seed: 2 });
      const x = Object.fromEntries(
        Object.entries(feed).map(([k, v]) => [k, Float32Array.from(v as ArrayLike<number>)]),
      );
      return mm.forward(x).y as Float32Array;
    };
    expect(relError(f32("wasm"), f32("js"))).toBeLessThan(1e-5);
  });
});
