// softmax and log_softmax along one axis, both computed with the max subtracted (log-sum-exp).
import type { Attrs, Node } from "../ir/node.ts";
import { defineOp, make, normAxis, sizeOf, type Tensor } from "./op.ts";
import { mul, sub } from "./arith.ts";
import { exp } from "./math.ts";
import { sum } from "./reduce.ts";
import { expand } from "./shape.ts";
import { call, lastAxisArg } from "./notation.ts";

/** Applies `f` to every line along `axis`, as [outer, n, inner]. */
function alongAxis(x: Tensor, attrs: Attrs, f: (line: number[]) => number[]): Float64Array {
  const axis = attrs["axis"] as number;
  const n = x.shape[axis]!;
  const inner = sizeOf(x.shape.slice(axis + 1));
  const outer = sizeOf(x.shape.slice(0, axis));
  const out = new Float64Array(x.data.length);
  for (let o = 0; o < outer; o++)
    for (let i = 0; i < inner; i++) {
      const at = (j: number) => (o * n + j) * inner + i;
      const line = Array.from({ length: n }, (_, j) => x.data[at(j)]!);
      f(line).forEach((v, j) => (out[at(j)] = v));
    }
  return out;
}

function logSumExp(line: number[]): number {
  // a loop, not Math.max(...line): spreading a long line overflows the stack
  const m = line.reduce((a, v) => Math.max(a, v), -Infinity);
  return m + Math.log(line.reduce((s, v) => s + Math.exp(v - m), 0));
}

/** sum(v, axis) broadcast back along the axis */
function sumAlong(v: Node, axis: number): Node {
  return expand(sum(v, [axis], true), v.shape);
}

export const softmaxOp = defineOp({
  name: "softmax",
  kind: "special",
  notation: (args, attrs, node) =>
    call("softmax", lastAxisArg(attrs["axis"] as number, node?.shape.length ?? -1))(args, {}, node),
  arity: 1,
  shape: ([x]) => x!,
  evaluate: ([x], attrs) =>
    alongAxis(x!, attrs, (line) => {
      const lse = logSumExp(line);
      return line.map((v) => Math.exp(v - lse));
    }),
  // ds = s * (g - sum(g * s))
  grad: (g, out) => [mul(out, sub(g, sumAlong(mul(g, out), out.attrs["axis"] as number)))],
});

export const logSoftmaxOp = defineOp({
  name: "log_softmax",
  kind: "special",
  notation: (args, attrs, node) =>
    call("log_softmax", lastAxisArg(attrs["axis"] as number, node?.shape.length ?? -1))(
      args,
      {},
      node,
    ),
  arity: 1,
  shape: ([x]) => x!,
  evaluate: ([x], attrs) =>
    alongAxis(x!, attrs, (line) => {
      const lse = logSumExp(line);
      return line.map((v) => v - lse);
    }),
  // d log_softmax = g - softmax * sum(g)
  grad: (g, out) => [sub(g, mul(exp(out), sumAlong(g, out.attrs["axis"] as number)))],
});

export const softmax = (x: Node, axis = -1): Node =>
  make(softmaxOp, [x], { axis: normAxis(axis, x.shape.length) });
export const logSoftmax = (x: Node, axis = -1): Node =>
  make(logSoftmaxOp, [x], { axis: normAxis(axis, x.shape.length) });
