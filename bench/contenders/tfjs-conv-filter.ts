// TensorFlow.js 4.22's wasm backend has no `Conv2DBackpropFilter` kernel, so a convolution's weight
// gradient cannot run on it and training a CNN stops with "kernel not registered". This registers
// one built from the backend's own Transpose and Conv2D kernels: the weight gradient of a
// stride-1 convolution is itself a convolution, with the batch as the channels being summed:
//
//   dW[p, q, c, o] = Σ_{n,i,j} x[n, i + p - pad, j + q - pad, c] · dy[n, i, j, o]
//                  = conv2d(x as [C, H, W, N], dy as [OH, OW, N, O], the forward's padding)
//                    read as [C, kh, kw, O], then transposed to tf's [kh, kw, C, O].
//
// A stride s becomes a dilation s of that convolution. Everything runs inside the wasm backend.
import * as tf from "@tensorflow/tfjs";

type Info = tf.TensorInfo;
type Backend = tf.KernelBackend & { disposeData(id: object): boolean };
type Run = (args: { inputs: tf.NamedTensorInfoMap; backend: Backend; attrs: object }) => Info;

function kernel(name: string): Run {
  const k = tf.getKernel(name, "wasm");
  if (!k) throw new Error(`tfjs-backend-wasm has no ${name} kernel`);
  return k.kernelFunc as unknown as Run;
}

interface FilterAttrs {
  strides: number | [number, number];
  pad: "valid" | "same" | number;
  dataFormat: "NHWC" | "NCHW";
  dimRoundingMode?: "floor" | "round" | "ceil";
  filterShape: [number, number, number, number];
}

function conv2dBackpropFilter(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: tf.KernelBackend;
  attrs: tf.NamedAttrMap;
}): Info {
  const backend = args.backend as Backend;
  const { x, dy } = args.inputs as { x: Info; dy: Info };
  const a = args.attrs as unknown as FilterAttrs;
  if (a.dataFormat !== "NHWC") throw new Error("Conv2DBackpropFilter (bench): NHWC only");
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    a.filterShape,
    a.strides,
    1,
    a.pad,
    a.dimRoundingMode,
  );
  const { top, bottom, left, right } = info.padInfo;
  const transpose = kernel("Transpose");
  const conv = kernel("Conv2D");
  const xt = transpose({ inputs: { x }, backend, attrs: { perm: [3, 1, 2, 0] } });
  const dyt = transpose({ inputs: { x: dy }, backend, attrs: { perm: [1, 2, 0, 3] } });
  const pad =
    top === bottom && left === right && top === left
      ? top
      : [
          [0, 0],
          [top, bottom],
          [left, right],
          [0, 0],
        ];
  const attrs = {
    strides: 1,
    pad,
    dilations: [info.strideHeight, info.strideWidth],
    dataFormat: "NHWC",
  };
  const cw = conv({ inputs: { x: xt, filter: dyt }, backend, attrs });
  const [kh, kw] = a.filterShape;
  if (cw.shape[1] !== kh || cw.shape[2] !== kw)
    throw new Error("Conv2DBackpropFilter (bench): this stride leaves a remainder; not supported");
  const dw = transpose({ inputs: { x: cw }, backend, attrs: { perm: [1, 2, 0, 3] } });
  for (const t of [xt, dyt, cw]) backend.disposeData(t.dataId);
  return dw;
}

/** Registers the kernel on the wasm backend (once). */
export function registerConv2dBackpropFilter(): void {
  if (tf.getKernel("Conv2DBackpropFilter", "wasm")) return;
  tf.registerKernel({
    kernelName: "Conv2DBackpropFilter",
    backendName: "wasm",
    kernelFunc: conv2dBackpropFilter as unknown as tf.KernelFunc,
  });
}
