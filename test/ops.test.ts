// The op table: every op of the registry, its shape rule, its emitted expression against a plain
// reference written here, and its gradient against central finite differences in f64.
import { describe, expect, it } from "vitest";
import * as ops from "../src/ops/index.ts";
import { registry, type OpDef } from "../src/ops/index.ts";
import type { Node, Shape } from "../src/ir/node.ts";
import type { OpName } from "../src/ops/names.ts";
import { make } from "../src/ops/op.ts";
import { checkGradient, modelOf, randomArray, relError, rng, size } from "./helpers.ts";
import { emitModule, loadModule } from "../src/codegen/index.ts";
import { gradients } from "../src/autodiff/grad.ts";
import { interpret } from "../src/ir/interpret.ts";
import { compile } from "../src/index.ts";

const { param: P } = ops;

type Build = (xs: Node[]) => Node;
interface Row {
  op: OpName;
  scenario: string;
  shapes: Shape[];
  build: Build;
  out: Shape;
  /** inputs are drawn from [lo, hi] */
  domain?: [number, number];
  /** no gradient check (internal derivative ops) */
  noGrad?: boolean;
  /** inputs that hold integers (indices, classes), by position: the bound of their values */
  ints?: Record<number, number>;
}

/** A row's inputs: int inputs where the row says, else `make(name, shape)`. */
function inputsOf(row: Row, tag: string, make: (name: string, shape: Shape) => Node): Node[] {
  return row.shapes.map((shape, i) =>
    row.ints?.[i] !== undefined
      ? ops.input(`${tag}${i}`, shape, "input", true)
      : make(`${tag}${i}`, shape),
  );
}

/** Seeded values for input i of a row: integers below its bound, else numbers in the domain. */
function valuesOf(row: Row, i: number, shape: Shape, rand: () => number): Float64Array {
  const bound = row.ints?.[i];
  if (bound !== undefined)
    return Float64Array.from({ length: size(shape) }, () => Math.floor(rand() * bound));
  const [lo, hi] = row.domain ?? [-2, 2];
  return randomArray(size(shape), rand, lo, hi);
}

const un =
  (f: (x: Node) => Node): Build =>
  ([x]) =>
    f(x!);
const bin =
  (f: (a: Node, b: Node) => Node): Build =>
  ([a, b]) =>
    f(a!, b!);

