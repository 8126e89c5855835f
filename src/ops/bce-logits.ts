// bce on logits: bce(sigmoid(z), y) computed from z without forming the probability, so that
// logits of any size give a finite loss and gradient.
import type { Node } from "../ir/node.ts";
import { binaryOp } from "./elementwise.ts";
import { make } from "./op.ts";
import { mul, neg, sub } from "./arith.ts";
import { sigmoid } from "./activations.ts";
import { PREC } from "./notation.ts";

/** -(y ln s + (1-y) ln(1-s)) with s = sigmoid(z) = max(z, 0) - z y + ln(1 + e^-|z|) */
export const bceLogitsOp = binaryOp({
  name: "bce_logits",
  notation: ([z, y]) => ({ text: `bce(sigmoid(${z!.text}), ${y!.text})`, prec: PREC.primary }),
  gradNote: "sigmoid + bce fused on the logits: d_z = sigmoid(z) - y",
  fn: ([z, y]) => Math.max(z!, 0) - z! * y! + Math.log1p(Math.exp(-Math.abs(z!))),
  emit: ([z, y]) => `Math.max(${z}, 0) - ${z} * ${y} + Math.log1p(Math.exp(-Math.abs(${z})))`,
  // d/dz = sigmoid(z) - y, d/dy = -z
  grad: (g, out) => {
    const [z, y] = out.inputs as [Node, Node];
    return [mul(g, sub(sigmoid(z), y)), mul(g, neg(z))];
  },
});

export const bceLogits = (z: Node, y: Node): Node => make(bceLogitsOp, [z, y]);
