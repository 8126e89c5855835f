// 2-D pooling over NCHW images and the ops of its gradient:
//   max_pool2d: the largest element of each window (padding counts as -infinity);
//     its gradient routes each window's upstream gradient to the window's maximum, the first one
//     in row-major order where several are equal (as PyTorch's CPU kernel), summed where windows
//     overlap: max_pool2d_backward(d_y, x).
//   avg_pool2d: the mean of each window's elements inside the image (padding is not counted, as
//     PyTorch's count_include_pad=False, TensorFlow and ONNX's default); its gradient spreads
//     d_y / count evenly over the window: avg_pool2d_backward(d_y).
import type { Attrs, Node } from "../ir/node.ts";
import { defineOp, make, ShapeError, sizeOf, type Tensor } from "./op.ts";
import { PREC, type Notation } from "./notation.ts";
import { requireImages, windowArgs, windowOf, windowOut, type Window } from "./conv.ts";

export type PoolKind = "max" | "avg";

/** Everything a pool's loops need. */
export interface PoolGeometry extends Window {
  C: number;
  H: number;
  W: number;
  kh: number;
  kw: number;
  OH: number;
  OW: number;
}

export function poolGeometry(op: string, x: readonly (number | string)[], attrs: Attrs) {
  const [, C, H, W] = requireImages(op, x);
  const [kh, kw] = attrs["kernel"] as [number, number];
  const win = windowOf(attrs);
  // (as PyTorch: every window then holds at least one element of the image)
  if (Math.max(win.pad[0], win.pad[2]) * 2 > kh || Math.max(win.pad[1], win.pad[3]) * 2 > kw)
    throw new ShapeError(
      `${op}: padding ${JSON.stringify(win.pad)} is more than half the window (${kh}x${kw})`,
      "NN3010",
    );
  const [OH, OW] = windowOut(op, H, W, kh, kw, win);
  return { ...win, C, H, W, kh, kw, OH, OW };
}

/**
 * Visits each output element of a pool with the input offsets of its window's cells inside the
 * image (row-major): f(yIndex, xIndices).
 */
function eachWindow(g: PoolGeometry, N: number, f: (yi: number, cells: number[]) => void) {
  const cells: number[] = [];
  for (let n = 0; n < N; n++)
    for (let c = 0; c < g.C; c++) {
      const plane = (n * g.C + c) * g.H * g.W;
      for (let i = 0; i < g.OH; i++)
        for (let j = 0; j < g.OW; j++) {
          cells.length = 0;
          for (let p = 0; p < g.kh; p++) {
            const r = i * g.stride[0] + p * g.dilation[0] - g.pad[0];
            if (r < 0 || r >= g.H) continue;
            for (let q = 0; q < g.kw; q++) {
              const s = j * g.stride[1] + q * g.dilation[1] - g.pad[1];
              if (s >= 0 && s < g.W) cells.push(plane + r * g.W + s);
            }
          }
          f(((n * g.C + c) * g.OH + i) * g.OW + j, cells);
        }
    }
}

/** The first maximum among `cells` of `x` (NaN wins, as in PyTorch), or -1 for none. */
export function argmax(x: Float64Array, cells: number[]): number {
  let best = -1;
  let m = -Infinity;
  for (const k of cells) {
    const v = x[k]!;
    if (best < 0 || v > m || Number.isNaN(v)) {
      best = k;
      m = v;
      if (Number.isNaN(v)) break;
    }
  }
  return best;
}

function poolNotation(name: string): Notation {
  return (args, attrs) => ({
    text: `${name}(${[...args.map((a) => a.text), ...windowArgs(attrs, attrs["kernel"] as [number, number])].join(", ")})`,
    prec: PREC.primary,
  });
}

/** `2x2`, `3x3, stride: 2`: the window and its other settings. */
function poolSummary(node: Node): string {
  const [kh, kw] = node.attrs["kernel"] as [number, number];
  return [`${kh}x${kw}`, ...windowArgs(node.attrs, [kh, kw]).slice(1)].join(", ");
}

