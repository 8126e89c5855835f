// Property: random small valid models compile, and their generated gradients agree with finite
// differences of their generated loss.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compile } from "../src/index.ts";
import { checkGradients } from "../src/check.ts";

// smooth functions only, so that finite differences are meaningful everywhere
const unary = [
  "tanh(#)",
  "sigmoid(#)",
  "softplus(#)",
  "exp(-(# * #))",
  "log(1 + # * #)",
  "sqrt(# * # + 1)",
  "elu(#)",
  "# ^ 2",
  "-#",
  "leaky_relu(# + 3, alpha: 0.2)",
];
const binary = ["# + %", "# - %", "# * %", "# / (1 + % * %)", "# @ m"];
const losses = [
  "mean(mse(#, y))",
  "mean(#)",
  "sum(# * #)",
  "mean(cross_entropy(softmax(#), y))",
  "max(sum(#, axis: 1))",
  "mean(log_softmax(#, axis: 0))",
];

const step = fc.oneof(
  fc.record({ kind: fc.constant("unary" as const), f: fc.constantFrom(...unary), a: fc.nat() }),
  fc.record({
    kind: fc.constant("binary" as const),
    f: fc.constantFrom(...binary),
    a: fc.nat(),
    b: fc.nat(),
  }),
);

function source(steps: Step[], loss: string): string {
  const lines = [
    "model random {",
    "  input x: [batch, 3]",
    "  target y: [batch, 2]",
    "  param a: [3, 2]",
    "  param b: [2] = normal(std: 0.5)",
    "  param m: [2, 2]",
    "  t0 = (x @ a + b) @ m",
  ];
  steps.forEach((s, i) => {
    const pick = (k: number) => `t${k % (i + 1)}`;
    const expr = s.f
      .replaceAll("#", pick(s.a))
      .replaceAll("%", s.kind === "binary" ? pick(s.b) : "");
    lines.push(`  t${i + 1} = ${expr}`);
  });
  lines.push(
    `  output t${steps.length}`,
    `  loss = ${loss.replaceAll("#", `t${steps.length}`)}`,
    "}",
  );
  return lines.join("\n");
}
type Step =
  { kind: "unary"; f: string; a: number } | { kind: "binary"; f: string; a: number; b: number };

describe("random models", () => {
  it("compile, and their gradients match finite differences", () => {
    fc.assert(
      fc.property(
        fc.array(step, { minLength: 1, maxLength: 6 }),
        fc.constantFrom(...losses),
        fc.integer({ min: 1, max: 1000 }),
        (steps, loss, seed) => {
          const src = source(steps as Step[], loss);
          const compiled = compile(src, { file: "random.nn", dtype: "f64" });
          const rows = checkGradients(compiled, { seed, samples: 6 });
          for (const r of rows) expect(r.worst, `${r.name} in\n${src}`).toBeLessThan(1e-4);
        },
      ),
      { numRuns: 40 },
    );
  });
});