const rows: Row[] = [
  {
    op: "add",
    scenario: "same shape",
    shapes: [
      [2, 3],
      [2, 3],
    ],
    build: bin(ops.add),
    out: [2, 3],
  },
  {
    op: "add",
    scenario: "bias row broadcast",
    shapes: [[4, 3], [3]],
    build: bin(ops.add),
    out: [4, 3],
  },
  {
    op: "sub",
    scenario: "column broadcast",
    shapes: [
      [3, 1],
      [3, 4],
    ],
    build: bin(ops.sub),
    out: [3, 4],
  },
  {
    op: "mul",
    scenario: "scalar times matrix",
    shapes: [[], [2, 3]],
    build: bin(ops.mul),
    out: [2, 3],
  },
  {
    op: "div",
    scenario: "outer broadcast",
    shapes: [
      [3, 1],
      [1, 2],
    ],
    build: bin(ops.div),
    out: [3, 2],
    domain: [0.5, 2],
  },
  { op: "neg", scenario: "vector", shapes: [[5]], build: un(ops.neg), out: [5] },
  {
    op: "pow",
    scenario: "constant exponent",
    shapes: [[4]],
    build: ([x]) => ops.pow(x!, ops.c(3)),
    out: [4],
  },
  {
    op: "pow",
    scenario: "tensor exponent",
    shapes: [[3], [3]],
    build: bin(ops.pow),
    out: [3],
    domain: [0.5, 2],
  },
  { op: "exp", scenario: "matrix", shapes: [[2, 2]], build: un(ops.exp), out: [2, 2] },
  {
    op: "log",
    scenario: "positive",
    shapes: [[4]],
    build: un(ops.log),
    out: [4],
    domain: [0.2, 3],
  },
  {
    op: "sqrt",
    scenario: "positive",
    shapes: [[4]],
    build: un(ops.sqrt),
    out: [4],
    domain: [0.2, 3],
  },
  { op: "abs", scenario: "signed", shapes: [[6]], build: un(ops.abs), out: [6] },
  { op: "tanh", scenario: "vector", shapes: [[5]], build: un(ops.tanh), out: [5], domain: [-3, 3] },
  {
    op: "softplus",
    scenario: "wide range",
    shapes: [[5]],
    build: un(ops.softplus),
    out: [5],
    domain: [-30, 30],
  },
  {
    op: "sigmoid",
    scenario: "vector",
    shapes: [[5]],
    build: un(ops.sigmoid),
    out: [5],
    domain: [-4, 4],
  },
  { op: "relu", scenario: "signed", shapes: [[6]], build: un(ops.relu), out: [6] },
  {
    op: "leaky_relu",
    scenario: "alpha 0.1",
    shapes: [[6]],
    build: un((x) => ops.leakyRelu(x, 0.1)),
    out: [6],
  },
  { op: "elu", scenario: "alpha 1", shapes: [[6]], build: un((x) => ops.elu(x, 1)), out: [6] },
  { op: "step", scenario: "signed", shapes: [[6]], build: un(ops.step), out: [6], noGrad: true },
  { op: "gt0", scenario: "mask", shapes: [[4]], build: un(ops.gt0), out: [4], noGrad: true },
  { op: "sign", scenario: "mask", shapes: [[4]], build: un(ops.sign), out: [4], noGrad: true },
  {
    op: "leaky_deriv",
    scenario: "mask",
    shapes: [[4]],
    build: un((x) => ops.leakyDeriv(x, 0.2)),
    out: [4],
    noGrad: true,
  },
  {
    op: "elu_deriv",
    scenario: "mask",
    shapes: [[4]],
    build: un((x) => ops.eluDeriv(x, 1)),
    out: [4],
    noGrad: true,
  },
  { op: "eq", scenario: "mask", shapes: [[4], [4]], build: bin(ops.eq), out: [4], noGrad: true },
  {
    op: "bce",
    scenario: "probabilities",
    shapes: [
      [4, 1],
      [4, 1],
    ],
    build: bin(ops.bce),
    out: [4, 1],
    domain: [0.1, 0.9],
  },
  {
    op: "xent",
    scenario: "probabilities",
    shapes: [
      [2, 3],
      [2, 3],
    ],
    build: bin(ops.xent),
    out: [2, 3],
    domain: [0.1, 0.9],
  },
  { op: "sum", scenario: "all axes", shapes: [[2, 3]], build: un((x) => ops.sum(x)), out: [] },
  { op: "sum", scenario: "axis 0", shapes: [[2, 3]], build: un((x) => ops.sum(x, [0])), out: [3] },
  {
    op: "sum",
    scenario: "axis 1 kept",
    shapes: [[2, 3]],
    build: un((x) => ops.sum(x, [1], true)),
    out: [2, 1],
  },
  {
    op: "sum",
    scenario: "middle axis of 3-D",
    shapes: [[2, 3, 2]],
    build: un((x) => ops.sum(x, [1])),
    out: [2, 2],
  },
  { op: "mean", scenario: "all axes", shapes: [[3, 2]], build: un((x) => ops.mean(x)), out: [] },
  {
    op: "mean",
    scenario: "axis 0",
    shapes: [[3, 2]],
    build: un((x) => ops.mean(x, [0])),
    out: [2],
  },
  {
    op: "mean",
    scenario: "axis 1",
    shapes: [[3, 2]],
    build: un((x) => ops.mean(x, [1])),
    out: [3],
  },
  { op: "max", scenario: "axis 1", shapes: [[3, 4]], build: un((x) => ops.max(x, [1])), out: [3] },
  { op: "max", scenario: "axis 0", shapes: [[3, 4]], build: un((x) => ops.max(x, [0])), out: [4] },
  { op: "max", scenario: "all axes", shapes: [[3, 4]], build: un((x) => ops.max(x)), out: [] },
  {
    op: "expand",
    scenario: "row to matrix",
    shapes: [[3]],
    build: un((x) => ops.expand(x, [2, 3])),
    out: [2, 3],
  },
  {
    op: "reshape",
    scenario: "matrix to vector",
    shapes: [[2, 3]],
    build: un((x) => ops.reshape(x, [6])),
    out: [6],
  },
  {
    op: "transpose",
    scenario: "matrix",
    shapes: [[2, 3]],
    build: un((x) => ops.transpose(x)),
    out: [3, 2],
  },
  {
    op: "transpose",
    scenario: "3-D permutation",
    shapes: [[2, 3, 4]],
    build: un((x) => ops.transpose(x, [1, 2, 0])),
    out: [3, 4, 2],
  },
  {
    op: "matmul",
    scenario: "plain",
    shapes: [
      [2, 3],
      [3, 4],
    ],
    build: bin((a, b) => ops.matmul(a, b)),
    out: [2, 4],
  },
  {
    op: "matmul",
    scenario: "left transposed",
    shapes: [
      [3, 2],
      [3, 4],
    ],
    build: bin((a, b) => ops.matmul(a, b, true)),
    out: [2, 4],
  },
  {
    op: "matmul",
    scenario: "right transposed",
    shapes: [
      [2, 3],
      [4, 3],
    ],
    build: bin((a, b) => ops.matmul(a, b, false, true)),
    out: [2, 4],
  },
  {
    op: "matmul",
    scenario: "both transposed",
    shapes: [
      [3, 2],
      [4, 3],
    ],
    build: bin((a, b) => ops.matmul(a, b, true, true)),
    out: [2, 4],
  },
  {
    op: "matmul",
    scenario: "a batch of matrices times one matrix (rows of every position)",
    shapes: [
      [2, 3, 4],
      [4, 5],
    ],
    build: bin((a, b) => ops.matmul(a, b)),
    out: [2, 3, 5],
  },
  {
    op: "matmul",
    scenario: "batched, both sides",
    shapes: [
      [2, 3, 4],
      [2, 4, 5],
    ],
    build: bin((a, b) => ops.matmul(a, b)),
    out: [2, 3, 5],
  },
  {
    op: "matmul",
    scenario: "batched, 4-D, right side transposed (attention's scores)",
    shapes: [
      [2, 2, 3, 4],
      [2, 2, 5, 4],
    ],
    build: bin((a, b) => ops.matmul(a, b, false, true)),
    out: [2, 2, 3, 5],
  },
  {
    op: "matmul",
    scenario: "batched, left side transposed",
    shapes: [
      [2, 4, 3],
      [2, 4, 5],
    ],
    build: bin((a, b) => ops.matmul(a, b, true)),
    out: [2, 3, 5],
  },
  {
    op: "matmul",
    scenario: "one matrix times a batch (the left side shared)",
    shapes: [
      [3, 4],
      [2, 4, 5],
    ],
    build: bin((a, b) => ops.matmul(a, b)),
    out: [2, 3, 5],
  },
  {
    op: "matmul",
    scenario: "folded: summed over the batch, left side transposed (a weight gradient)",
    shapes: [
      [2, 3, 4],
      [2, 3, 5],
    ],
    build: bin((a, b) => ops.foldedMatmul(a, b, true, false)),
    out: [4, 5],
  },
  {
    op: "matmul",
    scenario: "folded, right side transposed",
    shapes: [
      [2, 3, 4],
      [2, 5, 4],
    ],
    build: bin((a, b) => ops.foldedMatmul(a, b, false, true)),
    out: [3, 5],
  },
  {
    op: "softmax",
    scenario: "last axis",
    shapes: [[2, 4]],
    build: un((x) => ops.softmax(x)),
    out: [2, 4],
  },
  {
    op: "softmax",
    scenario: "axis 0",
    shapes: [[3, 2]],
    build: un((x) => ops.softmax(x, 0)),
    out: [3, 2],
  },
  {
    op: "log_softmax",
    scenario: "last axis",
    shapes: [[2, 4]],
    build: un((x) => ops.logSoftmax(x)),
    out: [2, 4],
  },
  {
    op: "log_softmax",
    scenario: "axis 0",
    shapes: [[3, 2]],
    build: un((x) => ops.logSoftmax(x, 0)),
    out: [3, 2],
  },
  {
    op: "bce_logits",
    scenario: "logits",
    shapes: [
      [4, 1],
      [4, 1],
    ],
    build: bin(ops.bceLogits),
    out: [4, 1],
    domain: [-3, 3],
  },
  {
    op: "bce_logits",
    scenario: "logits of +-100",
    shapes: [[6], [6]],
    build: bin(ops.bceLogits),
    out: [6],
    domain: [-100, 100],
  },
  {
    op: "softmax_xent",
    scenario: "last axis",
    shapes: [
      [3, 4],
      [3, 4],
    ],
    build: bin((z, y) => ops.softmaxXent(z, y)),
    out: [3],
  },
  {
    op: "softmax_xent",
    scenario: "axis 0",
    shapes: [
      [3, 2],
      [3, 2],
    ],
    build: bin((z, y) => ops.softmaxXent(z, y, 0)),
    out: [2],
  },
  {
    op: "batchnorm",
    scenario: "batch statistics",
    shapes: [[5, 3], [3], [3]],
    build: ([x, g, b]) => {
      const { mu, invstd } = ops.batchStats(x!, 1e-5);
      return ops.batchnorm(x!, mu, invstd, g!, b!, true);
    },
    out: [5, 3],
  },
  {
    op: "batchnorm",
    scenario: "given statistics",
    shapes: [[4, 3], [3], [3], [3], [3]],
    build: ([x, m, s, g, b]) => ops.batchnorm(x!, m!, s!, g!, b!, false),
    out: [4, 3],
    domain: [0.5, 2],
  },
  ...convRows(),
  ...poolRows(),
  {
    op: "reshape",
    scenario: "rows to images",
    shapes: [[2, 12]],
    build: un((x) => ops.reshape(x, [2, 3, 2, 2])),
    out: [2, 3, 2, 2],
  },
  {
    op: "transpose",
    scenario: "NCHW to NHWC",
    shapes: [[2, 3, 2, 4]],
    build: un((x) => ops.transpose(x, [0, 2, 3, 1])),
    out: [2, 2, 4, 3],
  },
  {
    op: "batchnorm",
    scenario: "per channel of images",
    shapes: [
      [3, 2, 2, 3],
      [2, 1, 1],
      [2, 1, 1],
    ],
    build: ([x, g, b]) => {
      const { mu, invstd } = ops.batchStats(x!, 1e-5);
      return ops.batchnorm(x!, mu, invstd, g!, b!, true);
    },
    out: [3, 2, 2, 3],
  },
  {
    op: "batchnorm_dx",
    scenario: "channels of images",
    shapes: [
      [2, 3, 2, 2],
      [2, 3, 2, 2],
      [1, 3, 1, 1],
      [1, 3, 1, 1],
      [3, 1, 1],
    ],
    build: ([g, x, m, s, gamma]) => make(ops.batchnormDxOp, [g!, x!, m!, s!, gamma!]),
    out: [2, 3, 2, 2],
    domain: [0.5, 2],
    noGrad: true,
  },
  {
    op: "gather",
    scenario: "rows of a table at a batch of sequences of indices",
    shapes: [
      [5, 3],
      [2, 4],
    ],
    ints: { 1: 5 },
    build: bin(ops.gather),
    out: [2, 4, 3],
  },
  {
    op: "scatter_add",
    scenario: "rows added back, repeated indices accumulating",
    shapes: [[6, 3], [6]],
    ints: { 1: 4 },
    build: bin((g, idx) => make(ops.scatterAddOp, [g, idx], { rows: 4 })),
    out: [4, 3],
    noGrad: true,
  },
  {
    op: "pick",
    scenario: "the class of each position",
    shapes: [
      [2, 3, 5],
      [2, 3],
    ],
    ints: { 1: 5 },
    build: bin(ops.pick),
    out: [2, 3],
    domain: [0.1, 1],
  },
  {
    op: "unpick",
    scenario: "the upstream gradient at each class",
    shapes: [
      [2, 3],
      [2, 3],
    ],
    ints: { 1: 5 },
    build: bin((g, y) => ops.unpick(g, y, 5)),
    out: [2, 3, 5],
    noGrad: true,
  },
  {
    op: "softmax_xent_int",
    scenario: "integer classes of a batch of sequences",
    shapes: [
      [2, 3, 5],
      [2, 3],
    ],
    ints: { 1: 5 },
    build: bin(ops.softmaxXentInt),
    out: [2, 3],
  },
  {
    op: "layernorm",
    scenario: "each row's statistics, gamma and beta per feature",
    shapes: [[2, 3, 4], [4], [4]],
    build: ([x, g, b]) => {
      const mu = ops.mean(x!, [2], true);
      const xc = ops.sub(x!, mu);
      const invstd = ops.invStd(ops.mean(ops.mul(xc, xc), [2], true), 1e-5);
      return ops.layernorm(x!, mu, invstd, g!, b!);
    },
    out: [2, 3, 4],
  },
  {
    op: "layernorm_dx",
    scenario: "rows",
    shapes: [[3, 4], [3, 4], [3, 1], [3, 1], [4]],
    build: ([g, x, m, s, gamma]) => make(ops.layernormDxOp, [g!, x!, m!, s!, gamma!]),
    out: [3, 4],
    domain: [0.5, 2],
    noGrad: true,
  },
  {
    op: "causal_mask",
    scenario: "heads of square scores, under a softmax (the masked weights are exactly 0)",
    shapes: [[2, 2, 4, 4]],
    build: un((x) => ops.softmax(ops.causalMask(x))),
    out: [2, 2, 4, 4],
  },
  {
    op: "causal_mask",
    scenario: "the gradient's form: zeros above the diagonal",
    shapes: [[3, 5]],
    build: un((x) => make(ops.causalMaskOp, [x], { fill: "zero" })),
    out: [3, 5],
  },
  {
    op: "batchnorm_dx",
    scenario: "columns",
    shapes: [[4, 3], [4, 3], [1, 3], [1, 3], [3]],
    build: ([g, x, m, s, gamma]) => make(ops.batchnormDxOp, [g!, x!, m!, s!, gamma!]),
    out: [4, 3],
    domain: [0.5, 2],
    noGrad: true,
  },
];

