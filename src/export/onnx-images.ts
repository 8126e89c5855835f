// The image ops as ONNX: conv2d as Conv, its input gradient as ConvTranspose (output_padding where
// the stride leaves a remainder) and its weight gradient as a Conv of the input with the upstream
// gradient (batch and channels swapped), max_pool2d as MaxPool and its gradient as a scatter-add of
// dy at MaxPool's indices (each window's first maximum, as nnc's), avg_pool2d as AveragePool with
// count_include_pad=0. ONNX Runtime has no double kernel for Conv, ConvTranspose or AveragePool:
// a double graph writes those ops with Gather and MatMul (onnx-windows.ts), as it does avg pool's
// gradient, which ONNX has no op for, in either type.
import type { Node } from "../ir/node.ts";
import type { OpName } from "../ops/names.ts";
import { geometryOf, type ConvGeometry, type Window } from "../ops/conv.ts";
import { poolGeometryOf } from "../ops/pool.ts";
import type { OnnxGraph } from "./onnx-graph.ts";
import type { OnnxLowering } from "./onnx-ops.ts";
import { floatTensor, type AttrValue } from "./onnx-proto.ts";
import {
  gatheredAvgPool,
  gatheredAvgPoolDx,
  gatheredConv,
  gatheredConvDw,
  gatheredConvDx,
} from "./onnx-windows.ts";

/** The ops of src/ops/conv.ts and src/ops/pool.ts. */
export type ImageOp = Extract<OpName, `conv2d${string}` | `${string}_pool2d${string}`>;

/** Whether ONNX Runtime runs Conv, ConvTranspose and AveragePool in the graph's type. */
const hasKernels = (g: OnnxGraph) => g.type === "f32";

const ints = (xs: readonly number[]) => ({ ints: [...xs] });

/** Conv's and the pools' attributes for a window of `kernel` taps. */
function windowAttrs(w: Window, kernel: [number, number]): Record<string, AttrValue> {
  return {
    kernel_shape: ints(kernel),
    strides: ints(w.stride),
    pads: ints(w.pad),
    dilations: ints(w.dilation),
  };
}

function convAttrs(w: ConvGeometry): Record<string, AttrValue> {
  return { ...windowAttrs(w, [w.kh, w.kw]), group: { int: w.groups } };
}

/**
 * The rows that ConvTranspose's output leaves out at the end: the image rows below the last
 * window's reach, H - (s (OH - 1) + d (k - 1) + 1 - pads), fewer than the stride.
 */
function outputPadding(w: ConvGeometry): number[] {
  const extent = (axis: 0 | 1, n: number, out: number, k: number) =>
    n -
    (w.stride[axis] * (out - 1) + w.dilation[axis] * (k - 1) + 1) +
    w.pad[axis] +
    w.pad[axis + 2]!;
  return [extent(0, w.H, w.OH, w.kh), extent(1, w.W, w.OW, w.kw)];
}

/**
 * dW[o, c, p, q] = sum_{n, i, j} dy[n, o, i, j] x[n, c, i s + p d - pad, j s + q d - pad]: a Conv
 * whose batch is the input's channels, whose channels are the batch (per group), whose kernel is
 * dy and whose stride and dilation trade places; its output, cut to the kernel's size, transposed.
 */
function convDw(g: OnnxGraph, w: ConvGeometry, x: string, dy: string, hint: string): string {
  const Cg = w.C / w.groups;
  // [Cg, G N, H, W]: channel c of group k at batch n becomes channel k N + n of batch c
  const xs =
    w.groups === 1
      ? g.op("Transpose", [x], { perm: ints([1, 0, 2, 3]) })
      : g.op("Reshape", [
          g.op("Transpose", [g.op("Reshape", [x, g.ints([0, w.groups, Cg, w.H, w.W])])], {
            perm: ints([2, 1, 0, 3, 4]),
          }),
          g.ints([Cg, -1, w.H, w.W]),
        ]);
  const kernel = g.op("Transpose", [dy], { perm: ints([1, 0, 2, 3]) });
  const attrs = { strides: ints(w.dilation), dilations: ints(w.stride), pads: ints(w.pad) };
  const full = g.op("Conv", [xs, kernel], { ...attrs, group: { int: w.groups } }, "dw_full");
  const cut = g.op("Slice", [full, g.ints([0, 0]), g.ints([w.kh, w.kw]), g.ints([2, 3])]);
  return g.op("Transpose", [cut], { perm: ints([1, 0, 2, 3]) }, hint);
}

/** dy scattered (added) to the first maximum of each window, which MaxPool's indices give. */
function maxPoolDx(g: OnnxGraph, n: Node, dy: string, x: string, hint: string): string {
  const w = poolGeometryOf(n);
  const attrs = windowAttrs(w, [w.kh, w.kw]);
  const [, indices] = g.outputsOf("MaxPool", [x], attrs, "argmax", 2);
  const zero = floatTensor("zero", [1], [0], g.type);
  const zeros = g.op("ConstantOfShape", [g.shapeOf(n.shape)], { value: zero }, "zeros");
  const flat = (v: string) => g.op("Reshape", [v, g.ints([-1])]);
  const sums = g.op("ScatterElements", [flat(zeros), flat(indices!), flat(dy)], {
    reduction: { str: "add" },
  });
  return g.op("Reshape", [sums, g.shapeOf(n.shape)], {}, hint);
}

export const imageOps: Record<ImageOp, OnnxLowering> = {
  conv2d: (g, n, [x, k], hint) =>
    hasKernels(g)
      ? g.op("Conv", [x!, k!], convAttrs(geometryOf(n)), hint)
      : gatheredConv(g, geometryOf(n), x!, k!, hint),
  conv2d_dx: (g, n, [dy, k], hint) => {
    const w = geometryOf(n);
    if (!hasKernels(g)) return gatheredConvDx(g, w, dy!, k!, hint);
    const attrs = { ...convAttrs(w), output_padding: ints(outputPadding(w)) };
    return g.op("ConvTranspose", [dy!, k!], attrs, hint);
  },
  conv2d_dw: (g, n, [x, dy], hint) =>
    (hasKernels(g) ? convDw : gatheredConvDw)(g, geometryOf(n), x!, dy!, hint),
  max_pool2d: (g, n, [x], hint) => {
    const w = poolGeometryOf(n);
    return g.op("MaxPool", [x!], windowAttrs(w, [w.kh, w.kw]), hint);
  },
  max_pool2d_dx: (g, n, [dy, x], hint) => maxPoolDx(g, n, dy!, x!, hint),
  avg_pool2d: (g, n, [x], hint) => {
    const w = poolGeometryOf(n);
    // opset 17's AveragePool has no dilations
    if (!hasKernels(g) || w.dilation.some((d) => d !== 1))
      return gatheredAvgPool(g, w, w.C, x!, hint);
    const { dilations: _, ...attrs } = windowAttrs(w, [w.kh, w.kw]);
    return g.op("AveragePool", [x!], { ...attrs, count_include_pad: { int: 0 } }, hint);
  },
  avg_pool2d_dx: (g, n, [dy], hint) => {
    const w = poolGeometryOf(n);
    return gatheredAvgPoolDx(g, w, w.C, dy!, hint);
  },
};
