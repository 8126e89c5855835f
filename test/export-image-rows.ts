// The export-ops rows of the image ops and of the products and batchnorm of any rank: every option
// of a convolution (stride, asymmetric padding, dilation, groups, depthwise) and of the pools
// (overlapping windows, padding, ties), each forward op with the ops of its gradient. Values lie on
// a grid (multiples of `grid`), so that max pool's windows hold ties and a float32 convolution sums
// exactly.
import type { Node } from "../src/ir/node.ts";
import type { OpName } from "../src/ops/names.ts";
import * as ops from "../src/ops/index.ts";
import { convAttrs, convGeometry, type Window } from "../src/ops/conv.ts";
import { poolAttrs, poolGeometry } from "../src/ops/pool.ts";
import { make } from "../src/ops/op.ts";

export type Range = [number, number];
export interface Row {
  op: OpName;
  /** what sets the row apart from the op's other rows */
  label?: string;
  /** input shapes, and each input's value range */
  inputs: [number[], Range][];
  build: (xs: Node[]) => Node;
  /** values rounded to multiples of this */
  grid?: number;
  /** inputs that hold integers (indices, classes), by position: the bound of their values */
  ints?: Record<number, number>;
}

const any: Range = [-2, 2];

const window = (
  stride: [number, number],
  pad: [number, number, number, number],
  dilation: [number, number] = [1, 1],
): Window => ({ stride, pad, dilation });

/** conv2d of x by W, and its input and weight gradients with an upstream gradient of y's shape. */
function convRows(label: string, x: number[], w: number[], win: Window, groups = 1): Row[] {
  const geo = convGeometry(x, w, { ...win, groups });
  const attrs = convAttrs({ ...win, groups });
  const y = [x[0]!, geo.O, geo.OH, geo.OW];
  const at = (shape: number[]): [number[], Range] => [shape, any];
  const rows: Row[] = [
    {
      op: "conv2d",
      label,
      inputs: [at(x), at(w)],
      build: ([a, b]) => ops.conv2d(a!, b!, win, groups),
    },
    {
      op: "conv2d_dx",
      label,
      inputs: [at(y), at(w)],
      build: ([g, b]) => make(ops.conv2dDxOp, [g!, b!], { ...attrs, image: [geo.H, geo.W] }),
    },
    {
      op: "conv2d_dw",
      label,
      inputs: [at(x), at(y)],
      build: ([a, g]) => make(ops.conv2dDwOp, [a!, g!], { ...attrs, kernel: [geo.kh, geo.kw] }),
    },
  ];
  return rows.map((r) => ({ ...r, grid: 0.25 }));
}

/** A pool of x and its gradient; max pool's values are few (-2 to 2), so windows hold ties. */
function poolRows(
  kind: "max" | "avg",
  label: string,
  x: number[],
  k: [number, number],
  win: Window,
) {
  const geo = poolGeometry(`${kind}_pool2d`, x, poolAttrs(k, win));
  const y = [x[0]!, x[1]!, geo.OH, geo.OW];
  const attrs = poolAttrs(k, win);
  const grid = kind === "max" ? 1 : 0.25;
  const forward: Row = {
    op: `${kind}_pool2d`,
    label,
    inputs: [[x, any]],
    build: ([a]) => ops.pool2d(kind, a!, k, win),
    grid,
  };
  const backward: Row =
    kind === "max"
      ? {
          op: "max_pool2d_dx",
          label,
          inputs: [
            [y, any],
            [x, any],
          ],
          build: ([g, a]) => make(ops.maxPool2dDxOp, [g!, a!], attrs),
          grid,
        }
      : {
          op: "avg_pool2d_dx",
          label,
          inputs: [[y, any]],
          build: ([g]) => make(ops.avgPool2dDxOp, [g!], { ...attrs, image: [x[2]!, x[3]!] }),
          grid,
        };
  return [forward, backward];
}

/** Each pool's cases: the image, the window and how it moves. */
const poolCases: [string, number[], [number, number], Window][] = [
  ["2x2, stride 2", [2, 3, 4, 6], [2, 2], window([2, 2], [0, 0, 0, 0])],
  ["3x3, stride 1, padding 1", [2, 2, 5, 5], [3, 3], window([1, 1], [1, 1, 1, 1])],
  ["3x3, stride 2, padding [1,0,0,1]", [2, 2, 6, 7], [3, 3], window([2, 2], [1, 0, 0, 1])],
  ["2x3, stride [1,2], padding [1,1,0,1]", [1, 2, 5, 6], [2, 3], window([1, 2], [1, 1, 0, 1])],
  ["3x2, dilation 2, stride 1", [1, 2, 7, 6], [3, 2], window([1, 1], [1, 0, 1, 1], [2, 2])],
];

