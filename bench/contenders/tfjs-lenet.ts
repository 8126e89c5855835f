// LeNet-5 in TensorFlow.js, written as tf.layers would run it: NHWC images, fused convolutions and
// products (bias and relu in the kernel, as tf.layers' Conv2D and Dense call them), max pooling,
// softmax cross-entropy, and tf.train.momentum. The weights are nnc's, moved to tf's layouts.
import * as tf from "@tensorflow/tfjs";
import type { Weights } from "../common.ts";
import { LENET_SGD } from "../lenet.ts";
import type { LenetTrainer } from "./contender.ts";

/** [out, in, kh, kw] (nnc, PyTorch) to [kh, kw, in, out] (tf). */
function hwio(w: Float32Array, [O, I, KH, KW]: number[]): tf.Tensor4D {
  const out = new Float32Array(w.length);
  for (let o = 0; o < O!; o++)
    for (let i = 0; i < I!; i++)
      for (let p = 0; p < KH!; p++)
        for (let q = 0; q < KW!; q++)
          out[((p * KW! + q) * I! + i) * O! + o] = w[((o * I! + i) * KH! + p) * KW! + q]!;
  return tf.tensor4d(out, [KH!, KW!, I!, O!]);
}

/**
 * The first dense layer's rows in NHWC's flattening order (h, w, c) rather than NCHW's (c, h, w):
 * the same function of the image, for tf's channels-last layout.
 */
function nhwcRows(w: Float32Array, C: number, HW: number, units: number): tf.Tensor2D {
  const out = new Float32Array(w.length);
  for (let c = 0; c < C; c++)
    for (let s = 0; s < HW; s++)
      out.set(w.subarray((c * HW + s) * units, (c * HW + s + 1) * units), (s * C + c) * units);
  return tf.tensor2d(out, [C * HW, units]);
}

type Vars = Record<
  "c1W" | "c1b" | "c2W" | "c2b" | "d0W" | "d0b" | "d1W" | "d1b" | "zW" | "zb",
  tf.Variable
>;

function variables(w: Weights): Vars {
  const v = (t: tf.Tensor) => tf.variable(t, true);
  return {
    c1W: v(hwio(w["c1.W"]!, [6, 1, 5, 5])),
    c1b: v(tf.tensor1d(w["c1.b"]!)),
    c2W: v(hwio(w["c2.W"]!, [16, 6, 5, 5])),
    c2b: v(tf.tensor1d(w["c2.b"]!)),
    d0W: v(nhwcRows(w["h.dense0.W"]!, 16, 25, 120)),
    d0b: v(tf.tensor1d(w["h.dense0.b"]!)),
    d1W: v(tf.tensor2d(w["h.dense1.W"]!, [120, 84])),
    d1b: v(tf.tensor1d(w["h.dense1.b"]!)),
    zW: v(tf.tensor2d(w["z.W"]!, [84, 10])),
    zb: v(tf.tensor1d(w["z.b"]!)),
  };
}

/** The logits of a batch of flattened 28 x 28 images. */
function logits(v: Vars, x: tf.Tensor2D): tf.Tensor2D {
  const batch = x.shape[0];
  const img = tf.reshape(x, [batch, 28, 28, 1]) as tf.Tensor4D;
  const conv = (t: tf.Tensor4D, filter: tf.Variable, bias: tf.Variable, pad: "same" | "valid") =>
    tf.maxPool(
      tf.fused.conv2d({
        x: t,
        filter: filter as tf.Tensor4D,
        strides: 1,
        pad,
        bias,
        activation: "relu",
      }),
      2,
      2,
      "valid",
    );
  const c2 = conv(conv(img, v.c1W, v.c1b, "same"), v.c2W, v.c2b, "valid");
  const dense = (t: tf.Tensor2D, w: tf.Variable, b: tf.Variable, relu: boolean) =>
    tf.fused.matMul({
      a: t,
      b: w as tf.Tensor2D,
      bias: b,
      activation: relu ? "relu" : "linear",
    }) as tf.Tensor2D;
  const h0 = dense(tf.reshape(c2, [batch, 400]) as tf.Tensor2D, v.d0W, v.d0b, true);
  return dense(dense(h0, v.d1W, v.d1b, true), v.zW, v.zb, false);
}

export function lenetTrainer(init: Weights, batch: number): LenetTrainer {
  const v = variables(init);
  const list = Object.values(v);
  const opt = tf.train.momentum(LENET_SGD.lr, LENET_SGD.momentum);
  const loss = (x: Float32Array, y: Float32Array) => () =>
    tf.losses.softmaxCrossEntropy(
      tf.tensor2d(y, [batch, 10]),
      logits(v, tf.tensor2d(x, [batch, 784])),
    ) as tf.Scalar;
  return {
    step(x, y) {
      tf.tidy(() => {
        opt.minimize(loss(x, y), false, list);
      });
    },
    stepWithLoss: (x, y) => tf.tidy(() => opt.minimize(loss(x, y), true, list)!.dataSync()[0]!),
  };
}

export function lenetInfer(w: Weights, batch: number): (x: Float32Array) => Float32Array {
  const v = variables(w);
  return (x) =>
    tf.tidy(() => tf.softmax(logits(v, tf.tensor2d(x, [batch, 784]))).dataSync() as Float32Array);
}
