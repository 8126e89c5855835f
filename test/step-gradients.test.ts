// A training step updates the params in place, one after another, while a gradient can be a
// param itself (d(a * b)/db is a, hash-consing makes it the very node): every optimizer on every
// target must read each gradient before any update changes it, and update each param with its
// own gradient. Each row is stepped three times and compared with the update written by hand
// (test/optimizer-steps.ts) from the gradients `grad` gives at the same params.
import { describe, expect, it } from "vitest";
import { compile } from "../src/index.ts";
import { updates } from "./optimizer-steps.ts";

// each has a matrix, which weight decay applies to (a vector or a scalar it leaves alone)
const matrix = "param M: [2, 2] = [0.5, -1, 2, 0.25]";
const models: [string, string][] = [
  [
    "one vector's gradient is the other",
    "param a: [2] = [0.5, -1]\n  param b: [2] = [2, 0.25]\n  loss = sum(a * b) + sum(M)",
  ],
  [
    "one matrix's gradient is the other",
    "param A: [2, 2] = [1, 0.5, -0.25, 2]\n  loss = sum(A * M)",
  ],
  ["a matrix's gradient is itself", "loss = 0.5 * sum(M * M)"],
  [
    "one scalar's gradient is the other",
    "param u: scalar = 0.5\n  param v: scalar = -2\n  loss = u * v + sum(M)",
  ],
];

const targets = [
  { target: "js", dtype: "f64", digits: 12 },
  { target: "wasm", dtype: "f32", digits: 5 },
] as const;

type Params = Record<string, Float64Array>;

describe("a training step reads every gradient before it updates a param", () => {
  for (const [scenario, body] of models)
    for (const [optimizer, update] of updates)
      for (const { target, dtype, digits } of targets)
        it(`${scenario}, ${optimizer} (${target})`, () => {
          const source = `model m {\n  ${matrix}\n  ${body}\n  optimizer = ${optimizer}\n}\n`;
          const compiled = compile(source, { file: "s.nn", dtype, target });
          const module = compiled.load();
          const m = module.createModel({});
          const want: Params = Object.fromEntries(
            Object.entries(m.params).map(([k, v]) => [k, Float64Array.from(v)]),
          );
          const state: Record<string, number[][]> = {};
          for (let t = 1; t <= 3; t++) {
            const { grads } = module.createModel({ params: want }).grad({});
            for (const p of compiled.model.params) {
              const decays = p.shape.length >= 2;
              const st = (state[p.name] ??= Array.from(want[p.name]!, () => [0, 0]));
              want[p.name] = want[p.name]!.map((v, i) =>
                update(v, grads[p.name]![i]!, decays, st[i]!, t),
              );
            }
            m.trainStep({});
          }
          for (const [name, values] of Object.entries(want))
            values.forEach((v, i) =>
              expect(m.params[name]![i]!, `${name}[${i}]`).toBeCloseTo(v, digits),
            );
        });
});
