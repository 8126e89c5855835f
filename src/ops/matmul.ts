// The matrix product with NumPy's matmul semantics on the last two axes: [..., m, k] @ [..., k, n]
// -> [..., m, n], the leading (batch) axes broadcast; either operand optionally read transposed
// (its last two axes swapped: the backward pass needs A^T g and g B^T, and reading the operand
// transposed avoids materializing the transpose). With `fold`, both operands share their leading
// axes and the result sums the products over them: sum_b A[b]' B[b]' -> [m, n] (the weight
// gradient of a dense layer applied to every position of a sequence).
import {
  sameShape,
  shapeToString,
  type Attrs,
  type Dim,
  type Node,
  type Shape,
} from "../ir/node.ts";
import { broadcastShapes, broadcastStrides, defineOp, make, ShapeError, sizeOf } from "./op.ts";
import { operand, PREC } from "./notation.ts";

/** The matrix sizes of a product and its batch: out = [...batch, m, n] (without `fold`). */
export interface ProductShape {
  batch: Dim[];
  m: Dim;
  k: Dim;
  n: Dim;
}

export function productShape(a: Shape, b: Shape, attrs: Attrs): ProductShape {
  if (a.length < 2 || b.length < 2)
    throw new ShapeError(
      `\`@\` needs matrices (or batches of them) here, got ${shapeToString(a)} and ${shapeToString(b)}`,
    );
  const last2 = (s: Shape, t: boolean): [Dim, Dim] => {
    const [r, c] = [s[s.length - 2]!, s[s.length - 1]!];
    return t ? [c, r] : [r, c];
  };
  const [m, k1] = last2(a, attrs["ta"] === true);
  const [k2, n] = last2(b, attrs["tb"] === true);
  if (k1 !== k2)
    throw new ShapeError(
      `\`@\` needs the inner sizes to agree: the left side is ${shapeToString(a)}, ` +
        `the right side is ${shapeToString(b)} (${k1} vs ${k2})`,
      "NN3003",
    );
  const [ba, bb] = [a.slice(0, -2), b.slice(0, -2)];
  if (attrs["fold"] === true && !sameShape(ba, bb))
    throw new Error("internal: a folded product needs the same leading axes on both sides");
  let batch: Dim[];
  try {
    batch = [...broadcastShapes(ba, bb)];
  } catch {
    throw new ShapeError(
      `\`@\` needs the batch axes (all but the last two) to broadcast: ` +
        `the left side is ${shapeToString(a)}, the right side is ${shapeToString(b)}`,
      "NN3003",
    );
  }
  return { batch, m, k: k1, n };
}

export const matmulOp = defineOp({
  name: "matmul",
  kind: "special",
  // `transpose(x) @ d_h`: the stored operand, read transposed
  notation: ([a, b], attrs, node) => {
    const swap = (x: Node | undefined) =>
      x && x.shape.length > 2
        ? `, [${[...x.shape.keys()].slice(0, -2).join(", ")}, ${x.shape.length - 1}, ${x.shape.length - 2}]`
        : "";
    const left =
      attrs["ta"] === true
        ? `transpose(${a!.text}${swap(node?.inputs[0])})`
        : operand(a!, PREC.product);
    const right =
      attrs["tb"] === true
        ? `transpose(${b!.text}${swap(node?.inputs[1])})`
        : operand(b!, PREC.product + 1);
    const product = `${left} @ ${right}`;
    if (attrs["fold"] !== true) return { text: product, prec: PREC.product };
    const axes = (node?.inputs[0]?.shape.length ?? 3) - 2;
    const over = axes === 1 ? "0" : `[${[...Array(axes).keys()].join(", ")}]`;
    return { text: `sum(${product}, axis: ${over})`, prec: PREC.primary };
  },
  arity: 2,
  shape: ([a, b], attrs) => {
    const p = productShape(a!, b!, attrs);
    return attrs["fold"] === true ? [p.m, p.n] : [...p.batch, p.m, p.n];
  },
  evaluate: ([a, b], attrs, outShape) => {
    const ta = attrs["ta"] === true;
    const tb = attrs["tb"] === true;
    const [ra, rb] = [a!.shape.length, b!.shape.length];
    const k = a!.shape[ta ? ra - 2 : ra - 1]!;
    const [m, n] = outShape.slice(-2) as [number, number];
    const fold = attrs["fold"] === true;
    const batch = fold ? a!.shape.slice(0, -2) : outShape.slice(0, -2);
    // each operand's offset for a batch index (0 along the axes it broadcasts)
    const strideA = broadcastStrides(a!.shape.slice(0, -2), batch).map((s) => s * m * k);
    const strideB = broadcastStrides(b!.shape.slice(0, -2), batch).map((s) => s * k * n);
    const out = new Float64Array(sizeOf(outShape));
    const count = sizeOf(batch);
    const index = new Array<number>(batch.length).fill(0);
    for (let t = 0; t < count; t++) {
      const oa = index.reduce((acc, v, d) => acc + v * strideA[d]!, 0);
      const ob = index.reduce((acc, v, d) => acc + v * strideB[d]!, 0);
      const oc = fold ? 0 : t * m * n;
      for (let i = 0; i < m; i++)
        for (let j = 0; j < n; j++) {
          let s = 0;
          for (let p = 0; p < k; p++) {
            const x = a!.data[oa + (ta ? p * m + i : i * k + p)]!;
            const y = b!.data[ob + (tb ? j * k + p : p * n + j)]!;
            s += x * y;
          }
          out[oc + i * n + j] = out[oc + i * n + j]! + s;
        }
      for (let d = batch.length - 1; d >= 0; d--) {
        if (++index[d]! < batch[d]!) break;
        index[d] = 0;
      }
    }
    return out;
  },
  // C = A'B' with A' = op(A), B' = op(B): dA' = g B'^T, dB' = A'^T g, transposed back where needed
  // (a broadcast operand's share is summed over the batch by autodiff's sumTo; a folded product's
  // g is one matrix for the whole batch, which the products broadcast)
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

/** sum over the shared leading axes of the batched product a' @ b' (both have them all). */
export function foldedMatmul(a: Node, b: Node, ta: boolean, tb: boolean): Node {
  return make(matmulOp, [a, b], { ta, tb, fold: true });
}
