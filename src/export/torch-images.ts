// The image ops as PyTorch expressions: F.conv2d, F.max_pool2d and F.avg_pool2d with
// count_include_pad=False, where torch's symmetric padding says what nnc's does; an asymmetric
// padding (`padding: "same"` with an even kernel) is an F.pad first (with -inf before a max pool,
// whose padding never wins, as in nnc). The ops of the gradients only appear in backward graphs,
// which the torch export leaves to autograd; their rows are torch's own gradient functions
// (torch.nn.grad.conv2d_input and conv2d_weight) and, for the pools, the plain math: dy added at
// the index of each window's first maximum (torch's max_pool2d picks the first, as nnc), and
// dy / count spread over each window.
import { geometryOf, type Window } from "../ops/conv.ts";
import { poolGeometryOf, type PoolGeometry } from "../ops/pool.ts";
import type { ImageOp } from "./onnx-images.ts";
import { pyInts } from "./python.ts";
import type { TorchLowering } from "./torch-ops.ts";

const isSymmetric = (w: Window) => w.pad[0] === w.pad[2] && w.pad[1] === w.pad[3];
const isUnit = (xs: readonly number[]) => xs.every((x) => x === 1);

/** `F.pad(x, (left, right, top, bottom))` (x where there is no padding). */
function padAll(x: string, w: Window, value = ""): string {
  const [t, l, b, r] = w.pad;
  return w.pad.some((p) => p > 0) ? `F.pad(${x}, ${pyInts([l, r, t, b])}${value})` : x;
}

/** x padded by F.pad where the padding is asymmetric; the op pads it otherwise. */
const padded = (x: string, w: Window, value = "") => (isSymmetric(w) ? x : padAll(x, w, value));

/**
 * `, stride=(2, 2), padding=(1, 1)`: the keywords that differ from torch's defaults (a pool's
 * stride always: its default is the window's size).
 */
function keywords(w: Window, options: { groups?: number; pool?: boolean } = {}): string {
  const out: string[] = [];
  if (options.pool === true || !isUnit(w.stride)) out.push(`stride=${pyInts(w.stride)}`);
  if (isSymmetric(w) && w.pad.some((p) => p > 0)) out.push(`padding=${pyInts(w.pad.slice(0, 2))}`);
  if (!isUnit(w.dilation)) out.push(`dilation=${pyInts(w.dilation)}`);
  if (options.groups !== undefined && options.groups !== 1) out.push(`groups=${options.groups}`);
  return out.map((k) => `, ${k}`).join("");
}

/** `[:, :, top:top + H, left:left + W]` after an asymmetric padding, to cut it off again. */
function crop(w: Window, H: number, W: number): string {
  if (isSymmetric(w)) return "";
  const [t, l] = w.pad;
  return `[:, :, ${t}:${t + H}, ${l}:${l + W}]`;
}

/** The image's size (N, C, H, W) with an asymmetric padding added, N read from `batch`. */
function paddedSize(batch: string, C: number, H: number, W: number, w: Window): string {
  const extra = isSymmetric(w) ? [0, 0] : [w.pad[0] + w.pad[2], w.pad[1] + w.pad[3]];
  return `(${batch}.shape[0], ${C}, ${H + extra[0]!}, ${W + extra[1]!})`;
}

const unpadded = (w: Window): Window => ({ ...w, pad: [0, 0, 0, 0] });

/** How many cells of the image each window holds, [1, 1, OH, OW], a tensor like `like`. */
function windowCounts(like: string, w: PoolGeometry): string {
  const ones = `${like}.new_ones((1, 1, ${w.H}, ${w.W}))`;
  const taps = `${like}.new_ones((1, 1, ${w.kh}, ${w.kw}))`;
  return `F.conv2d(${padAll(ones, w)}, ${taps}${keywords(unpadded(w))})`;
}

/** avg pool where F.avg_pool2d cannot say it (an asymmetric padding, a dilation): sums / counts. */
function windowMean(x: string, w: PoolGeometry): string {
  const taps = `${x}.new_ones((${w.C}, 1, ${w.kh}, ${w.kw}))`;
  const sums = `F.conv2d(${padAll(x, w)}, ${taps}${keywords(unpadded(w), { groups: w.C })})`;
  return `${sums} / ${windowCounts(x, w)}`;
}

export const torchImageOps: Record<ImageOp, TorchLowering> = {
  conv2d: ([x, k], n) => {
    const w = geometryOf(n);
    return `F.conv2d(${padded(x!, w)}, ${k}${keywords(w, { groups: w.groups })})`;
  },
  conv2d_dx: ([dy, k], n) => {
    const w = geometryOf(n);
    const size = paddedSize(dy!, w.C, w.H, w.W, w);
    const opts = keywords(w, { groups: w.groups });
    return `torch.nn.grad.conv2d_input(${size}, ${k}, ${dy}${opts})${crop(w, w.H, w.W)}`;
  },
  conv2d_dw: ([x, dy], n) => {
    const w = geometryOf(n);
    const shape = pyInts([w.O, w.C / w.groups, w.kh, w.kw]);
    const opts = keywords(w, { groups: w.groups });
    return `torch.nn.grad.conv2d_weight(${padded(x!, w)}, ${shape}, ${dy}${opts})`;
  },
  max_pool2d: ([x], n) => {
    const w = poolGeometryOf(n);
    const input = padded(x!, w, ", value=-math.inf");
    return `F.max_pool2d(${input}, ${pyInts([w.kh, w.kw])}${keywords(w, { pool: true })})`;
  },
  max_pool2d_dx: ([dy, x], n) => {
    const w = poolGeometryOf(n);
    const input = padded(x!, w, ", value=-math.inf");
    const pool = `F.max_pool2d(${input}, ${pyInts([w.kh, w.kw])}${keywords(w, { pool: true })}, return_indices=True)`;
    const zeros = `${x}.new_zeros(${paddedSize(x!, w.C, w.H, w.W, w)})`;
    const sums = `${zeros}.flatten(2).scatter_add(2, ${pool}[1].flatten(2), ${dy}.flatten(2))`;
    return `${sums}.reshape(${zeros}.shape)${crop(w, w.H, w.W)}`;
  },
  avg_pool2d: ([x], n) => {
    const w = poolGeometryOf(n);
    if (!isSymmetric(w) || !isUnit(w.dilation)) return windowMean(x!, w);
    const opts = keywords(w, { pool: true });
    return `F.avg_pool2d(${x}, ${pyInts([w.kh, w.kw])}${opts}, count_include_pad=False)`;
  },
  avg_pool2d_dx: ([dy], n) => {
    const w = poolGeometryOf(n);
    const size = paddedSize(dy!, w.C, w.H, w.W, w);
    const ones = `${dy}.new_ones((${w.C}, 1, ${w.kh}, ${w.kw}))`;
    const shares = `${dy} / ${windowCounts(dy!, w)}`;
    const opts = keywords(w, { groups: w.C });
    return `torch.nn.grad.conv2d_input(${size}, ${ones}, ${shares}${opts})${crop(w, w.H, w.W)}`;
  },
};
