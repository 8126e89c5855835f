// Batch normalization as one node: y = gamma (x - mu) invstd + beta, per channel (axis 1: the
// features of [n, c], the channels of [n, c, h, w]).
// With `batch`, mu and invstd are the batch statistics of x itself (mean and 1/sqrt(var + eps)
// over every axis but the channels'), and the gradient is the closed form that accounts for them:
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

/** Channel `j` of a per-channel tensor (one value, or one per channel). */
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
  // x viewed as [outer, C, inner]: the batch before the channels, the image after them
  evaluate: ([g, x, mu, invstd, gamma], _a, outShape) => {
    const C = outShape[1]!;
    const inner = sizeOf(outShape.slice(2));
    const outer = outShape[0]!;
    const N = outer * inner;
    const out = new Float64Array(sizeOf(outShape));
    const at = (o: number, j: number, i: number) => (o * C + j) * inner + i;
    for (let j = 0; j < C; j++) {
      const [m, s] = [col(mu!, j), col(invstd!, j)];
      let sg = 0;
      let sgx = 0;
      for (let o = 0; o < outer; o++)
        for (let i = 0; i < inner; i++) {
          sg += g!.data[at(o, j, i)]!;
          sgx += g!.data[at(o, j, i)]! * (x!.data[at(o, j, i)]! - m) * s;
        }
      const scale = (col(gamma!, j) * s) / N;
      for (let o = 0; o < outer; o++)
        for (let i = 0; i < inner; i++) {
          const k = at(o, j, i);
          const xhat = (x!.data[k]! - m) * s;
          out[k] = scale * (N * g!.data[k]! - sg - xhat * sgx);
        }
    }
    return out;
  },
});

/** The axes batch statistics reduce over: every axis but the channels' (axis 1). */
export function batchAxes(x: Node): number[] {
  return x.shape.map((_, i) => i).filter((i) => i !== 1);
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
