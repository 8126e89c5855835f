// The causal mask of self-attention: the entries above the diagonal of the last two axes (a
// position looking at a later one) set to -infinity, so that softmax gives them weight 0 exactly.
// Its gradient passes the upstream gradient below and on the diagonal and 0 above it: the same
// op with fill "zero".
import { shapeToString, type Node } from "../ir/node.ts";
import { defineOp, make, ShapeError, sizeOf, type OpDef } from "./op.ts";
import { PREC } from "./notation.ts";

export const causalMaskOp: OpDef = defineOp({
  name: "causal_mask",
  kind: "special",
  arity: 1,
  notation: ([s], attrs) => ({
    text: attrs["fill"] === "zero" ? `causal_mask(${s!.text}, fill: 0)` : `causal_mask(${s!.text})`,
    prec: PREC.primary,
  }),
  shape: ([s]) => {
    if (s!.length < 2)
      throw new ShapeError(
        `causal_mask needs scores of at least [T, T] (a row per position), got ${shapeToString(s!)}`,
        "NN3008",
      );
    return s!;
  },
  evaluate: ([s], attrs, outShape) => {
    const [T, U] = outShape.slice(-2) as [number, number];
    const fill = attrs["fill"] === "zero" ? 0 : -Infinity;
    const out = Float64Array.from(s!.data);
    for (let b = 0; b < sizeOf(outShape) / (T * U); b++)
      for (let i = 0; i < T; i++) for (let j = i + 1; j < U; j++) out[(b * T + i) * U + j] = fill;
    return out;
  },
  grad: (g) => [make(causalMaskOp, [g], { fill: "zero" })],
});

export const causalMask = (s: Node): Node => make(causalMaskOp, [s], { fill: "-inf" });
