// A backward value can be the very forward value it differentiates (hash-consing makes
// d exp(u)/du the node exp(u)); naming, comments and provenance follow "differentiates" links,
// which must never loop and never turn a forward value into a gradient.
import { describe, expect, it } from "vitest";
import { compile } from "../src/index.ts";
import { checkGradients } from "../src/check.ts";

const model = (body: string, decl = "input x: scalar\n  param w: scalar = 0.5") =>
  `model m {\n  ${decl}\n  ${body}\n  optimizer = sgd(lr: 0.1)\n}\n`;

const rows: [string, string][] = [
  ["exp of a product plus an input", model("loss = exp(x * w) + x")],
  ["exp of a param plus the param", model("loss = exp(w) + w")],
  ["exp twice", model("e = exp(x * w)\n  loss = exp(e) + e * x")],
  ["a reused exponential", model("u = exp(w * x)\n  loss = u * u + u")],
  ["sqrt and its square", model("s = sqrt(w * w + 1)\n  loss = s + exp(s)")],
  [
    "tensors",
    model(
      "h = exp(x * w)\n  loss = sum(h + x)",
      "input x: [2, 3]\n  param w: [2, 3] = normal(std: 0.5)",
    ),
  ],
];

describe("backward values equal to forward values", () => {
  for (const [scenario, src] of rows)
    for (const target of ["js", "wasm"] as const)
      for (const fuse of [true, false])
        it(`${scenario} (${target}${fuse ? "" : ", unfused"}): compiles, and the gradient checks`, () => {
          const compiled = compile(src, { file: "m.nn", dtype: "f64", target, fuse });
          expect(compiled.gradCode()).toContain("d_w");
          for (const r of checkGradients(compiled, { seed: 3 })) expect(r.worst).toBeLessThan(1e-6);
        });
});
