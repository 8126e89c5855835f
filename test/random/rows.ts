// The generator's table: one row per function, operator, reduction, loss, layer and block of the
// language, each with the shapes and the domain its operands need. A sample's statements choose
// their rows by a stable hash of the row's name (draw.ts), so adding a row is one line here and
// leaves the other samples as they were. A row asks the builder for operands and writes the
// statement's expression; `#` is the operand in the one-operand helpers.
import type { Builder, Operand, TargetDomain } from "./builder.ts";
import type { Domain } from "./domains.ts";
import { broadcast, RANKS, type Dim, type Shape, type ShapeSpec } from "./shapes.ts";

export interface Made {
  expr: string;
  shape: Shape;
}

export interface Row {
  name: string;
  /** at most one statement of the sample uses it (dropout: the reference draws one mask) */
  once?: boolean;
  make(b: Builder): Made;
}

const ranked = (...ranks: number[]): ShapeSpec => ({ ranks });
const nonScalar = ranked(...RANKS.filter((r) => r > 0));
const features: ShapeSpec = { ranks: [1, 2], fixedLast: true };
const batchOfRows: ShapeSpec = { ranks: [2], fixedLast: true, rows: true };
const anyRank: ShapeSpec = { ranks: RANKS };

interface Options {
  domain?: Domain;
  spec?: ShapeSpec;
  /** the result's shape from the operand's (the same by default: elementwise) */
  shape?: (x: Shape) => Shape;
}

/** A function of one operand (`#`), elementwise unless `shape` says otherwise. */
function unary(name: string, f: string, o: Options = {}): Row {
  return {
    name,
    make: (b) => {
      const x = b.value(o.spec, o.domain);
      return { expr: f.replaceAll("#", x.text), shape: o.shape ? o.shape(x.shape) : x.shape };
    },
  };
}

/** A binary operator, elementwise with broadcasting; the right operand in `domain`. */
function binary(name: string, f: (x: string, y: string) => string, o: Options = {}): Row {
  return {
    name,
    make: (b) => {
      const x = b.value();
      const y = b.like(x, o.domain);
      const shape = broadcast(x.shape, y.shape)!;
      return { expr: f(x.text, y.text), shape: o.shape ? o.shape(shape) : shape };
    },
  };
}

/** An operand's axes, some of them negative. */
function axisOf(b: Builder, x: Operand): number {
  const axis = b.draw.int(0, x.shape.length - 1);
  return b.draw.chance(0.3) ? axis - x.shape.length : axis;
}

const without = (shape: Shape, axes: number[]) =>
  shape.filter((_, i) => !axes.some((a) => (a + shape.length) % shape.length === i));
const perExample = (shape: Shape) => shape.slice(0, -1);

/** sum, mean or max over every axis, one axis, or a list of axes. */
function reductions(f: string): Row[] {
  const over = (name: string, count: number): Row => ({
    name,
    make: (b) => {
      const x = b.value(nonScalar);
      const axes = Array.from({ length: count }, () => axisOf(b, x));
      const list = count === 1 ? String(axes[0]) : `[${axes.join(", ")}]`;
      return { expr: `${f}(${x.text}, axis: ${list})`, shape: without(x.shape, axes) };
    },
  });
  return [
    unary(f, `${f}(#)`, { shape: () => [] }),
    over(`${f} over an axis`, 1),
    over(`${f} over axes`, 2),
  ];
}

/** softmax or log_softmax along the default axis or a chosen one. */
function normalizers(f: string): Row[] {
  return [
    unary(f, `${f}(#)`, { spec: nonScalar }),
    {
      name: `${f} on an axis`,
      make: (b) => {
        const x = b.value(nonScalar);
        return { expr: `${f}(${x.text}, axis: ${axisOf(b, x)})`, shape: x.shape };
      },
    },
  ];
}

/**
 * A loss of a prediction (`#`, in `domain`) against a target (`%`) whose data is `labels`; one
 * value per example (the last axis reduced) unless `shape` says otherwise.
 */
