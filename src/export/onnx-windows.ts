// Convolution and pooling, and their gradients, written with Gather, MatMul and ReduceSum: the sums
// nnc computes, term for term, for a graph whose float type has no Conv, ConvTranspose or
// AveragePool kernel in ONNX Runtime (double), and for avg pool's gradient, which ONNX has no op
// for. A plane of H x W cells is read as H W + 1 cells, the last one a zero, and a constant index
// table gathers, for each tap t = (p, q) of the window and each output l = (i, j), the cell the tap
// reads (the zero where it falls in the padding):
//   cols[n, c, t, l] = x[n, c, i s + p d - pad, j s + q d - pad]
//   conv2d     y[n, g, o, l]  = W[g, o, (c, t)] @ cols[n, g, (c, t), l]      (per group g)
//   conv2d_dw  dW[g, o, (c, t)] = sum_n dy[n, g, o, l] @ cols[n, g, (c, t), l]^T
//   conv2d_dx  the same product with the image and the output swapped: for each input cell and
//              tap, the output that the tap sent the cell to (a transposed convolution)
//   avg_pool2d sum_t cols / count, and its gradient sum_t of (dy / count) gathered as conv2d_dx's
import type { ConvGeometry } from "../ops/conv.ts";
import type { PoolGeometry } from "../ops/pool.ts";
import type { OnnxGraph } from "./onnx-graph.ts";

/** The geometry of a window moving over one plane (a convolution's or a pool's). */
export type Plane = Omit<PoolGeometry, "C">;

/** Calls f(tap, output, row, col) for every tap (p, q) and output (i, j), in that order. */
function eachCell(w: Plane, f: (t: number, l: number, r: number, s: number) => void): void {
  for (let p = 0; p < w.kh; p++)
    for (let q = 0; q < w.kw; q++)
      for (let i = 0; i < w.OH; i++)
        for (let j = 0; j < w.OW; j++) {
          const r = i * w.stride[0] + p * w.dilation[0] - w.pad[0];
          const s = j * w.stride[1] + q * w.dilation[1] - w.pad[1];
          f(p * w.kw + q, i * w.OW + j, r, s);
        }
}

const inside = (w: Plane, r: number, s: number) => r >= 0 && r < w.H && s >= 0 && s < w.W;

/** For each tap and output, the input cell the tap reads; H W (the zero) in the padding. */
function readIndex(w: Plane): number[] {
  const L = w.OH * w.OW;
  const index = new Array<number>(w.kh * w.kw * L);
  eachCell(w, (t, l, r, s) => (index[t * L + l] = inside(w, r, s) ? r * w.W + s : w.H * w.W));
  return index;
}

/** For each tap and input cell, the output the tap sends the cell to; OH OW (the zero) if none. */
function sendIndex(w: Plane): number[] {
  const cells = w.H * w.W;
  const index = new Array<number>(w.kh * w.kw * cells).fill(w.OH * w.OW);
  eachCell(w, (t, l, r, s) => {
    if (inside(w, r, s)) index[t * cells + r * w.W + s] = l;
  });
  return index;
}

/** How many cells of the image each output's window holds (avg pool's divisor). */
function counts(w: Plane): number[] {
  const out = new Array<number>(w.OH * w.OW).fill(0);
  eachCell(w, (_t, l, r, s) => {
    if (inside(w, r, s)) out[l]!++;
  });
  return out;
}

/**
 * [N, C, K, M] from x [N, C, ...] read as [N, C, S] with a zero appended to each plane: the cells
 * `index` names (K taps by M places), shared by every node that gathers the same.
 */
function gather(g: OnnxGraph, x: string, C: number, S: number, index: number[], K: number) {
  const M = index.length / K;
  return g.memo(`gather:${x}:${C}:${S}:${index.join(",")}`, () => {
    const flat = g.op("Reshape", [x, g.ints([0, C, S])], {}, "planes");
    const padded = g.op("Pad", [flat, g.ints([0, 0, 0, 0, 0, 1])], {}, "with_zero");
    const got = g.op("Gather", [padded, g.ints(index)], { axis: { int: 2 } }, "cells");
    return g.op("Reshape", [got, g.ints([0, C, K, M])], {}, "cols");
  });
}

