// The 2-D convolution (NCHW, as PyTorch and ONNX; cross-correlation, as every framework calls a
// convolution) and the two ops of its gradient, each a closed form of its own:
//   y[n, o, i, j]  = sum_{c, p, q} x[n, c, i s + p d - pad, j s + q d - pad] W[o, c, p, q]
//   dx = conv_transpose2d(dy, W): each dy[n, o, i, j] sends W[o, c, p, q] dy back to the input
//        element that W[o, c, p, q] met (the upstream gradient convolved with the flipped kernel)
//   dW = conv2d_weight(x, dy): the correlation of the input with the upstream gradient,
//        dW[o, c, p, q] = sum_{n, i, j} dy[n, o, i, j] x[n, c, i s + p d - pad, j s + q d - pad]
// with groups: output channel o reads the input channels of its group only.
import { shapeToString, type Attrs, type Dim, type Node, type Shape } from "../ir/node.ts";
import { defineOp, make, ShapeError, sizeOf, type Tensor } from "./op.ts";
import { PREC, type Notation, type Shown } from "./notation.ts";
import { lit } from "./op.ts";

/** How a window moves over an image: the attributes of conv2d, pooling and their gradients. */
export interface Window {
  stride: [number, number];
  /** top, left, bottom, right */
  pad: [number, number, number, number];
  dilation: [number, number];
}

/** Everything a convolution's loops need, all sizes fixed but the batch. */
export interface ConvGeometry extends Window {
  N: Dim;
  /** input channels, height, width */
  C: number;
  H: number;
  W: number;
  /** output channels, kernel height and width */
  O: number;
  kh: number;
  kw: number;
  OH: number;
  OW: number;
  groups: number;
}

export function windowOf(attrs: Attrs): Window {
  return {
    stride: attrs["stride"] as [number, number],
    pad: attrs["pad"] as [number, number, number, number],
    dilation: attrs["dilation"] as [number, number],
  };
}

/** The output length of a window of `k` taps moving over `n` padded cells. */
export function outLength(n: number, k: number, w: Window, axis: 0 | 1): number {
  const padded = n + w.pad[axis] + w.pad[axis + 2]!;
  const span = w.dilation[axis] * (k - 1) + 1;
  return Math.floor((padded - span) / w.stride[axis]) + 1;
}

/** A fixed size of an image's axis, or a ShapeError naming the rule. */
export function fixedDim(d: Dim, what: string, op: string, shape: Shape): number {
  if (typeof d !== "number")
    throw new ShapeError(
      `${op} needs a fixed ${what}; got ${shapeToString(shape)} (only the batch may be named)`,
      "NN3007",
    );
  return d;
}

/** `op needs [batch, C, H, W]; got [batch, 784]` unless x is an image batch. */
export function requireImages(op: string, x: Shape): [Dim, number, number, number] {
  if (x.length !== 4)
    throw new ShapeError(
      `${op} needs [batch, C, H, W]; got ${shapeToString(x)} (reshape(x, [batch, C, H, W]) makes images of rows)`,
      "NN3008",
    );
  return [
    x[0]!,
    fixedDim(x[1]!, "channel count", op, x),
    fixedDim(x[2]!, "height", op, x),
    fixedDim(x[3]!, "width", op, x),
  ];
}

/** Checks that a window of `kh` x `kw` taps fits the padded image; the output size. */
export function windowOut(op: string, H: number, W: number, kh: number, kw: number, w: Window) {
  const [OH, OW] = [outLength(H, kh, w, 0), outLength(W, kw, w, 1)];
  if (OH < 1 || OW < 1) {
    const [ph, pw] = [H + w.pad[0] + w.pad[2], W + w.pad[1] + w.pad[3]];
    const [sh, sw] = [w.dilation[0] * (kh - 1) + 1, w.dilation[1] * (kw - 1) + 1];
    throw new ShapeError(
      `${op}: the window (${sh}x${sw} with dilation) is larger than the padded input (${ph}x${pw})`,
      "NN3010",
    );
  }
  return [OH, OW] as const;
}

