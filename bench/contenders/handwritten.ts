// The hand-written baseline for workload 1: what a careful programmer writes for this one model.
// Preallocated buffers read from closure constants, i-k-j matmuls with the inner loop unrolled by
// 4, bias+relu fused into the first layer, softmax+cross-entropy fused into one pass whose
// gradient is (p - y) / batch, and the SGD update in one loop per param.
import type { Weights } from "../common.ts";
import type { Contender, Trainer } from "./contender.ts";

const IN = 784;
const HID = 128;
const OUT = 10;

/** c[i, :] = c[i, :]! + a * b[k, :] over a row of length n, unrolled by 4 (n % 4 handled after). */
function axpyRow(c: Float32Array, ci: number, a: number, b: Float32Array, bk: number, n: number) {
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    c[ci + j] = c[ci + j]! + a * b[bk + j]!;
    c[ci + j + 1] = c[ci + j + 1]! + a * b[bk + j + 1]!;
    c[ci + j + 2] = c[ci + j + 2]! + a * b[bk + j + 2]!;
    c[ci + j + 3] = c[ci + j + 3]! + a * b[bk + j + 3]!;
  }
  for (; j < n; j++) c[ci + j] = c[ci + j]! + a * b[bk + j]!;
}

function mlpTrainer(init: Weights, B: number, lr: number): Trainer {
  const W1 = Float32Array.from(init["h.W"]!);
  const b1 = Float32Array.from(init["h.b"]!);
  const W2 = Float32Array.from(init["z.W"]!);
  const b2 = Float32Array.from(init["z.b"]!);
  const h = new Float32Array(B * HID);
  const p = new Float32Array(B * OUT);
  const dz = new Float32Array(B * OUT);
  const dh = new Float32Array(B * HID);
  const dW1 = new Float32Array(IN * HID);
  const db1 = new Float32Array(HID);
  const dW2 = new Float32Array(HID * OUT);
  const db2 = new Float32Array(OUT);

  /** h = relu(x @ W1 + b1) */
  function hidden(x: Float32Array) {
    for (let i = 0; i < B; i++) {
      const hi = i * HID;
      for (let j = 0; j < HID; j++) h[hi + j] = b1[j]!;
      for (let k = 0; k < IN; k++) axpyRow(h, hi, x[i * IN + k]!, W1, k * HID, HID);
      for (let j = 0; j < HID; j++) if (h[hi + j]! < 0) h[hi + j] = 0;
    }
  }

  /** p = softmax(h @ W2 + b2); dz = (p - y) / B; returns the mean cross-entropy */
  function outputAndLoss(y: Float32Array): number {
    let loss = 0;
    for (let i = 0; i < B; i++) {
      const pi = i * OUT;
      for (let c = 0; c < OUT; c++) p[pi + c] = b2[c]!;
      for (let k = 0; k < HID; k++) axpyRow(p, pi, h[i * HID + k]!, W2, k * OUT, OUT);
      let mx = -Infinity;
      for (let c = 0; c < OUT; c++) if (p[pi + c]! > mx) mx = p[pi + c]!;
      let total = 0;
      for (let c = 0; c < OUT; c++) {
        const e = Math.exp(p[pi + c]! - mx);
        p[pi + c] = e;
        total += e;
      }
      for (let c = 0; c < OUT; c++) {
        const pc = p[pi + c]! / total;
        p[pi + c] = pc;
        if (y[pi + c] !== 0) loss -= Math.log(Math.max(pc, 1e-12));
        dz[pi + c] = (pc - y[pi + c]!) / B;
      }
    }
    return loss / B;
  }

  function backward(x: Float32Array) {
    dW2.fill(0);
    db2.fill(0);
    db1.fill(0);
    dW1.fill(0);
    for (let i = 0; i < B; i++) {
      for (let c = 0; c < OUT; c++) db2[c] = db2[c]! + dz[i * OUT + c]!;
      for (let j = 0; j < HID; j++) axpyRow(dW2, j * OUT, h[i * HID + j]!, dz, i * OUT, OUT);
      // dh = (dz @ W2^T) * (h > 0)
      for (let j = 0; j < HID; j++) {
        let acc = 0;
        for (let c = 0; c < OUT; c++) acc += dz[i * OUT + c]! * W2[j * OUT + c]!;
        dh[i * HID + j] = h[i * HID + j]! > 0 ? acc : 0;
      }
      for (let j = 0; j < HID; j++) db1[j] = db1[j]! + dh[i * HID + j]!;
    }
    // dW1 = x^T @ dh, i-k-j
    for (let k = 0; k < IN; k++)
      for (let i = 0; i < B; i++) axpyRow(dW1, k * HID, x[i * IN + k]!, dh, i * HID, HID);
  }

  function sgd(w: Float32Array, g: Float32Array) {
    for (let i = 0; i < w.length; i++) w[i] = w[i]! - lr * g[i]!;
  }

  return {
    step(x, y) {
      hidden(x);
      outputAndLoss(y);
      backward(x);
      sgd(W1, dW1);
      sgd(b1, db1);
      sgd(W2, dW2);
      sgd(b2, db2);
    },
    weights: () => ({ "h.W": W1.slice(), "h.b": b1.slice(), "z.W": W2.slice(), "z.b": b2.slice() }),
  };
}

export const handwritten: Contender = {
  name: "hand-written JS",
  mlp: async (init, batch) => mlpTrainer(init, batch, 0.1),
};