/** Rows whose kernels the wasm target does not have yet (the model then runs on the JS target). */
const wasmPending = new Set<OpName>([
  "gather",
  "scatter_add",
  "pick",
  "unpick",
  "softmax_xent_int",
  "layernorm",
  "layernorm_dx",
  "causal_mask",
]);

/** A convolution's window: stride, padding (top, left, bottom, right) and dilation. */
function win(
  stride: [number, number],
  pad: [number, number, number, number],
  dilation: [number, number] = [1, 1],
): ops.Window {
  return { stride, pad, dilation };
}

/** conv2d with every option, and its two gradient ops on the same geometries. */
function convRows(): Row[] {
  const cases: [string, Shape, Shape, ops.Window, number][] = [
    ["plain", [2, 3, 5, 5], [4, 3, 3, 3], win([1, 1], [0, 0, 0, 0]), 1],
    ["stride 2, padding 1", [2, 2, 6, 5], [3, 2, 3, 3], win([2, 2], [1, 1, 1, 1]), 1],
    ["asymmetric padding and stride", [1, 2, 5, 6], [2, 2, 2, 3], win([1, 2], [0, 1, 1, 2]), 1],
    ["dilation 2", [2, 1, 7, 6], [2, 1, 3, 2], win([1, 1], [1, 0, 1, 0], [2, 2]), 1],
    ["groups 2", [2, 4, 4, 4], [6, 2, 3, 3], win([1, 1], [1, 1, 1, 1]), 2],
    ["depthwise", [2, 3, 5, 4], [3, 1, 3, 3], win([2, 1], [1, 1, 1, 1]), 3],
    ["1x1 kernel", [3, 4, 3, 3], [2, 4, 1, 1], win([1, 1], [0, 0, 0, 0]), 1],
  ];
  return cases.flatMap(([scenario, x, w, window, groups]): Row[] => {
    const probe = ops.conv2d(P("probe_x", x), P("probe_w", w), window, groups);
    const y = probe.shape;
    const attrs = ops.convAttrs({ ...window, groups });
    return [
      {
        op: "conv2d",
        scenario,
        shapes: [x, w],
        build: bin((a, b) => ops.conv2d(a, b, window, groups)),
        out: y,
      },
      {
        op: "conv2d_dx",
        scenario,
        shapes: [y, w],
        build: bin((g, b) => make(ops.conv2dDxOp, [g, b], { ...attrs, image: [x[2]!, x[3]!] })),
        out: x,
        noGrad: true,
      },
      {
        op: "conv2d_dw",
        scenario,
        shapes: [x, y],
        build: bin((a, g) => make(ops.conv2dDwOp, [a, g], { ...attrs, kernel: [w[2]!, w[3]!] })),
        out: w,
        noGrad: true,
      },
    ];
  });
}

