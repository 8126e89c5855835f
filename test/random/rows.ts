// The generator's table: one row per function, operator, reduction, loss, layer and block of the
// language, each with the shapes and the domain its operands need. A sample's statements choose
// their rows by a stable hash of the row's name (draw.ts), so adding a row is one line here and
// leaves the other samples as they were. A row asks the builder for operands and writes the
// statement's expression; `#` is the operand in the one-operand helpers.
import type { Builder, Operand, TargetDomain } from "./builder.ts";
import type { Domain } from "./domains.ts";
import {
  ALL_RANKS,
  BATCH,
  broadcast,
  RANKS,
  type Dim,
  type Shape,
  type ShapeSpec,
} from "./shapes.ts";

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

const above = (least: number) => ALL_RANKS.filter((r) => r >= least);
const nonScalar: ShapeSpec = { ranks: RANKS.filter((r) => r > 0), pool: above(1) };
const features: ShapeSpec = { ranks: [1, 2], pool: above(1), fixedLast: true };
const batchOfRows: ShapeSpec = { ranks: [2], fixedLast: true, rows: true };
const anyRank: ShapeSpec = { ranks: RANKS, pool: ALL_RANKS };
/** NCHW images: a batch of at least two, or `batch`, for batchnorm's statistics */
const images: ShapeSpec = { ranks: [4], rows: true };
/** [batch, T, features] sequences */
const sequences: ShapeSpec = { ranks: [3], fixedLast: true };

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
 * the result has UNITS features (UNITS channels of an image where `channels`), or the operand's
 * shape where `keeps`. `blocks` are the block
 * definitions the pipe calls.
 */
