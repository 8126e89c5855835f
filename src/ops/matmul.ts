// The matrix product of two matrices, either of them optionally transposed (the backward pass
// needs A^T g and g B^T; reading the operand transposed avoids materializing the transpose).
import { shapeToString, type Node } from "../ir/node.ts";
import { defineOp, make, ShapeError } from "./op.ts";
import { operand, PREC } from "./notation.ts";

export const matmulOp = defineOp({
  name: "matmul",
  kind: "special",
  // `transpose(x) @ d_h`: the stored operand, read transposed
  notation: ([a, b], attrs) => {
    const left = attrs["ta"] === true ? `transpose(${a!.text})` : operand(a!, PREC.product);
    const right = attrs["tb"] === true ? `transpose(${b!.text})` : operand(b!, PREC.product + 1);
    return { text: `${left} @ ${right}`, prec: PREC.product };
  },
  arity: 2,
  shape: ([a, b], attrs) => {
    if (a!.length !== 2 || b!.length !== 2)
      throw new ShapeError(
        `\`@\` needs matrices here, got ${shapeToString(a!)} and ${shapeToString(b!)}`,
      );
    const [m, k1] = attrs["ta"] ? [a![1]!, a![0]!] : [a![0]!, a![1]!];
    const [k2, n] = attrs["tb"] ? [b![1]!, b![0]!] : [b![0]!, b![1]!];
    if (k1 !== k2)
      throw new ShapeError(
        `\`@\` needs the inner sizes to agree: the left side is ${shapeToString(a!)}, ` +
          `the right side is ${shapeToString(b!)} (${k1} vs ${k2})`,
        "NN3003",
      );
    return [m, n];
  },
  evaluate: ([a, b], attrs, [m, n]) => {
    const ta = attrs["ta"] === true;
    const tb = attrs["tb"] === true;
    const k = ta ? a!.shape[0]! : a!.shape[1]!;
    const A = (i: number, p: number) => (ta ? a!.data[p * m! + i]! : a!.data[i * k + p]!);
    const B = (p: number, j: number) => (tb ? b!.data[j * k + p]! : b!.data[p * n! + j]!);
    const out = new Float64Array(m! * n!);
    for (let i = 0; i < m!; i++)
      for (let j = 0; j < n!; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += A(i, p) * B(p, j);
        out[i * n! + j] = s;
      }
    return out;
  },
  // C = A'B' with A' = op(A), B' = op(B): dA' = g B'^T, dB' = A'^T g, transposed back where needed
  grad: (g, out) => {
    const [a, b] = out.inputs as [Node, Node];
    const ta = out.attrs["ta"] === true;
    const tb = out.attrs["tb"] === true;
    const da = ta ? matmul(b, g, tb, true) : matmul(g, b, false, !tb);
    const db = tb ? matmul(g, a, true, ta) : matmul(a, g, !ta, false);
    return [da, db];
  },
});

export function matmul(a: Node, b: Node, ta = false, tb = false): Node {
  return make(matmulOp, [a, b], { ta, tb });
}
