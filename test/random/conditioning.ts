// Where a sample's values can be compared at all, read off the reference's own evaluation of the
// lowered graph. Two ways for rounding to decide more than the last digits:
// - a kink: relu, leaky_relu, abs, elu or step of a number next to 0, or max with two candidates
//   next to a tie (`sigmoid(-a)` and `1 - sigmoid(a)` tie exactly). There the loss is not
//   differentiable, and a rounding on either side picks another subgradient (or step's value);
// - a logarithm (log, bce, cross_entropy) of a number next to 0, or bce of p next to 1: the plain
//   form has lost digits to cancellation (1 - sigmoid(z) for a large z) that a fused form keeps.
// Each is measured relative to the scale of the tensor, so that the callers can set thresholds
// per float type.
import type { Node } from "../../src/ir/node.ts";
import { toposort } from "../../src/ir/toposort.ts";
import type { Tensor } from "../../src/ops/index.ts";

export interface Conditioning {
  /** the smallest distance of a kink's argument from 0, or of a max from a tie, over the scale */
  kink: number;
  /** the smallest argument of a logarithm (or 1 - p of bce), with the op that takes it */
  logFloor: { value: number; op?: string };
}

const KINKS = new Set(["relu", "leaky_relu", "abs", "elu", "step"]);
const LOGS = new Set(["log", "bce", "xent"]);

export function conditioning(loss: Node, values: ReadonlyMap<Node, Tensor>): Conditioning {
  const out: Conditioning = { kink: Infinity, logFloor: { value: Infinity } };
  for (const node of toposort([loss])) {
    const x = values.get(node.inputs[0]!);
    if (!x) continue;
    if (KINKS.has(node.op)) out.kink = Math.min(out.kink, nearZero(x.data));
    if (node.op === "max")
      out.kink = Math.min(out.kink, nearTie(x, node.attrs["axes"] as number[]));
    if (!LOGS.has(node.op)) continue;
    for (const p of x.data) {
      const arg = node.op === "bce" ? Math.min(p, 1 - p) : p;
      if (arg < out.logFloor.value) out.logFloor = { value: arg, op: node.op };
    }
  }
  return out;
}

function scaleOf(data: ArrayLike<number>): number {
  let scale = 1;
  for (let i = 0; i < data.length; i++) scale = Math.max(scale, Math.abs(data[i]!));
  return scale;
}

function nearZero(data: Float64Array): number {
  const scale = scaleOf(data);
  return Math.min(...Array.from(data, (v) => Math.abs(v) / scale));
}

/** The smallest gap between the largest and the second largest of a group that max reduces. */
function nearTie(x: Tensor, axes: number[]): number {
  const strides = x.shape.map((_, i) => x.shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const groups = new Map<number, [number, number]>();
  x.data.forEach((v, flat) => {
    // the group: the index with the reduced axes' coordinates left out
    let key = 0;
    x.shape.forEach((d, i) => {
      if (!axes.includes(i)) key = key * d + (Math.floor(flat / strides[i]!) % d);
    });
    const [top, second] = groups.get(key) ?? [-Infinity, -Infinity];
    groups.set(key, v > top ? [v, top] : [top, Math.max(second, v)]);
  });
  const scale = scaleOf(x.data);
  let gap = Infinity;
  for (const [top, second] of groups.values())
    if (second > -Infinity) gap = Math.min(gap, (top - second) / scale);
  return gap;
}