const pools = (kind: "max" | "avg") => poolCases.flatMap((c) => poolRows(kind, ...c));

export const imageRows: Row[] = [
  ...convRows("plain", [2, 3, 5, 5], [4, 3, 3, 3], window([1, 1], [0, 0, 0, 0])),
  ...convRows("stride 2, padding 1", [2, 2, 7, 6], [3, 2, 3, 3], window([2, 2], [1, 1, 1, 1])),
  ...convRows("padding [0,1,1,2], 2x4", [2, 2, 5, 6], [3, 2, 2, 4], window([1, 1], [0, 1, 1, 2])),
  ...convRows(
    "dilation [2,1], stride [1,2]",
    [2, 2, 7, 7],
    [2, 2, 3, 2],
    window([1, 2], [0, 0, 0, 0], [2, 1]),
  ),
  ...convRows("groups 2", [2, 4, 5, 5], [6, 2, 3, 3], window([1, 1], [1, 1, 1, 1]), 2),
  ...convRows("depthwise", [2, 3, 5, 5], [6, 1, 3, 3], window([2, 1], [1, 1, 1, 1]), 3),
  ...convRows(
    "all: stride [2,3], padding [1,0,2,1], dilation [2,1], groups 2",
    [2, 4, 9, 8],
    [4, 2, 3, 3],
    window([2, 3], [1, 0, 2, 1], [2, 1]),
    2,
  ),
  ...pools("max"),
  ...pools("avg"),
  // ties in max pool: values in {0, 1}, most windows hold several maxima
  ...poolRows(
    "max",
    "3x3, stride 1, values 0 and 1",
    [2, 2, 5, 5],
    [3, 3],
    window([1, 1], [0, 0, 0, 0]),
  ).map((r) => ({ ...r, inputs: r.inputs.map(([s]) => [s, [0, 1]] as [number[], Range]) })),
];

export const rankRows: Row[] = [
  {
    op: "matmul",
    label: "batched, broadcast",
    inputs: [
      [[2, 3, 4], any],
      [[4, 5], any],
    ],
    build: ([a, b]) => ops.matmul(a!, b!),
  },
  {
    op: "matmul",
    label: "batched, both transposed",
    inputs: [
      [[2, 1, 4, 3], any],
      [[3, 5, 4], any],
    ],
    build: ([a, b]) => ops.matmul(a!, b!, true, true),
  },
  {
    op: "matmul",
    label: "folded over one axis, ta",
    inputs: [
      [[2, 3, 4], any],
      [[2, 3, 5], any],
    ],
    build: ([a, b]) => ops.foldedMatmul(a!, b!, true, false),
  },
  {
    op: "matmul",
    label: "folded over two axes, tb",
    inputs: [
      [[2, 2, 3, 4], any],
      [[2, 2, 5, 4], any],
    ],
    build: ([a, b]) => ops.foldedMatmul(a!, b!, false, true),
  },
  {
    op: "transpose",
    label: "[0, 3, 1, 2]",
    inputs: [[[2, 3, 4, 5], any]],
    build: ([x]) => ops.transpose(x!, [0, 3, 1, 2]),
  },
  {
    op: "reshape",
    label: "images to rows",
    inputs: [[[2, 3, 2, 2], any]],
    build: ([x]) => ops.reshape(x!, [2, 12]),
  },
  {
    op: "batchnorm",
    label: "images",
    inputs: [
      [[2, 3, 2, 2], any],
      [[1, 3, 1, 1], any],
      [
        [1, 3, 1, 1],
        [0.2, 2],
      ],
      [[3, 1, 1], any],
      [[3, 1, 1], any],
    ],
    build: ([x, mu, s, g, b]) => ops.batchnorm(x!, mu!, s!, g!, b!, false),
  },
  {
    op: "batchnorm_dx",
    label: "images",
    inputs: [
      [[2, 3, 2, 2], any],
      [[2, 3, 2, 2], any],
      [[1, 3, 1, 1], any],
      [
        [1, 3, 1, 1],
        [0.2, 2],
      ],
      [[3, 1, 1], any],
    ],
    build: (xs) => make(ops.batchnormDxOp, xs),
  },
];
