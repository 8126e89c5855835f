// Batch normalization as one node: y = gamma (x - mu) invstd + beta, per feature (the last axis).
// With `batch`, mu and invstd are the batch statistics of x itself (mean and 1/sqrt(var + eps)
// over every axis but the last), and the gradient is the closed form that accounts for them:
//   dx = gamma invstd / N (N dy - sum(dy) - xhat sum(dy xhat)),  xhat = (x - mu) invstd
// Without `batch` (inference, running statistics) mu and invstd are plain inputs.
import type { Node } from "../ir/node.ts";
import { broadcastShapes, defineOp, make, mapElementwise, sizeOf, type Tensor } from "./op.ts";
import { c } from "./const.ts";
import { add, div, mul, neg, sub } from "./arith.ts";
import { sqrt } from "./math.ts";
import { mean } from "./reduce.ts";
import { binary, PREC } from "./notation.ts";

export const batchnormOp = defineOp({
  name: "batchnorm",
  kind: "elementwise",
  arity: 5,
  shape: (shapes) => shapes.reduce((a, b) => broadcastShapes(a, b)),
  evaluate: (inputs, _a, outShape) =>
    mapElementwise(inputs, outShape, (x, mu, invstd, gamma, beta) => {
      return gamma! * ((x! - mu!) * invstd!) + beta!;
    }),
  emit: ([x, mu, invstd, gamma, beta]) => `${gamma} * ((${x} - ${mu}) * ${invstd}) + ${beta}`,
  // `(x - mean) * invstd * gamma + beta`, without a `* 1` or `+ 0`
  notation: ([x, mu, invstd, gamma, beta]) => {
    let t = binary("*", PREC.product, binary("-", PREC.sum, x!, mu!), invstd!);
    if (gamma!.text !== "1") t = binary("*", PREC.product, t, gamma!);
    return beta!.text === "0" ? t : binary("+", PREC.sum, t, beta!);
  },

  grad: (g, out) => {
    const [x, mu, invstd, gamma] = out.inputs as [Node, Node, Node, Node, Node];
    const xhat = mul(sub(x, mu), invstd);
    if (out.attrs["batch"] === true)
      return [make(batchnormDxOp, [g, x, mu, invstd, gamma]), null, null, mul(g, xhat), g];
    const gs = mul(mul(g, gamma), invstd);
    return [gs, neg(gs), mul(mul(g, gamma), sub(x, mu)), mul(g, xhat), g];
  },
});

/** Column `j` of a per-feature tensor (one value, or one per feature). */
function col(t: Tensor, j: number): number {
  return t.data.length === 1 ? t.data[0]! : t.data[j]!;
}

/** dx of a batch-statistics batchnorm, from dy (g), x, mu, invstd and gamma. */
export const batchnormDxOp = defineOp({
  name: "batchnorm_dx",
  kind: "special",
  gradNote:
    "batchnorm fused: d_x = gamma * invstd / N * (N * d_y - sum(d_y) - x_hat * sum(d_y * x_hat))",
  arity: 5,
  shape: ([, x]) => x!,
  evaluate: ([g, x, mu, invstd, gamma], _a, outShape) => {
    const C = outShape[outShape.length - 1]!;
    const N = sizeOf(outShape) / C;
    const out = new Float64Array(N * C);
    for (let j = 0; j < C; j++) {
      const [m, s] = [col(mu!, j), col(invstd!, j)];
      let sg = 0;
      let sgx = 0;
      for (let i = 0; i < N; i++) {
        sg += g!.data[i * C + j]!;
        sgx += g!.data[i * C + j]! * (x!.data[i * C + j]! - m) * s;
      }
      const scale = (col(gamma!, j) * s) / N;
      for (let i = 0; i < N; i++) {
        const xhat = (x!.data[i * C + j]! - m) * s;
        out[i * C + j] = scale * (N * g!.data[i * C + j]! - sg - xhat * sgx);
      }
    }
    return out;
  },
});

/** The axes batch statistics reduce over: every axis but the last. */
export function batchAxes(x: Node): number[] {
  return Array.from({ length: x.shape.length - 1 }, (_, i) => i);
}

/** Training batchnorm of x: the batch statistics built as the `batchnorm` layer builds them. */
export function batchStats(x: Node, eps: number): { mu: Node; variance: Node; invstd: Node } {
  const axes = batchAxes(x);
  const mu = mean(x, axes, true);
  const xc = sub(x, mu);
  const variance = mean(mul(xc, xc), axes, true);
  return { mu, variance, invstd: invStd(variance, eps) };
}

/** 1 / sqrt(var + eps) */
export function invStd(variance: Node, eps: number | Node): Node {
  return div(c(1), sqrt(add(variance, typeof eps === "number" ? c(eps) : eps)));
}

export function batchnorm(
  x: Node,
  mu: Node,
  invstd: Node,
  gamma: Node,
  beta: Node,
  batch: boolean,
): Node {
  return make(batchnormOp, [x, mu, invstd, gamma, beta], { batch });
}