function loss(name: string, f: string, labels: TargetDomain, o: Options = {}): Row {
  const spec = o.spec ?? (o.domain === "distribution" ? nonScalar : undefined);
  return {
    name,
    make: (b) => {
      const p = b.value(spec, o.domain);
      const y = b.target(p.shape, labels);
      const shape = (o.shape ?? perExample)(p.shape);
      return { expr: f.replaceAll("#", p.text).replaceAll("%", y.text), shape };
    },
  };
}

/** `a @ b` in the three forms of the language: [m, k] @ [k, n], [k] @ [k, n], [m, k] @ [k]. */
const matmul: Row = {
  name: "@",
  make: (b) => {
    const x = b.value(features);
    const k = x.shape[x.shape.length - 1] as number;
    const vector = x.shape.length === 2 && b.draw.chance(0.3);
    const n = b.draw.pick([1, 2, 3, 5]);
    const y = b.exact(vector ? [k] : [k, n]);
    const shape: Dim[] = [...x.shape.slice(0, -1), ...(vector ? [] : [n])];
    return { expr: `${x.text} @ ${y.text}`, shape };
  },
};

/**
 * A pipe into layers or user blocks (`UNITS` a random number of units) on an operand of `spec`:
 * the result has UNITS features, or the operand's shape where `keeps`. `blocks` are the block
 * definitions the pipe calls.
 */
function pipe(
  name: string,
  calls: string,
  spec: ShapeSpec,
  o: { keeps?: boolean; once?: boolean; blocks?: Record<string, string> } = {},
): Row {
  return {
    name,
    ...(o.once ? { once: true } : {}),
    make: (b) => {
      for (const [n, text] of Object.entries(o.blocks ?? {})) b.block(n, text);
      const x = b.value(spec);
      const units = b.draw.int(1, 3);
      const shape = o.keeps ? x.shape : [...x.shape.slice(0, -1), units];
      return { expr: `${x.text} |> ${calls.replaceAll("UNITS", String(units))}`, shape };
    },
  };
}

const block = (...lines: string[]) => lines.join("\n  ").replace(/\n  }$/, "\n}");
const gate = block(
  "block gate(x) {",
  "param s: scalar = 0.5",
  "h = sigmoid(x * s)",
  "return x * h + h",
  "}",
);
const blocks = {
  gate: { gate },
  affine: {
    affine: block(
      "block affine(x, n) {",
      "param W: [dim(x, -1), n] = normal(std: 0.5)",
      "param b: [n] = zeros",
      "return x @ W + b",
      "}",
    ),
  },
  twice: { gate, twice: block("block twice(x) {", "a = x |> gate", "return a |> gate", "}") },
  mlp: {
    mlp: block(
      "block mlp(x, units) {",
      "a = x |> dense(units) |> tanh",
      "return a |> dense(units)",
      "}",
    ),
  },
};

const positive: Options = { domain: "positive" };
const elementwise = (x: Shape) => x;

