// The export-ops rows of the sequence models' ops: the table read at int indices (gather) and its
// scatter-add gradient (repeated rows), the class of each position (pick, unpick, the fused
// softmax cross-entropy of integer classes), layernorm from its rows' statistics and its closed-form
// backward, gelu and its derivative, the causal mask under a softmax (the masked weights exactly
// 0) and in its gradient's form, and attention's batched product. An input listed in `ints` holds
// integers below its bound.
import * as ops from "../src/ops/index.ts";
import { make } from "../src/ops/op.ts";
import type { Range, Row } from "./export-image-rows.ts";

const any: Range = [-2, 2];
const positive: Range = [0.5, 2];
const probability: Range = [0.05, 0.95];
/** An int input's range is unused: its values are drawn below its bound. */
const index = (shape: number[]): [number[], Range] => [shape, [0, 0]];

export const sequenceRows: Row[] = [
  {
    op: "gather",
    label: "rows of a table at a batch of sequences",
    inputs: [[[5, 3], any], index([2, 4])],
    ints: { 1: 5 },
    build: ([w, idx]) => ops.gather(w!, idx!),
  },
  {
    op: "scatter_add",
    label: "6 rows into 4, so that some repeat",
    inputs: [[[2, 3, 3], any], index([2, 3])],
    ints: { 1: 4 },
    build: ([g, idx]) => make(ops.scatterAddOp, [g!, idx!], { rows: 4 }),
  },
  {
    op: "pick",
    inputs: [[[2, 3, 5], probability], index([2, 3])],
    ints: { 1: 5 },
    build: ([p, y]) => ops.pick(p!, y!),
  },
  {
    op: "unpick",
    inputs: [[[2, 3], any], index([2, 3])],
    ints: { 1: 5 },
    build: ([g, y]) => ops.unpick(g!, y!, 5),
  },
  {
    op: "softmax_xent_int",
    inputs: [[[2, 3, 5], any], index([2, 3])],
    ints: { 1: 5 },
    build: ([z, y]) => ops.softmaxXentInt(z!, y!),
  },
  {
    op: "layernorm",
    label: "each row's statistics, gamma and beta per feature",
    inputs: [
      [[2, 3, 4], any],
      [[4], any],
      [[4], any],
    ],
    build: ([x, gamma, beta]) => {
      const mu = ops.mean(x!, [2], true);
      const xc = ops.sub(x!, mu);
      const invstd = ops.invStd(ops.mean(ops.mul(xc, xc), [2], true), 1e-5);
      return ops.layernorm(x!, mu, invstd, gamma!, beta!);
    },
  },
  {
    op: "layernorm_dx",
    inputs: [
      [[3, 4], any],
      [[3, 4], any],
      [[3, 1], any],
      [[3, 1], positive],
      [[4], any],
    ],
    build: (xs) => make(ops.layernormDxOp, xs),
  },
  {
    op: "gelu",
    inputs: [
      [
        [3, 4],
        [-4, 4],
      ],
    ],
    build: ([x]) => ops.gelu(x!),
  },
  {
    op: "gelu_deriv",
    inputs: [
      [
        [3, 4],
        [-4, 4],
      ],
    ],
    build: ([x]) => ops.geluDeriv(x!),
  },
  {
    op: "causal_mask",
    label: "heads of scores under a softmax",
    inputs: [[[2, 2, 4, 4], any]],
    build: ([s]) => ops.softmax(ops.causalMask(s!)),
  },
  {
    op: "causal_mask",
    label: "the gradient's form, zeros above the diagonal",
    inputs: [[[3, 5], any]],
    build: ([s]) => make(ops.causalMaskOp, [s!], { fill: "zero" }),
  },
  {
    op: "matmul",
    label: "attention's batched product over heads",
    inputs: [
      [[2, 2, 4, 3], any],
      [[2, 2, 4, 3], any],
    ],
    build: ([q, k]) => ops.matmul(q!, k!, false, true),
  },
];