/** The geometry of a pool node, a gradient's included. */
export function poolGeometryOf(node: Node): PoolGeometry {
  const forward = node.op === "max_pool2d" || node.op === "avg_pool2d";
  const x = forward || node.op === "max_pool2d_dx" ? node.inputs[forward ? 0 : 1]! : null;
  const shape = x
    ? x.shape
    : [node.inputs[0]!.shape[0]!, node.inputs[0]!.shape[1]!, ...(node.attrs["image"] as number[])];
  return poolGeometry(node.op, shape, node.attrs);
}

const batchOf = (t: Tensor) => t.shape[0]!;

export const maxPool2dOp = defineOp({
  name: "max_pool2d",
  kind: "special",
  arity: 1,
  summary: poolSummary,
  notation: poolNotation("max_pool2d"),
  shape: ([x], attrs) => {
    const g = poolGeometry("max_pool2d", x!, attrs);
    return [x![0]!, g.C, g.OH, g.OW];
  },
  evaluate: ([x], _a, outShape, _env, node) => {
    const out = new Float64Array(sizeOf(outShape));
    eachWindow(poolGeometryOf(node), batchOf(x!), (yi, cells) => {
      const k = argmax(x!.data, cells);
      out[yi] = k < 0 ? -Infinity : x!.data[k]!;
    });
    return out;
  },
  grad: (g, out) => [make(maxPool2dDxOp, [g, out.inputs[0]!], out.attrs)],
});

export const maxPool2dDxOp = defineOp({
  name: "max_pool2d_dx",
  kind: "special",
  arity: 2,
  summary: poolSummary,
  notation: poolNotation("max_pool2d_backward"),
  gradNote:
    "max pool's gradient goes to the maximum of each window (the first one where several are equal)",
  shape: ([, x]) => x!,
  evaluate: ([dy, x], _a, outShape, _env, node) => {
    const out = new Float64Array(sizeOf(outShape));
    eachWindow(poolGeometryOf(node), batchOf(x!), (yi, cells) => {
      const k = argmax(x!.data, cells);
      if (k >= 0) out[k] = out[k]! + dy!.data[yi]!;
    });
    return out;
  },
});

export const avgPool2dOp = defineOp({
  name: "avg_pool2d",
  kind: "special",
  arity: 1,
  summary: poolSummary,
  notation: poolNotation("avg_pool2d"),
  shape: ([x], attrs) => {
    const g = poolGeometry("avg_pool2d", x!, attrs);
    return [x![0]!, g.C, g.OH, g.OW];
  },
  evaluate: ([x], _a, outShape, _env, node) => {
    const out = new Float64Array(sizeOf(outShape));
    eachWindow(poolGeometryOf(node), batchOf(x!), (yi, cells) => {
      let s = 0;
      for (const k of cells) s += x!.data[k]!;
      out[yi] = s / cells.length;
    });
    return out;
  },
  grad: (g, out) => {
    const x = out.inputs[0]!;
    return [make(avgPool2dDxOp, [g], { ...out.attrs, image: [x.shape[2]!, x.shape[3]!] })];
  },
});

export const avgPool2dDxOp = defineOp({
  name: "avg_pool2d_dx",
  kind: "special",
  arity: 1,
  summary: poolSummary,
  notation: poolNotation("avg_pool2d_backward"),
  gradNote: "avg pool's gradient spreads each window's gradient evenly over the window",
  shape: ([g], attrs) => [g![0]!, g![1]!, ...(attrs["image"] as number[])],
  evaluate: ([dy], _a, outShape, _env, node) => {
    const out = new Float64Array(sizeOf(outShape));
    eachWindow(poolGeometryOf(node), batchOf(dy!), (yi, cells) => {
      for (const k of cells) out[k] = out[k]! + dy!.data[yi]! / cells.length;
    });
    return out;
  },
});

/** The pool attributes: window size, stride and padding (pools have no dilation here). */
export function poolAttrs(kernel: [number, number], w: Window): Attrs {
  return { kernel: [...kernel], stride: [...w.stride], pad: [...w.pad], dilation: [...w.dilation] };
}

export function pool2d(kind: PoolKind, x: Node, kernel: [number, number], w: Window): Node {
  return make(kind === "max" ? maxPool2dOp : avgPool2dOp, [x], poolAttrs(kernel, w));
}