export const rows: readonly Row[] = [
  // elementwise functions (SPEC section 2), in the domain each needs
  unary("exp", "exp(#)"),
  unary("log", "log(#)", positive),
  unary("sqrt", "sqrt(#)", positive),
  unary("abs", "abs(#)"),
  unary("tanh", "tanh(#)"),
  unary("sigmoid", "sigmoid(#)"),
  unary("relu", "relu(#)"),
  unary("leaky_relu", "leaky_relu(#)"),
  unary("leaky_relu with alpha", "leaky_relu(#, alpha: 0.2)"),
  unary("elu", "elu(#)"),
  unary("elu with alpha", "elu(#, alpha: 0.5)"),
  unary("softplus", "softplus(#)"),
  unary("step", "step(#)"),
  unary("negation", "-#"),
  unary("square", "# ^ 2"),
  unary("cube", "# ^ 3"),
  unary("square root as a power", "# ^ 0.5", positive),
  unary("reciprocal", "1 / #", positive),
  unary("power of two", "2 ^ #"),
  unary("affine with constants", "2 * # - 1"),
  // binary operators, with broadcasting
  binary("+", (x, y) => `${x} + ${y}`),
  binary("-", (x, y) => `${x} - ${y}`),
  binary("*", (x, y) => `${x} * ${y}`),
  binary("/", (x, y) => `${x} / ${y}`, positive),
  binary("^", (x, y) => `${y} ^ ${x}`, positive),
  matmul,
  // reductions and shapes
  ...reductions("sum"),
  ...reductions("mean"),
  ...reductions("max"),
  unary("transpose", "transpose(#)", { shape: (x) => [...x].reverse() }),
  unary("divided by a dim", "# / dim(#, 0)", { spec: nonScalar }),
  ...normalizers("softmax"),
  ...normalizers("log_softmax"),
  // per-example losses against targets, and l2
  loss("mse", "mse(#, %)", "real"),
  loss("bce", "bce(#, %)", "bits", { domain: "probability" }),
  loss("bce of soft labels", "bce(#, %)", "unit", { domain: "probability" }),
  loss("cross_entropy", "cross_entropy(#, %)", "onehot", { domain: "distribution" }),
  loss("quadratic", "quadratic(#, %)", "real"),
  loss("hinge", "hinge(#, %)", "signs"),
  loss("squared_hinge", "squared_hinge(#, %)", "signs"),
  binary("l2", (x, y) => `l2(${x}, ${y})`, { shape: () => [] }),
  // what the compiler fuses, spelled out with primitives
  unary("sigmoid spelled out", "1 / (1 + exp(-#))"),
  unary("log of sigmoid", "log(sigmoid(#))"),
  unary("log of one minus sigmoid", "log(1 - sigmoid(#))"),
  unary("logsumexp", "log(sum(exp(#), axis: -1))", { spec: nonScalar, shape: perExample }),
  loss("bce on logits", "bce(sigmoid(#), %)", "bits"),
  loss("softmax cross_entropy", "cross_entropy(softmax(#), %)", "onehot", { spec: nonScalar }),
  loss("cross_entropy spelled out", "-sum(% * log(softmax(#)), axis: -1)", "onehot", {
    spec: nonScalar,
  }),
  loss("bce spelled out", "-(% * log(#) + (1 - %) * log(1 - #))", "bits", {
    domain: "probability",
    shape: elementwise,
  }),
  unary(
    "batchnorm spelled out",
    "(# - mean(#, axis: 0)) / sqrt(mean((# - mean(#, axis: 0)) ^ 2, axis: 0) + 1e-5)",
    { spec: batchOfRows },
  ),
  // a forward value reused by its own gradient, and shared subexpressions
  unary("exp plus its argument", "exp(#) + #"),
  unary("a value times itself", "# * #"),
  unary("sqrt reused", "sqrt(#) * # + sqrt(#)", positive),
  unary("sigmoid reused", "sigmoid(#) * (1 - sigmoid(#))"),
  unary("tanh reused", "tanh(#) * tanh(#) + #"),
  unary("exp of exp", "exp(exp(#) * 0.5) + exp(#)"),
  // layers
  pipe("dense", "dense(UNITS)", features),
  pipe("dense then relu", "dense(UNITS) |> relu", features),
  pipe("dense then batchnorm then sigmoid", "dense(UNITS) |> batchnorm |> sigmoid", batchOfRows),
  pipe("two denses", "dense(UNITS) |> tanh |> dense(UNITS)", features),
  pipe("batchnorm", "batchnorm", batchOfRows, { keeps: true }),
  pipe("dropout", "dropout(0.5)", anyRank, { keeps: true, once: true }),
  // user blocks
  pipe("block gate", "gate", anyRank, { keeps: true, blocks: blocks.gate }),
  pipe("block affine", "affine(UNITS)", features, { blocks: blocks.affine }),
  pipe("block gate twice", "twice", anyRank, { keeps: true, blocks: blocks.twice }),
  pipe("block mlp", "mlp(UNITS)", features, { blocks: blocks.mlp }),
];

/** What reduces a dangling value to a term of the loss. */
export const heads: readonly { name: string; f: string }[] = [
  { name: "sum", f: "sum(#)" },
  { name: "mean", f: "mean(#)" },
  { name: "max", f: "max(#)" },
  { name: "sum of squares", f: "sum(# * #)" },
  { name: "half the mean", f: "0.5 * mean(#)" },
];