export function convGeometry(x: Shape, w: Shape, attrs: Attrs): ConvGeometry {
  const [N, C, H, W] = requireImages("conv2d", x);
  if (w.length !== 4)
    throw new ShapeError(
      `conv2d needs a kernel W of shape [out, in / groups, kh, kw]; got ${shapeToString(w)}`,
      "NN3008",
    );
  const [O, Cg, kh, kw] = w.map((d, i) =>
    fixedDim(d, ["out", "in", "kh", "kw"][i]!, "conv2d's W", w),
  ) as [number, number, number, number];
  const groups = attrs["groups"] as number;
  if (C % groups !== 0 || O % groups !== 0)
    throw new ShapeError(
      `conv2d with groups: ${groups} needs input and output channels divisible by ${groups}; got ${C} in, ${O} out`,
      "NN3010",
    );
  if (Cg * groups !== C)
    throw new ShapeError(
      `conv2d's W is ${shapeToString(w)}: its second size must be the input's channels / groups = ${C / groups}, got ${Cg}`,
      "NN3010",
    );
  const win = windowOf(attrs);
  const [OH, OW] = windowOut("conv2d", H, W, kh, kw, win);
  return { ...win, N, C, H, W, O, kh, kw, OH, OW, groups };
}

/** The geometry of a convolution node, a gradient's included (read from the forward's shapes). */
export function geometryOf(node: Node): ConvGeometry {
  if (node.op === "conv2d")
    return convGeometry(node.inputs[0]!.shape, node.inputs[1]!.shape, node.attrs);
  const image = node.attrs["image"] as [number, number];
  if (node.op === "conv2d_dx") {
    const [g, w] = node.inputs as [Node, Node];
    const x = [g.shape[0]!, (w.shape[1]! as number) * (node.attrs["groups"] as number), ...image];
    return convGeometry(x, w.shape, node.attrs);
  }
  const [x, g] = node.inputs as [Node, Node];
  const k = node.attrs["kernel"] as [number, number];
  const groups = node.attrs["groups"] as number;
  return convGeometry(x.shape, [g.shape[1]!, (x.shape[1] as number) / groups, ...k], node.attrs);
}

/**
 * Visits every (tap, output) pair of a convolution: f(xIndex, wIndex, yIndex) for each valid one,
 * in the order n, o, c, p, q, i, j. The reference of the three ops below.
 */
function eachTap(g: ConvGeometry, N: number, f: (xi: number, wi: number, yi: number) => void) {
  const [Cg, Og] = [g.C / g.groups, g.O / g.groups];
  for (let n = 0; n < N; n++)
    for (let o = 0; o < g.O; o++) {
      const c0 = Math.floor(o / Og) * Cg;
      for (let c = 0; c < Cg; c++)
        for (let p = 0; p < g.kh; p++)
          for (let q = 0; q < g.kw; q++)
            for (let i = 0; i < g.OH; i++) {
              const r = i * g.stride[0] + p * g.dilation[0] - g.pad[0];
              if (r < 0 || r >= g.H) continue;
              for (let j = 0; j < g.OW; j++) {
                const s = j * g.stride[1] + q * g.dilation[1] - g.pad[1];
                if (s < 0 || s >= g.W) continue;
                f(
                  ((n * g.C + c0 + c) * g.H + r) * g.W + s,
                  ((o * Cg + c) * g.kh + p) * g.kw + q,
                  ((n * g.O + o) * g.OH + i) * g.OW + j,
                );
              }
            }
    }
}

/** `stride: 2, padding: 1` as the layer is written, defaults left out. */
export function windowArgs(attrs: Attrs, kernel?: [number, number]): string[] {
  const w = windowOf(attrs);
  const pair = (p: readonly number[], dflt: number) =>
    p[0] === p[1] ? (p[0] === dflt ? null : lit(p[0]!)) : `[${p.join(", ")}]`;
  const pads = w.pad;
  const pad =
    pads[0] === pads[2] && pads[1] === pads[3]
      ? pair([pads[0], pads[1]], 0)
      : `[${pads.join(", ")}]`;
  const out: string[] = [];
  if (kernel) out.push(`kernel: ${pair(kernel, NaN) ?? lit(kernel[0])}`);
  const stride = pair(w.stride, kernel ? kernel[0] : 1);
  if (stride !== null) out.push(`stride: ${stride}`);
  if (pad !== null) out.push(`padding: ${pad}`);
  const dilation = pair(w.dilation, 1);
  if (dilation !== null) out.push(`dilation: ${dilation}`);
  const groups = attrs["groups"];
  if (typeof groups === "number" && groups !== 1) out.push(`groups: ${groups}`);
  return out;
}

