// The elementwise parts of the per-example losses. Probabilities are clamped to [EPS, 1] inside
// the logarithms, so a saturated prediction gives a large finite loss rather than NaN. Lowering
// reduces them over the last axis: bce's mean, cross-entropy's sum.
import type { Node } from "../ir/node.ts";
import { binaryOp, unaryOp } from "./elementwise.ts";
import { make } from "./op.ts";
import { mul } from "./arith.ts";

export const EPS = 1e-12;
const clampLog = (p: number) => Math.log(Math.max(p, EPS));

/** bce(p, y) = -(y ln p + (1-y) ln(1-p)) */
export const bceOp = binaryOp({
  name: "bce",
  fn: ([p, y]) => -(y! * clampLog(p!) + (1 - y!) * clampLog(1 - p!)),
  emit: ([p, y]) =>
    `-(${y} * Math.log(Math.max(${p}, ${EPS})) + (1 - ${y}) * Math.log(Math.max(1 - ${p}, ${EPS})))`,
  grad: (g, out) => {
    const [p, y] = out.inputs as [Node, Node];
    return [mul(g, make(bceDpOp, [p, y])), mul(g, make(bceDyOp, [p]))];
  },
});

/** d bce / dp = (p - y) / (p (1 - p)) */
export const bceDpOp = binaryOp({
  name: "bce_dp",
  fn: ([p, y]) => (p! - y!) / Math.max(p! * (1 - p!), EPS),
  emit: ([p, y]) => `(${p} - ${y}) / Math.max(${p} * (1 - ${p}), ${EPS})`,
});

/** d bce / dy = ln(1 - p) - ln p */
export const bceDyOp = unaryOp({
  name: "bce_dy",
  fn: ([p]) => clampLog(1 - p!) - clampLog(p!),
  emit: ([p]) => `Math.log(Math.max(1 - ${p}, ${EPS})) - Math.log(Math.max(${p}, ${EPS}))`,
});

/** xent(p, y) = -y ln p, summed over classes by lowering */
export const xentOp = binaryOp({
  name: "xent",
  fn: ([p, y]) => (y! === 0 ? 0 : -y! * clampLog(p!)),
  emit: ([p, y]) => `${y} === 0 ? 0 : -${y} * Math.log(Math.max(${p}, ${EPS}))`,
  grad: (g, out) => {
    const [p, y] = out.inputs as [Node, Node];
    return [mul(g, make(xentDpOp, [p, y])), mul(g, make(xentDyOp, [p]))];
  },
});

/** d xent / dp = -y / p */
export const xentDpOp = binaryOp({
  name: "xent_dp",
  fn: ([p, y]) => -y! / Math.max(p!, EPS),
  emit: ([p, y]) => `-${y} / Math.max(${p}, ${EPS})`,
});

/** d xent / dy = -ln p */
export const xentDyOp = unaryOp({
  name: "xent_dy",
  fn: ([p]) => -clampLog(p!),
  emit: ([p]) => `-Math.log(Math.max(${p}, ${EPS}))`,
});

export const bce = (p: Node, y: Node): Node => make(bceOp, [p, y]);
export const xent = (p: Node, y: Node): Node => make(xentOp, [p, y]);