/** Both pools, with stride, overlap and padding; their gradient ops on the same windows. */
function poolRows(): Row[] {
  const cases: [string, Shape, [number, number], ops.Window][] = [
    ["2x2", [2, 3, 4, 6], [2, 2], win([2, 2], [0, 0, 0, 0])],
    ["3x3, stride 2, overlapping", [1, 2, 7, 5], [3, 3], win([2, 2], [0, 0, 0, 0])],
    ["padding 1", [2, 2, 5, 4], [3, 2], win([2, 1], [1, 1, 1, 1])],
  ];
  return cases.flatMap(([scenario, x, k, window]): Row[] =>
    (["max", "avg"] as const).flatMap((kind): Row[] => {
      const y = ops.pool2d(kind, P("probe_x", x), k, window).shape;
      const attrs = ops.poolAttrs(k, window);
      const dx: Row =
        kind === "max"
          ? {
              op: "max_pool2d_dx",
              scenario,
              shapes: [y, x],
              build: bin((g, a) => make(ops.maxPool2dDxOp, [g, a], attrs)),
              out: x,
              noGrad: true,
            }
          : {
              op: "avg_pool2d_dx",
              scenario,
              shapes: [y],
              build: un((g) => make(ops.avgPool2dDxOp, [g], { ...attrs, image: [x[2]!, x[3]!] })),
              out: x,
              noGrad: true,
            };
      return [
        {
          op: kind === "max" ? "max_pool2d" : "avg_pool2d",
          scenario,
          shapes: [x],
          build: un((a) => ops.pool2d(kind, a, k, window)),
          out: y,
        },
        dx,
      ];
    }),
  );
}

