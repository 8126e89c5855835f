// Layer normalization as one node: y = gamma (x - mu) invstd + beta over the last axis, mu and
// invstd each row's own statistics (mean and 1/sqrt(var + eps), biased variance, as PyTorch's
// LayerNorm), gamma and beta per feature. Its gradient is the closed form that accounts for the
// statistics, per row of D features, with dxhat = dy gamma:
//   dx = invstd / D (D dxhat - sum(dxhat) - xhat sum(dxhat xhat)),  xhat = (x - mu) invstd
import type { Node } from "../ir/node.ts";
import { mul as mulOf, sub as subOf } from "./arith.ts";
import { batchnormOp } from "./batchnorm.ts";
import { defineOp, make, sizeOf, type Tensor } from "./op.ts";

export const layernormOp = defineOp({
  ...batchnormOp,
  name: "layernorm",
  grad: (g, out) => {
    const [x, mu, invstd, gamma] = out.inputs as [Node, Node, Node, Node, Node];
    const xhat = mulOf(subOf(x, mu), invstd);
    return [make(layernormDxOp, [g, x, mu, invstd, gamma]), null, null, mulOf(g, xhat), g];
  },
});

/** Element `j` of a per-feature tensor (one value, or one per feature). */
const at = (t: Tensor, j: number) => (t.data.length === 1 ? t.data[0]! : t.data[j]!);

/** dx of a layernorm, from dy (g), x, its rows' mu and invstd, and gamma. */
export const layernormDxOp = defineOp({
  name: "layernorm_dx",
  kind: "special",
  gradNote:
    "layernorm fused: d_x = invstd / D * (D * d_xhat - sum(d_xhat) - x_hat * sum(d_xhat * x_hat)), d_xhat = d_y * gamma, per row",
  arity: 5,
  shape: ([, x]) => x!,
  evaluate: ([g, x, mu, invstd, gamma], _a, outShape) => {
    const D = outShape[outShape.length - 1]!;
    const rows = sizeOf(outShape) / D;
    const out = new Float64Array(rows * D);
    for (let r = 0; r < rows; r++) {
      const [m, s] = [at(mu!, r), at(invstd!, r)];
      let sd = 0;
      let sdx = 0;
      for (let j = 0; j < D; j++) {
        const d = g!.data[r * D + j]! * at(gamma!, j);
        sd += d;
        sdx += d * (x!.data[r * D + j]! - m) * s;
      }
      for (let j = 0; j < D; j++) {
        const d = g!.data[r * D + j]! * at(gamma!, j);
        const xhat = (x!.data[r * D + j]! - m) * s;
        out[r * D + j] = (s / D) * (D * d - sd - xhat * sdx);
      }
    }
    return out;
  },
});

export function layernorm(x: Node, mu: Node, invstd: Node, gamma: Node, beta: Node): Node {
  return make(layernormOp, [x, mu, invstd, gamma, beta]);
}