/** The window's cells of x [N, C, H, W] grouped for a product: [N, groups, C / groups * K, L]. */
function windowCols(g: OnnxGraph, x: string, w: ConvGeometry): string {
  const K = w.kh * w.kw;
  const cols = gather(g, x, w.C, w.H * w.W, readIndex(w), K);
  return g.op("Reshape", [cols, g.ints([0, w.groups, (w.C / w.groups) * K, w.OH * w.OW])]);
}

export function gatheredConv(g: OnnxGraph, w: ConvGeometry, x: string, k: string, hint: string) {
  const cols = windowCols(g, x, w);
  const weights = g.op("Reshape", [k, g.ints([w.groups, w.O / w.groups, -1])]);
  const y = g.op("MatMul", [weights, cols]);
  return g.op("Reshape", [y, g.ints([0, w.O, w.OH, w.OW])], {}, hint);
}

export function gatheredConvDw(g: OnnxGraph, w: ConvGeometry, x: string, dy: string, hint: string) {
  const cols = windowCols(g, x, w);
  const grads = g.op("Reshape", [dy, g.ints([0, w.groups, w.O / w.groups, w.OH * w.OW])]);
  const colsT = g.op("Transpose", [cols], { perm: { ints: [0, 1, 3, 2] } });
  const each = g.op("MatMul", [grads, colsT]);
  const total = g.op("ReduceSum", [each, g.ints([0])], { keepdims: { int: 0 } });
  return g.op("Reshape", [total, g.ints([w.O, w.C / w.groups, w.kh, w.kw])], {}, hint);
}

export function gatheredConvDx(g: OnnxGraph, w: ConvGeometry, dy: string, k: string, hint: string) {
  const [K, G, Cg, Og] = [w.kh * w.kw, w.groups, w.C / w.groups, w.O / w.groups];
  const sent = gather(g, dy, w.O, w.OH * w.OW, sendIndex(w), K);
  const cols = g.op("Reshape", [sent, g.ints([0, G, Og * K, w.H * w.W])]);
  // W [G Og, Cg, kh, kw] as [G, Cg, Og K]: each input channel's taps from every output channel
  const split = g.op("Reshape", [k, g.ints([G, Og, Cg, K])]);
  const swapped = g.op("Transpose", [split], { perm: { ints: [0, 2, 1, 3] } });
  const weights = g.op("Reshape", [swapped, g.ints([G, Cg, Og * K])]);
  const dx = g.op("MatMul", [weights, cols]);
  return g.op("Reshape", [dx, g.ints([0, w.C, w.H, w.W])], {}, hint);
}

/** The mean of each window's cells inside the image: avg_pool2d of x [N, C, H, W]. */
export function gatheredAvgPool(g: OnnxGraph, w: Plane, C: number, x: string, hint: string) {
  const cols = gather(g, x, C, w.H * w.W, readIndex(w), w.kh * w.kw);
  const sums = g.op("ReduceSum", [cols, g.ints([2])], { keepdims: { int: 0 } });
  const means = g.op("Div", [sums, g.floats([w.OH * w.OW], counts(w))]);
  return g.op("Reshape", [means, g.ints([0, C, w.OH, w.OW])], {}, hint);
}

/** avg pool's gradient: each window's dy / count, summed into the cells of the window. */
export function gatheredAvgPoolDx(g: OnnxGraph, w: Plane, C: number, dy: string, hint: string) {
  const L = w.OH * w.OW;
  const flat = g.op("Reshape", [dy, g.ints([0, C, L])]);
  const shares = g.op("Div", [flat, g.floats([L], counts(w))], {}, "shares");
  const sent = gather(g, shares, C, L, sendIndex(w), w.kh * w.kw);
  const dx = g.op("ReduceSum", [sent, g.ints([2])], { keepdims: { int: 0 } });
  return g.op("Reshape", [dx, g.ints([0, C, w.H, w.W])], {}, hint);
}