/** Plain references for the elementwise ops' emitted expressions, written independently. */
const scalarRef: Partial<Record<OpName, (a: number, b: number) => number>> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  neg: (a) => -a,
  pow: (a, b) => a ** b,
  exp: Math.exp,
  log: Math.log,
  sqrt: Math.sqrt,
  abs: Math.abs,
  tanh: Math.tanh,
  softplus: (a) => Math.log(1 + Math.exp(a)),
  sigmoid: (a) => 1 / (1 + Math.exp(-a)),
  relu: (a) => Math.max(a, 0),
  step: (a) => (a > 0 ? 1 : 0),
  gt0: (a) => (a > 0 ? 1 : 0),
  sign: Math.sign,
  eq: (a, b) => (a === b ? 1 : 0),
  bce: (p, y) => -(y * Math.log(p) + (1 - y) * Math.log(1 - p)),
  xent: (p, y) => -y * Math.log(p),
  bce_dp: (p, y) => (p - y) / (p * (1 - p)),
  bce_dy: (p) => Math.log(1 - p) - Math.log(p),
  xent_dp: (p, y) => -y / p,
  xent_dy: (p) => -Math.log(p),
  leaky_relu: (a) => (a > 0 ? a : 0.1 * a),
  // GPT-2's gelu and its derivative, written out here from the formula
  gelu: (a) => 0.5 * a * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (a + 0.044715 * a ** 3))),
  gelu_deriv: (a) => {
    const k = Math.sqrt(2 / Math.PI);
    const t = Math.tanh(k * (a + 0.044715 * a ** 3));
    return 0.5 * (1 + t) + 0.5 * a * (1 - t * t) * k * (1 + 3 * 0.044715 * a * a);
  },
  elu: (a) => (a > 0 ? a : Math.exp(a) - 1),
  leaky_deriv: (a) => (a > 0 ? 1 : 0.1),
  elu_deriv: (a) => (a > 0 ? 1 : Math.exp(a)),
  bce_logits: (z, y) => {
    const p = 1 / (1 + Math.exp(-z));
    return -(y * Math.log(p) + (1 - y) * Math.log(1 - p));
  },
};
const refAttrs: Partial<Record<OpName, Record<string, number>>> = {
  leaky_relu: { alpha: 0.1 },
  leaky_deriv: { alpha: 0.1 },
  elu: { alpha: 1 },
  elu_deriv: { alpha: 1 },
};