function callWith(name: string): Notation {
  return (args: Shown[], attrs: Attrs) => ({
    text: `${name}(${[...args.map((a) => a.text), ...windowArgs(attrs)].join(", ")})`,
    prec: PREC.primary,
  });
}

const batchOf = (t: Tensor) => t.shape[0]!;

/** `6@5x5, padding: 2`: the filters, their size and the window's other settings. */
function convSummary(node: Node): string {
  const g = geometryOf(node);
  return [`${g.O}@${g.kh}x${g.kw}`, ...windowArgs(node.attrs)].join(", ");
}

export const conv2dOp = defineOp({
  name: "conv2d",
  kind: "special",
  arity: 2,
  summary: convSummary,
  notation: callWith("conv2d"),
  shape: ([x, w], attrs) => {
    const g = convGeometry(x!, w!, attrs);
    return [g.N, g.O, g.OH, g.OW];
  },
  evaluate: ([x, w], _a, outShape, _env, node) => {
    const g = geometryOf(node);
    const out = new Float64Array(sizeOf(outShape));
    eachTap(g, batchOf(x!), (xi, wi, yi) => {
      out[yi] = out[yi]! + x!.data[xi]! * w!.data[wi]!;
    });
    return out;
  },
  grad: (g, out) => {
    const [x, w] = out.inputs as [Node, Node];
    const geo = geometryOf(out);
    const attrs = convAttrs(geo);
    return [
      make(conv2dDxOp, [g, w], { ...attrs, image: [geo.H, geo.W] }),
      make(conv2dDwOp, [x, g], { ...attrs, kernel: [geo.kh, geo.kw] }),
    ];
  },
});

export const conv2dDxOp = defineOp({
  name: "conv2d_dx",
  kind: "special",
  arity: 2,
  summary: convSummary,
  notation: callWith("conv_transpose2d"),
  gradNote:
    "conv2d's input gradient: the upstream gradient convolved with the flipped kernel (a transposed convolution)",
  shape: ([g, w], attrs) => {
    const image = attrs["image"] as [number, number];
    return [g![0]!, (w![1] as number) * (attrs["groups"] as number), ...image];
  },
  evaluate: ([dy, w], _a, outShape, _env, node) => {
    const out = new Float64Array(sizeOf(outShape));
    eachTap(geometryOf(node), batchOf(dy!), (xi, wi, yi) => {
      out[xi] = out[xi]! + dy!.data[yi]! * w!.data[wi]!;
    });
    return out;
  },
});

export const conv2dDwOp = defineOp({
  name: "conv2d_dw",
  kind: "special",
  arity: 2,
  summary: convSummary,
  notation: callWith("conv2d_weight"),
  gradNote:
    "conv2d's weight gradient: the correlation of the layer's input with the upstream gradient, summed over the batch",
  shape: ([x, g], attrs) => {
    const k = attrs["kernel"] as [number, number];
    return [g![1]!, (x![1] as number) / (attrs["groups"] as number), ...k];
  },
  evaluate: ([x, dy], _a, outShape, _env, node) => {
    const out = new Float64Array(sizeOf(outShape));
    eachTap(geometryOf(node), batchOf(x!), (xi, wi, yi) => {
      out[wi] = out[wi]! + dy!.data[yi]! * x!.data[xi]!;
    });
    return out;
  },
});

/** The attributes of a convolution node, from its geometry. */
export function convAttrs(g: Window & { groups: number }): Attrs {
  return { stride: [...g.stride], pad: [...g.pad], dilation: [...g.dilation], groups: g.groups };
}

export function conv2d(x: Node, w: Node, window: Window, groups = 1): Node {
  return make(conv2dOp, [x, w], convAttrs({ ...window, groups }));
}
