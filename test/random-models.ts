// Random small valid models (fast-check): a chain of steps over x @ a + b, then one of several
// losses. Shared by the property tests and the export tests.
import fc from "fast-check";

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
export const losses = [
  "mean(mse(#, y))",
  "mean(#)",
  "sum(# * #)",
  "mean(cross_entropy(softmax(#), y))",
  "max(sum(#, axis: 1))",
  "mean(log_softmax(#, axis: 0))",
];

export type Step =
  { kind: "unary"; f: string; a: number } | { kind: "binary"; f: string; a: number; b: number };

export const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant("unary" as const), f: fc.constantFrom(...unary), a: fc.nat() }),
  fc.record({
    kind: fc.constant("binary" as const),
    f: fc.constantFrom(...binary),
    a: fc.nat(),
    b: fc.nat(),
  }),
);

export function source(steps: Step[], loss: string): string {
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

/** A random model's source (`fc.sample` of it gives a fixed list for a seed). */
export const randomSource: fc.Arbitrary<string> = fc
  .tuple(fc.array(step, { minLength: 1, maxLength: 6 }), fc.constantFrom(...losses))
  .map(([steps, loss]) => source(steps, loss));