/**
 * A row's op over inputs e0, e1, ... as a model to emit: its output `out` and, where the op has a
 * gradient, the loss sum(out * r) (a random linear functional) and the inputs' gradients.
 */
function emittable(row: Row) {
  const xs = inputsOf(row, "e", (name, shape) => ops.input(name, shape));
  const out = row.build(xs);
  const r = ops.input("r", out.shape);
  const loss = registry[row.op].grad !== undefined ? ops.sum(ops.mul(out, r)) : null;
  const model = modelOf({ inputs: [...xs, r], outputs: { out }, loss });
  // (integers have no gradient)
  const floats = xs.filter((x) => !ops.isInt(x));
  const grads = loss
    ? [...gradients(loss, floats).values()].map((node, i) => ({
        name: floats[i]!.attrs["name"] as string,
        kind: "input" as const,
        node,
      }))
    : [];
  return { xs, out, model, grads };
}

function leaves(row: Row, tag: string): Node[] {
  return inputsOf(row, tag, (name, shape) => P(name, shape));
}

describe("op registry", () => {
  it("every op has a row in the table or is a leaf", () => {
    const tested = new Set(rows.map((r) => r.op));
    const untested = (Object.keys(registry) as OpName[]).filter(
      (name) => registry[name].kind !== "leaf" && !tested.has(name) && !(name in scalarRef),
    );
    expect(untested).toEqual([]);
  });
});

describe.each(rows)("$op ($scenario)", (row) => {
  it("has the expected output shape", () => {
    expect(row.build(leaves(row, "s")).shape).toEqual(row.out);
  });

  it("emits code that computes what the reference interpreter computes, forward and backward", () => {
    const rand = rng(4242 + row.scenario.length);
    const { xs, out, model, grads } = emittable(row);
    const m = loadModule(emitModule(model, { dtype: "f64", bind: {}, grads }).js).createModel();
    const feed: Record<string, Float64Array | number> = {};
    const values = new Map<string, Float64Array | number>();
    [...row.shapes, out.shape].forEach((shape, i) => {
      const name = i < xs.length ? `e${i}` : "r";
      const data = valuesOf(row, i, shape, rand);
      feed[name] = shape.length === 0 ? data[0]! : data;
      values.set(name, data);
    });
    const ref = interpret([out, ...grads.map((g) => g.node)], { values, dims: {} });
    const got = m.forward(feed).out as Float64Array | number;
    expect(relError(typeof got === "number" ? [got] : got, ref.get(out)!.data)).toBeLessThan(1e-12);
    if (grads.length > 0) {
      const g = m.grad(feed).grads as Record<string, Float64Array>;
      for (const t of grads)
        expect(relError(g[t.name]!, ref.get(t.node)!.data), t.name).toBeLessThan(1e-12);
    }
  });

  it.skipIf(wasmPending.has(row.op))(
    "computes on the wasm target what it computes on the JS target, in f32",
    () => {
      const rand = rng(977 + row.scenario.length);
      const { xs, out, model, grads } = emittable(row);
      const on = (target: "js" | "wasm") => {
        const emitted = emitModule(model, { dtype: "f32", bind: {}, grads, target });
        expect(emitted.target, emitted.note).toBe(target);
        return loadModule(emitted.js).createModel();
      };
      const [js, wasm] = [on("js"), on("wasm")];
      const feed: Record<string, Float32Array | number> = {};
      [...row.shapes, out.shape].forEach((shape, i) => {
        const data = Float32Array.from(valuesOf(row, i, shape, rand));
        feed[i < xs.length ? `e${i}` : "r"] = shape.length === 0 ? data[0]! : data;
      });
      const flat = (v: unknown) => (typeof v === "number" ? [v] : (v as Float32Array));
      expect(relError(flat(wasm.forward(feed).out), flat(js.forward(feed).out))).toBeLessThan(1e-5);
      if (grads.length > 0) {
        const [gw, gj] = [wasm.grad(feed).grads, js.grad(feed).grads];
        for (const t of grads)
          expect(relError(flat(gw[t.name]), flat(gj[t.name])), t.name).toBeLessThan(1e-5);
      }
    },
  );

  it.skipIf(row.noGrad)("has a gradient that matches central differences at several points", () => {
    for (const seed of [1, 2, 3]) {
      const rand = rng(seed * 7919 + row.op.length);
      const xs = leaves(row, `g${seed}_`);
      const out = row.build(xs);
      // a random linear functional makes every output element matter
      const r = P(`r${seed}`, out.shape);
      const loss = ops.sum(ops.mul(out, r));
      const values = new Map<string, Float64Array>();
      xs.forEach((_, i) => values.set(`g${seed}_${i}`, valuesOf(row, i, row.shapes[i]!, rand)));
      values.set(`r${seed}`, randomArray(size(out.shape), rand));
      const floats = xs.filter((x) => !ops.isInt(x));
      for (const { name, symbolic, numeric } of checkGradient(loss, floats, values)) {
        expect(relError(symbolic, numeric), `${name} at seed ${seed}`).toBeLessThan(1e-6);
      }
    }
  });
});

