// `nnc check` / checkGradients: a correct gradient passes however large the loss (finite differences
// of a loss of 10^5 cannot resolve 10^-4 of a gradient element, and the check must know it), a
// wrong one fails however large the param, and the work stays bounded for the largest param.
import { describe, expect, it } from "vitest";
import { compile, type Compiled } from "../src/compile.ts";
import { checkGradients, checkPlan } from "../src/check.ts";
import type { Feed } from "../src/types.ts";
import { sumOfProducts } from "../scripts/limits/check.ts";

const dense = `model m {
  input x: [batch, 6]
  target y: [batch, 6]
  param W: [6, 6] = normal(std: 0.5)
  param b: [6] = 0.1
  loss = mean(mse(tanh(x @ W + b), y))
}
`;

const build = (source: string) => compile(source, { file: "m.nn", dtype: "f64" });

/** The module of `c` with `alter` applied to every gradient `grad` returns (a bug to catch). */
function alterGrads(c: Compiled, alter: (name: string, g: Float64Array) => void): Compiled {
  const load = () => {
    const module = c.load();
    const createModel = (o: Parameters<typeof module.createModel>[0]) => {
      const m = module.createModel(o);
      const grad = (feed: Feed) => {
        const r = m.grad(feed) as { grads: Record<string, Float64Array> };
        for (const [name, g] of Object.entries(r.grads)) alter(name, g);
        return r;
      };
      return { ...m, grad };
    };
    return { ...module, createModel };
  };
  return { ...c, load } as Compiled;
}

const scale = (by: number) => (_: string, g: Float64Array) => {
  for (let i = 0; i < g.length; i++) g[i] = g[i]! * by;
};

describe("checkGradients", () => {
  // the case: loss = sum(W * x) is about 1.6e5; a step of 1e-6 leaves ~1e-5 of doubt
  const big = build(sumOfProducts(4096, "= 1"));

  it("passes the exact gradient of a 4096 x 4096 sum whose loss is 1.6e5", () => {
    const [row] = checkGradients(big);
    expect(row).toMatchObject({ name: "W", ok: true, size: 4096 * 4096, directions: 2 });
    expect(row!.checked).toBe(11);
    expect(row!.detail).toMatch(/within what finite differences resolve/);
  });

  it("fails the same gradient scaled by 1.01 on one random direction alone", () => {
    const [row] = checkGradients(alterGrads(big, scale(1.01)), { samples: 0, directions: 1 });
    expect(row!.ok).toBe(false);
    expect(row!.detail).toMatch(
      /symbolic .*, finite differences .* \(a difference of .* is allowed\)/,
    );
  });

  // rows: what is wrong, the rows that must fail, and the comparison the first one shows
  const wrong: [string, (name: string, g: Float64Array) => void, string[], RegExp][] = [
    [
      "a sign error in one element",
      (n, g) => n === "W" && (g[13] = -g[13]!),
      ["W"],
      /^element \[2, 1\]/,
    ],
    [
      "an error of 0.01 in one element",
      (n, g) => n === "b" && (g[0] = g[0]! + 0.01),
      ["b"],
      /^element \[0\]/,
    ],
    [
      "a NaN in one element",
      (n, g) => n === "b" && (g[4] = NaN),
      ["b"],
      /^element \[4\]: symbolic NaN/,
    ],
    ["gradients scaled by 1.001", scale(1.001), ["W", "b"], /^element \[\d, \d\]: symbolic/],
  ];
  for (const [scenario, alter, failing, detail] of wrong)
    it(`fails ${scenario} of a small model`, () => {
      const rows = checkGradients(alterGrads(build(dense), alter), { seed: 2 });
      const bad = rows.filter((r) => !r.ok);
      expect(bad.map((r) => r.name)).toEqual(failing);
      expect(bad[0]!.detail).toMatch(detail);
    });

  it("passes the small model's own gradient with relative errors below 1e-6", () => {
    const rows = checkGradients(build(dense), { seed: 2 });
    expect(rows.map((r) => [r.name, r.ok, r.checked, r.directions])).toEqual([
      ["W", true, 36, 3],
      ["b", true, 6, 3],
    ]);
    for (const r of rows) expect(r.worst).toBeLessThan(1e-6);
  });

  // integers have no gradient: `--wrt all` leaves int inputs and targets out (perturbing an
  // index by h was a refused feed), and naming one is a coded error
  const sequence = `model m {
  input idx: [batch, 3] int
  input x: [batch, 3, 4]
  target y: [batch, 3] int
  param W: [5, 4] = normal(std: 0.5)
  z = gather(W, idx) * x
  loss = mean(cross_entropy(softmax(z), y))
}
`;
  it("checks the inputs of numbers with --wrt all, and not the int ones", () => {
    const c = compile(sequence, { file: "m.nn", dtype: "f64", wrt: "all" });
    expect(c.grads.map((g) => g.name)).toEqual(["W", "x"]);
    const rows = checkGradients(c, { seed: 2 });
    expect(rows.map((r) => [r.name, r.ok, r.checked])).toEqual([
      ["W", true, 20],
      ["x", true, 36],
    ]);
    for (const r of rows) expect(r.worst).toBeLessThan(1e-6);
  });

  it.each(["idx", "y"])("refuses --wrt %s, an int leaf, with NN5001", (name) => {
    expect(() => compile(sequence, { file: "m.nn", wrt: [name] })).toThrow(
      new RegExp(`NN5001: --wrt names \`${name}\`, an int (input|target): integers`),
    );
  });

  it("spends 4 loss evaluations on the largest param: 1 direction", () => {
    const largest = checkPlan(build(sumOfProducts(16384)))!;
    expect(largest).toMatchObject({ evaluations: 4, directions: 1, samples: 0 });
    // 2^25 elements of work: 2^30 / 2^25 evaluations, 2 directions and 11 elements
    expect(checkPlan(big)).toMatchObject({ evaluations: 31, directions: 2, samples: 11 });
    // a model of a few thousand elements gets the full check
    expect(checkPlan(build(dense))).toMatchObject({ directions: 3, samples: 40 });
  });
});