function pipe(
  name: string,
  calls: string,
  spec: ShapeSpec,
  o: { keeps?: boolean; once?: boolean; blocks?: Record<string, string>; channels?: boolean } = {},
): Row {
  return {
    name,
    ...(o.once ? { once: true } : {}),
    make: (b) => {
      for (const [n, text] of Object.entries(o.blocks ?? {})) b.block(n, text);
      const x = b.value(spec);
      const units = b.draw.int(1, 3);
      // UNITS features, or channels of an image (NCHW)
      const shape = o.keeps
        ? x.shape
        : o.channels
          ? [x.shape[0]!, units, ...x.shape.slice(2)]
          : [...x.shape.slice(0, -1), units];
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

const size = (d: Dim) => (typeof d === "number" ? d : 0);

/**
 * `reshape` to a rank of 3 or 4 (ones inserted) or, from rank 3 or 4, the last two axes merged;
 * one size sometimes written -1.
 */
const reshape: Row = {
  name: "reshape",
  make: (b) => {
    const x = b.value(nonScalar);
    const d = b.draw;
    const shape: Dim[] = [...x.shape];
    if (shape.length >= 3) {
      const [h, w] = shape.splice(-2) as [number, number];
      shape.push(h * w);
    } else {
      const rank = d.pick([3, 4]);
      while (shape.length < rank)
        shape.splice(d.int(shape[0] === BATCH ? 1 : 0, shape.length), 0, 1);
    }
    const numbered = shape.flatMap((dim, i) => (typeof dim === "number" ? [i] : []));
    const free = numbered.length > 0 && d.chance(0.3) ? d.pick(numbered) : -1;
    const dims = shape.map((dim, i) => (i === free ? -1 : dim));
    return { expr: `reshape(${x.text}, [${dims.join(", ")}])`, shape };
  },
};

/** A window's output size: floor((n + 2 padding - dilation (k - 1) - 1) / stride) + 1. */
const windows = (n: number, k: number, stride: number, padding: number) =>
  Math.floor((n + 2 * padding - k) / stride) + 1;

/** A kernel size, stride and padding that fit an image of h by w. */
function geometry(b: Builder, h: number, w: number) {
  const d = b.draw;
  const padding = d.pick([0, 0, 1]);
  const k = Math.min(d.pick([1, 2, 3]), h + 2 * padding, w + 2 * padding);
  const stride = d.pick([1, 1, 2]);
  const out = (n: number) => windows(n, k, stride, padding);
  return { k, stride, padding, shape: [out(h), out(w)] };
}

/** The options of a convolution or a pool, its defaults left out. */
const options = (g: { stride: number; padding: number }, strideDefault: number) =>
  [
    ...(g.stride !== strideDefault ? [`stride: ${g.stride}`] : []),
    ...(g.padding !== 0 ? [`padding: ${g.padding}`] : []),
  ]
    .map((o) => `, ${o}`)
    .join("");

/** conv2d as a layer (its own W and b) or as the primitive over a tensor W (and a bias, sometimes). */
function conv(layer: boolean): Row {
  return {
    name: layer ? "conv2d layer" : "conv2d primitive",
    make: (b) => {
      const x = b.value(images);
      const [n, c, h, w] = x.shape as [Dim, number, number, number];
      const d = b.draw;
      const same = layer && d.chance(0.25);
      const g = same ? { k: 3, stride: 1, padding: 1, shape: [h, w] } : geometry(b, h, w);
      const out = d.int(1, 3);
      const shape = [n, out, ...g.shape];
      if (layer) {
        const pad = same ? `, padding: "same"` : options(g, 1);
        return { expr: `${x.text} |> conv2d(${out}, kernel: ${g.k}${pad})`, shape };
      }
      const W = b.exact([out, c, g.k, g.k]);
      const bias = d.chance(0.5) ? `, ${b.exact([out]).text}` : "";
      return { expr: `conv2d(${x.text}, ${W.text}${bias}${options(g, 1)})`, shape };
    },
  };
}

/** max_pool2d or avg_pool2d over windows that fit the image. */
function pool(f: string): Row {
  return {
    name: f,
    make: (b) => {
      const x = b.value(images);
      const [n, c, h, w] = x.shape as [Dim, number, number, number];
      const k = Math.min(b.draw.pick([1, 2, 2, 3]), h, w);
      const stride = b.draw.pick([k, k, 1]);
      const shape = [n, c, windows(h, k, stride, 0), windows(w, k, stride, 0)];
      return { expr: `${x.text} |> ${f}(${k}${options({ stride, padding: 0 }, k)})`, shape };
    },
  };
}

/**
 * layernorm written with primitives: the language's mean drops the axis it reduces, so the
 * statistics are reshaped back to a size of 1 there.
 */
const layernormSpelled: Row = {
  name: "layernorm spelled out",
  make: (b) => {
    const x = b.value({ ranks: [2, 3], pool: above(2), fixedLast: true });
    const kept = `[${[...x.shape.slice(0, -1), 1].join(", ")}]`;
    const mean = (v: string) => `reshape(mean(${v}, axis: -1), ${kept})`;
    const mu = mean(x.text);
    const expr = `(${x.text} - ${mu}) / sqrt(${mean(`(${x.text} - ${mu}) ^ 2`)} + 1e-5)`;
    return { expr, shape: x.shape };
  },
};

/** `@` of batches of matrices: [n, m, k] @ [n or 1, k, p], or @ [k, p]. */
const batchedMatmul: Row = {
  name: "@ of batches",
  make: (b) => {
    const x = b.value(sequences);
    const [n, m, k] = x.shape as [Dim, Dim, number];
    const d = b.draw;
    const p = d.pick([1, 2, 3]);
    const lead: Dim[] = d.pick([[n], [1], []]);
    const y = b.exact([...lead, k, p]);
    return { expr: `${x.text} @ ${y.text}`, shape: [n, m, p] };
  },
};

/** Attention's scores, masked and normalized: softmax(causal_mask(x @ x^T)). */
const attention: Row = {
  name: "causal attention scores",
  make: (b) => {
    const x = b.value(sequences);
    const [n, t] = x.shape as [Dim, number];
    const mask = "softmax(causal_mask(# @ transpose(#, [0, 2, 1])))";
    return { expr: mask.replaceAll("#", x.text), shape: [n, t, t] };
  },
};

/** A table indexed by an int input: gather from a tensor, or the embedding layer. */
function lookup(layer: boolean): Row {
  return {
    name: layer ? "embedding" : "gather",
    make: (b) => {
      const d = b.draw;
      const [vocab, width] = [d.pick([2, 3, 5, 9]), d.pick([1, 2, 3, 4])];
      const shape: Dim[] = d.pick([[BATCH], [BATCH, d.pick([2, 3])], [d.pick([2, 4])]]);
      const idx = b.indices(shape, vocab);
      if (layer)
        return {
          expr: `${idx.text} |> embedding(${vocab}, ${width})`,
          shape: [...idx.shape, width],
        };
      const table = b.exact([vocab, width]);
      return { expr: `gather(${table.text}, ${idx.text})`, shape: [...idx.shape, width] };
    },
  };
}

/** cross_entropy of a distribution along the last axis against integer classes. */
const classes: Row = {
  name: "cross_entropy of integer classes",
  make: (b) => {
    const p = b.value({ ranks: [2], pool: above(2), fixedLast: true }, "distribution");
    const rest = p.shape.slice(0, -1);
    const y = b.target(rest, `classes ${size(p.shape[p.shape.length - 1]!)}`);
    return { expr: `cross_entropy(${p.text}, ${y.text})`, shape: rest };
  },
};

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
  // shapes of any rank, images and sequences
  reshape,
  unary("flatten", "flatten(#)", {
    spec: { ranks: [3, 4] },
    shape: (x) => [x[0]!, x.slice(1).reduce<number>((a, d) => a * size(d), 1)],
  }),
  conv(true),
  conv(false),
  pool("max_pool2d"),
  pool("avg_pool2d"),
  unary("global_avg_pool", "global_avg_pool(#)", { spec: images, shape: (x) => x.slice(0, 2) }),
  pipe("batchnorm on images", "batchnorm", images, { keeps: true }),
  pipe("conv2d then batchnorm then relu", "conv2d(UNITS, kernel: 1) |> batchnorm |> relu", images, {
    channels: true,
  }),
  batchedMatmul,
  pipe(
    "layernorm",
    "layernorm",
    { ranks: [1, 2, 3], pool: above(1), fixedLast: true },
    { keeps: true },
  ),
  layernormSpelled,
  unary("gelu", "gelu(#)"),
  pipe("dense then gelu", "dense(UNITS) |> gelu", features),
  attention,
  lookup(false),
  lookup(true),
  classes,
];

/** What reduces a dangling value to a term of the loss. */
export const heads: readonly { name: string; f: string }[] = [
  { name: "sum", f: "sum(#)" },
  { name: "mean", f: "mean(#)" },
  { name: "max", f: "max(#)" },
  { name: "sum of squares", f: "sum(# * #)" },
  { name: "half the mean", f: "0.5 * mean(#)" },
];
