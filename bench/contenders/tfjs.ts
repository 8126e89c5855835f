// TensorFlow.js (the union package) on its `cpu` backend or on `tfjs-backend-wasm` (SIMD; threads
// are unavailable in Node). The models are written with tf ops the way its guides write them:
// variables, an optimizer's minimize() inside tidy(), and dataSync() to read results.
import * as tf from "@tensorflow/tfjs";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import type { Weights } from "../common.ts";
import type { Contender, Trainer } from "./contender.ts";
import { registerConv2dBackpropFilter } from "./tfjs-conv-filter.ts";
import { lenetInfer, lenetTrainer } from "./tfjs-lenet.ts";

export async function useBackend(backend: "cpu" | "wasm"): Promise<string> {
  if (backend === "wasm") {
    const require = createRequire(import.meta.url);
    const dist = dirname(require.resolve("@tensorflow/tfjs-backend-wasm/package.json")) + "/dist/";
    setWasmPaths(dist);
  }
  await tf.setBackend(backend);
  await tf.ready();
  const simd = backend === "wasm" ? await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT") : false;
  return backend === "wasm" ? `wasm (SIMD ${simd ? "on" : "off"})` : backend;
}

function vars(w: Weights, shapes: Record<string, number[]>): Record<string, tf.Variable> {
  return Object.fromEntries(
    Object.entries(shapes).map(([k, s]) => [k, tf.variable(tf.tensor(w[k]!, s), true)]),
  );
}

const mlpShapes = { "h.W": [784, 128], "h.b": [128], "z.W": [128, 10], "z.b": [10] };

function read(v: Record<string, tf.Variable>, rename: Record<string, string> = {}): Weights {
  return Object.fromEntries(
    Object.entries(v).map(([k, t]) => [rename[k] ?? k, t.dataSync() as Float32Array]),
  );
}

function mlpTrainer(init: Weights, batch: number): Trainer {
  const v = vars(init, mlpShapes);
  const opt = tf.train.sgd(0.1);
  return {
    step(x, y) {
      tf.tidy(() => {
        const xs = tf.tensor2d(x, [batch, 784]);
        const ys = tf.tensor2d(y, [batch, 10]);
        opt.minimize(() => {
          const h = tf.relu(tf.add(tf.matMul(xs, v["h.W"]!), v["h.b"]!));
          const z = tf.add(tf.matMul(h, v["z.W"]!), v["z.b"]!);
          return tf.losses.softmaxCrossEntropy(ys, z) as tf.Scalar;
        });
      });
    },
    weights: () => read(v),
  };
}

function mlpBnTrainer(init: Weights, batch: number): Trainer {
  const v = vars(init, {
    "h.dense.W": [784, 128],
    "h.dense.b": [128],
    "h.batchnorm.gamma": [128],
    "h.batchnorm.beta": [128],
    "z.W": [128, 10],
    "z.b": [10],
  });
  const runningMean = tf.variable(tf.zeros([128]), false);
  const runningVar = tf.variable(tf.ones([128]), false);
  const opt = tf.train.adam(0.001, 0.9, 0.999, 1e-8);
  return {
    step(x, y) {
      tf.tidy(() => {
        const xs = tf.tensor2d(x, [batch, 784]);
        const ys = tf.tensor2d(y, [batch, 10]);
        opt.minimize(() => {
          const a = tf.add(tf.matMul(xs, v["h.dense.W"]!), v["h.dense.b"]!);
          const { mean, variance } = tf.moments(a, 0);
          runningMean.assign(tf.add(tf.mul(runningMean, 0.9), tf.mul(mean, 0.1)));
          runningVar.assign(tf.add(tf.mul(runningVar, 0.9), tf.mul(variance, 0.1)));
          const norm = tf.div(tf.sub(a, mean), tf.sqrt(tf.add(variance, 1e-5)));
          const h = tf.relu(tf.add(tf.mul(norm, v["h.batchnorm.gamma"]!), v["h.batchnorm.beta"]!));
          const z = tf.add(tf.matMul(h, v["z.W"]!), v["z.b"]!);
          return tf.losses.softmaxCrossEntropy(ys, z) as tf.Scalar;
        });
      });
    },
    weights: () => read(v, { "h.dense.W": "h.W", "h.dense.b": "h.b" }),
  };
}

export function tfjs(backend: "cpu" | "wasm"): Contender {
  if (backend === "wasm") registerConv2dBackpropFilter();
  return {
    name: `tfjs-${backend}`,
    ...(backend === "wasm"
      ? {
          lenetNotes: [
            "tfjs-backend-wasm 4.22 has no `Conv2DBackpropFilter` kernel; the bench registers one built from the backend's own Transpose and Conv2D kernels (bench/contenders/tfjs-conv-filter.ts), so LeNet trains on the wasm backend",
          ],
        }
      : {}),
    lenet: async (init, batch) => lenetTrainer(init, batch),
    lenetInfer: async (w, batch) => lenetInfer(w, batch),
    mlp: async (init, batch) => mlpTrainer(init, batch),
    mlpBn: async (init, batch) => mlpBnTrainer(init, batch),
    async infer(w, batch) {
      const v = vars(w, mlpShapes);
      return (x) =>
        tf.tidy(() => {
          const xs = tf.tensor2d(x, [batch, 784]);
          const h = tf.relu(tf.add(tf.matMul(xs, v["h.W"]!), v["h.b"]!));
          return tf.softmax(tf.add(tf.matMul(h, v["z.W"]!), v["z.b"]!)).dataSync();
        });
    },
    async xor(init) {
      const v = vars(init, { "h.W": [2, 4], "h.b": [4], "p.W": [4, 1], "p.b": [1] });
      const opt = tf.train.momentum(0.5, 0.9);
      return (x, y) =>
        tf.tidy(() => {
          const xs = tf.tensor2d(x, [4, 2]);
          const ys = tf.tensor2d(y, [4, 1]);
          opt.minimize(() => {
            const h = tf.sigmoid(tf.add(tf.matMul(xs, v["h.W"]!), v["h.b"]!));
            const z = tf.add(tf.matMul(h, v["p.W"]!), v["p.b"]!);
            return tf.losses.sigmoidCrossEntropy(ys, z) as tf.Scalar;
          });
        });
    },
    async neuron() {
      const w = [tf.scalar(2), tf.scalar(-3), tf.scalar(-3)];
      const f = tf.grads((w0: tf.Tensor, w1: tf.Tensor, w2: tf.Tensor) =>
        tf.sigmoid(tf.add(tf.add(tf.mul(w0, tf.scalar(-1)), tf.mul(w1, tf.scalar(-2))), w2)),
      );
      return () =>
        tf.tidy(() => {
          for (const g of f(w)) g.dataSync();
        });
    },
  };
}