describe("elementwise emission", () => {
  const points = [-1.7, -0.3, 0.4, 0.9, 2.2];
  it.each(Object.keys(scalarRef) as OpName[])(
    "%s emits the same value as the plain reference",
    (name) => {
      const def: OpDef = registry[name];
      const attrs = refAttrs[name] ?? {};
      const expr = def.emit!(["a", "b"], attrs);
      const f = new Function("a", "b", `return ${expr};`) as (a: number, b: number) => number;
      const ref = scalarRef[name]!;
      // probabilities for the losses, positive numbers where the function needs them
      const domain = /^(bce|xent)/.test(name)
        ? (a: number) => Math.abs(a) / 3
        : /^(log|sqrt|pow)$/.test(name)
          ? Math.abs
          : (a: number) => a;
      for (const a of points.map(domain))
        for (const b of [0.25, 0.6]) expect(f(a, b)).toBeCloseTo(ref(a, b), 12);
    },
  );
});

/**
 * Built-ins written as composites of primitives: their gradients come from the primitives', so
 * each row checks the whole compiled function (shape, emitted forward, generated gradient) against
 * a plain reference written here, differentiated by central differences in f64.
 */
interface CompositeRow {
  fn: string;
  scenario: string;
  /** the arguments' shapes, fed as inputs e0, e1, ... */
  shapes: Shape[];
  /** the call, over e0, e1, ... */
  call: string;
  out: number[];
  /** the reference: every output element, row-major */
  ref: (xs: number[][]) => number[];
  /** draws of each argument's elements (default uniform in [-2, 2]) */
  draw?: ((rand: () => number) => number)[];
}

const rowsOf = (x: number[], w: number) =>
  Array.from({ length: x.length / w }, (_, r) => x.slice(r * w, (r + 1) * w));
const perRow =
  (w: number, f: (a: number[], b: number[]) => number) =>
  ([a, b]: number[][]) =>
    rowsOf(a!, w).map((ra, r) => f(ra, rowsOf(b!, w)[r]!));
const meanOf = (xs: number[]) => xs.reduce((s, v) => s + v, 0) / xs.length;
const hingeOf = (s: number, y: number) => Math.max(0, 1 - y * s);
const sign = (rand: () => number) => (rand() < 0.5 ? -1 : 1);
const uniform = (rand: () => number) => 4 * rand() - 2;

const composites: CompositeRow[] = [
  {
    fn: "mse",
    scenario: "the mean over the last axis of (p - y)^2",
    shapes: [
      [3, 2],
      [3, 2],
    ],
    call: "mse(e0, e1)",
    out: [3],
    ref: perRow(2, (p, y) => meanOf(p.map((v, j) => (v - y[j]!) ** 2))),
  },
  {
    fn: "quadratic",
    scenario: "Nielsen's 1/2 |y - a|^2 per row",
    shapes: [
      [3, 4],
      [3, 4],
    ],
    call: "quadratic(e0, e1)",
    out: [3],
    ref: perRow(4, (a, y) => 0.5 * a.reduce((s, v, j) => s + (y[j]! - v) ** 2, 0)),
  },
  {
    fn: "hinge",
    scenario: "one score per example, labels -1/+1",
    shapes: [
      [5, 1],
      [5, 1],
    ],
    call: "hinge(e0, e1)",
    out: [5],
    ref: perRow(1, (s, y) => hingeOf(s[0]!, y[0]!)),
    draw: [uniform, sign],
  },
  {
    fn: "hinge",
    scenario: "several outputs: the mean over the last axis",
    shapes: [
      [2, 3],
      [2, 3],
    ],
    call: "hinge(e0, e1)",
    out: [2],
    ref: perRow(3, (s, y) => meanOf(s.map((v, j) => hingeOf(v, y[j]!)))),
    draw: [uniform, sign],
  },
  {
    fn: "squared_hinge",
    scenario: "one score per example",
    shapes: [
      [5, 1],
      [5, 1],
    ],
    call: "squared_hinge(e0, e1)",
    out: [5],
    ref: perRow(1, (s, y) => hingeOf(s[0]!, y[0]!) ** 2),
    draw: [uniform, sign],
  },
  {
    fn: "l2",
    scenario: "a matrix, a vector and a scalar",
    shapes: [[2, 3], [3], []],
    call: "l2(e0, e1, e2)",
    out: [],
    ref: (xs) => [xs.flat().reduce((s, v) => s + v * v, 0)],
  },
  {
    fn: "l2",
    scenario: "one argument, an expression",
    shapes: [[4]],
    call: "l2(2 * e0)",
    out: [],
    ref: ([a]) => [a!.reduce((s, v) => s + 4 * v * v, 0)],
  },
];

