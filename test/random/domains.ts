// Domains an operand may need, and the ways of bringing any value into each: a row asks for a
// domain (log and sqrt of positive values, bce of probabilities, cross_entropy of a distribution)
// and the generator wraps the value it picked with one of these, chosen by a stable hash. Several
// spell out what the compiler fuses (`1 / (1 + exp(-x))`), so that the fusions meet them too.

export type Domain = "any" | "positive" | "probability" | "distribution";

export interface Adapter {
  name: string;
  apply: (x: string) => string;
}

const adapter = (name: string, apply: (x: string) => string): Adapter => ({ name, apply });

export const adapters: Record<Domain, readonly Adapter[]> = {
  any: [adapter("as is", (x) => x)],
  // at least 0.05 everywhere
  positive: [
    adapter("exp", (x) => `exp(${x})`),
    adapter("square plus", (x) => `${x} * ${x} + 0.5`),
    adapter("softplus plus", (x) => `softplus(${x}) + 0.1`),
    adapter("abs plus", (x) => `1 + abs(${x})`),
    adapter("hypot", (x) => `sqrt(${x} * ${x} + 1)`),
    adapter("sigmoid plus", (x) => `sigmoid(${x}) + 0.05`),
  ],
  // in (0, 1)
  probability: [
    adapter("sigmoid", (x) => `sigmoid(${x})`),
    adapter("sigmoid spelled out", (x) => `1 / (1 + exp(-${x}))`),
    adapter("tanh", (x) => `0.5 + 0.4 * tanh(${x})`),
  ],
  // positive and summing to 1 along the last axis (rank 1 or more)
  distribution: [
    adapter("softmax", (x) => `softmax(${x})`),
    adapter("exp of log_softmax", (x) => `exp(log_softmax(${x}))`),
    adapter("softmax on the last axis", (x) => `softmax(${x}, axis: -1)`),
  ],
};