describe.each(composites)("$fn ($scenario)", (row) => {
  const dims = (s: Shape) => (s.length === 0 ? "scalar" : `[${s.join(", ")}]`);
  const source = [
    "model t {",
    ...row.shapes.map((s, i) => `  input e${i}: ${dims(s)}`),
    `  input r: ${dims(row.out)}`,
    `  o = ${row.call}`,
    "  output o",
    "  loss = sum(o * r)",
    "}",
  ].join("\n");
  const compiled = compile(source, { file: "t.nn", dtype: "f64", wrt: "all" });
  const rand = rng(97 + row.scenario.length);
  const xs = row.shapes.map((s, i) =>
    Array.from({ length: size(s) }, () => (row.draw?.[i] ?? uniform)(rand)),
  );
  const r = Array.from({ length: size(row.out) }, () => uniform(rand));
  const feedOf = (values: number[][]) => {
    const feed: Record<string, number | Float64Array> = { r: Float64Array.from(r) };
    values.forEach(
      (v, i) => (feed[`e${i}`] = row.shapes[i]!.length === 0 ? v[0]! : Float64Array.from(v)),
    );
    if (row.out.length === 0) feed["r"] = r[0]!;
    return feed;
  };
  const m = compiled.load().createModel();

  it("has the expected output shape", () => {
    const meta = compiled.load().meta as { outputs: { shape: number[] }[] };
    expect(meta.outputs[0]!.shape).toEqual(row.out);
  });

  it("emits code that computes the reference", () => {
    const got = m.forward(feedOf(xs)).o as Float64Array | number;
    expect(relError(typeof got === "number" ? [got] : got, row.ref(xs))).toBeLessThan(1e-12);
  });

  it("has a gradient that matches central differences of the reference", () => {
    const lossOf = (values: number[][]) => row.ref(values).reduce((s, v, i) => s + v * r[i]!, 0);
    const grads = m.grad(feedOf(xs)).grads as Record<string, Float64Array>;
    const h = 1e-6;
    xs.forEach((x, i) => {
      const numeric = x.map((keep, j) => {
        x[j] = keep + h;
        const up = lossOf(xs);
        x[j] = keep - h;
        const down = lossOf(xs);
        x[j] = keep;
        return (up - down) / (2 * h);
      });
      expect(relError(grads[`e${i}`]!, numeric), `e${i}`).toBeLessThan(1e-7);
    });
  });
});

// A maximum that a window holds more than once is not differentiable; nnc sends the whole
// gradient to the first of them in row-major order (the top row first, then left to right), as
// PyTorch's CPU kernel does (test/torch-cnn.test.ts compares the two on networks full of ties).
describe("max_pool2d's ties", () => {
  const source = [
    "model t {",
    "  input x: [1, 1, 2, 6]",
    "  input r: [1, 1, 1, 3]",
    "  y = max_pool2d(x, 2)",
    "  output y",
    "  loss = sum(y * r)",
    "}",
  ].join("\n");
  // windows [1 3; 3 2], [5 5; 5 5] and [0 -1; 4 4]: their maxima 3 (twice), 5 (four times), 4
  const x = [1, 3, 5, 5, 0, -1, 3, 2, 5, 5, 4, 4];
  const r = [10, 20, 30];
  // the first maximum of each window: (0, 1), (0, 2) and (1, 4)
  const expected = [0, 10, 20, 0, 0, 0, 0, 0, 0, 0, 30, 0];
  it.each([
    ["js", "f64", true],
    ["js", "f64", false],
    ["js", "f32", true],
    ["wasm", "f32", true],
    ["wasm", "f32", false],
  ] as const)("go to the first maximum of a window: %s %s (fused: %s)", (target, dtype, fuse) => {
    const c = compile(source, { file: "t.nn", target, dtype, fuse, wrt: ["x"] });
    expect(c.target, c.targetNote).toBe(target);
    const cast = (v: number[]) => (dtype === "f32" ? Float32Array.from(v) : Float64Array.from(v));
    const m = c.load().createModel();
    const { loss, grads } = m.grad({ x: cast(x), r: cast(r) });
    expect(loss).toBe(3 * 10 + 5 * 20 + 4 * 30);
    expect(Array.from(grads["x"] as ArrayLike<number>)).toEqual(expected);
  });
});
