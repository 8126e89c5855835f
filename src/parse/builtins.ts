// The built-in functions: each is a signature and a builder over the ops. Layers (which create
// params) live in layers.ts; per-example losses reduce over the last axis here.
import { shapeToString, sameShape, type Node } from "../ir/node.ts";
import * as ops from "../ops/index.ts";
import { normAxis, ShapeError } from "../ops/op.ts";
import type { Expr } from "./ast.ts";
import { apply, originAt, POISON, report, toNode, type Cx, type Val } from "./context.ts";
import { define, type Builtin } from "./define.ts";
import { lowerExpr } from "./exprs.ts";
import { axes, number, tensor } from "./args.ts";
import { batchnorm, dense, dropout } from "./layers.ts";
import { dimOf } from "./types.ts";
import { flattenBuiltin, reshapeBuiltin, transposeBuiltin } from "./reshape.ts";
import {
  causalMaskBuiltin,
  crossEntropyOfClasses,
  embedding,
  gatherBuiltin,
  geluBuiltin,
  layernormLayer,
} from "./sequence.ts";
import { isInt } from "../ops/leaves.ts";
import {
  avgPool2dBuiltin,
  conv2dBuiltin,
  globalAvgPoolBuiltin,
  isConvLayer,
  maxPool2dBuiltin,
} from "./images.ts";

type CallExpr = Extract<Expr, { kind: "call" }>;
export type { Builtin } from "./define.ts";

const unary = (name: string, f: (x: Node) => Node) =>
  define(name, [tensor("x")], (a) => f(a.t("x")));

function reduction(name: string, f: (x: Node, axes?: number[]) => Node): Builtin {
  return define(name, [tensor("x"), axes("axis")], (a) => {
    const x = a.t("x");
    const given = a.axes("axis");
    const norm = given?.map((ax) => normAxis(ax, x.shape.length));
    return f(x, norm && [...new Set(norm)]);
  });
}

/** The last axis of a per-example loss, or none for scalars. */
function lastAxis(x: Node): number[] {
  return x.shape.length === 0 ? [] : [x.shape.length - 1];
}

function loss(
  name: string,
  f: (p: Node, y: Node) => Node,
  first = "p",
  labels?: readonly number[],
): Builtin {
  return define(name, [tensor(first), tensor("y")], (a, cx, call) => {
    const [p, y] = [a.t(first), a.t("y")];
    // integer classes, one per line: the probability of each line's class
    if (name === "cross_entropy" && isInt(y)) return crossEntropyOfClasses(p, y);
    if (!sameShape(p.shape, y.shape))
      throw new ShapeError(
        `\`${name}\` needs ${first} and y of the same shape: ${first} is ${shapeToString(p.shape)}, y is ${shapeToString(y.shape)}`,
      );
    if (labels) noteLabels(cx, y, labels, name, call);
    return f(p, y);
  });
}

/**
 * Records that the target `y` (if it is one) must hold `values` (bce: 0 or 1, hinge: -1 or +1),
 * checked cell by cell when data is read (train/labels.ts, targetRule).
 */
function noteLabels(cx: Cx, y: Node, values: readonly number[], by: string, call: CallExpr): void {
  if (y.op !== "input" || y.attrs["role"] !== "target") return;
  const target = y.attrs["name"] as string;
  if (!cx.m.leaves.labels.has(target))
    cx.m.leaves.labels.set(target, { target, values, by, origin: originAt(cx.m, call.at) });
}

const sq = (x: Node) => ops.pow(x, ops.c(2));
/** max(0, 1 - y score): the margin's shortfall, 0 once y score >= 1 */
const shortfall = (s: Node, y: Node) => ops.relu(ops.sub(ops.c(1), ops.mul(y, s)));
const signs = [-1, 1];
const bits = [0, 1];

/** l2(A, B, ...): the sum of the squares of every element of every argument (no 1/2). */
function l2(call: CallExpr, cx: Cx): Val {
  const named = call.args.find((a) => a.name !== null);
  if (named || call.args.length === 0) {
    report(
      cx.m,
      "NN2004",
      named?.at ?? call.at,
      "`l2` takes one or more tensors and nothing else: `l2(W1, W2, ...)`",
    );
    return POISON;
  }
  const terms = call.args.map((a) => lowerExpr(a.value, cx));
  if (terms.includes(POISON)) return POISON;
  return apply(cx, call.at, () =>
    terms.map((t) => ops.sum(sq(toNode(t as Node | number)))).reduce((a, b) => ops.add(a, b)),
  );
}

export const builtins = new Map<string, Builtin>([
  ["exp", unary("exp", ops.exp)],
  ["log", unary("log", ops.log)],
  ["sqrt", unary("sqrt", ops.sqrt)],
  ["abs", unary("abs", ops.abs)],
  ["tanh", unary("tanh", ops.tanh)],
  ["sigmoid", unary("sigmoid", ops.sigmoid)],
  ["relu", unary("relu", ops.relu)],
  ["softplus", unary("softplus", ops.softplus)],
  ["step", unary("step", ops.step)],
  [
    "leaky_relu",
    define("leaky_relu", [tensor("x"), number("alpha", 0.01)], (a) =>
      ops.leakyRelu(a.t("x"), a.n("alpha")),
    ),
  ],
  ["elu", define("elu", [tensor("x"), number("alpha", 1)], (a) => ops.elu(a.t("x"), a.n("alpha")))],
  ["sum", reduction("sum", (x, ax) => ops.sum(x, ax))],
  ["mean", reduction("mean", (x, ax) => ops.mean(x, ax))],
  ["max", reduction("max", (x, ax) => ops.max(x, ax))],
  ["transpose", transposeBuiltin],
  ["reshape", reshapeBuiltin],
  ["flatten", flattenBuiltin],
  ["conv2d", conv2dBuiltin],
  ["max_pool2d", maxPool2dBuiltin],
  ["avg_pool2d", avgPool2dBuiltin],
  ["global_avg_pool", globalAvgPoolBuiltin],
  ["embedding", embedding],
  ["gather", gatherBuiltin],
  ["layernorm", layernormLayer],
  ["gelu", geluBuiltin],
  ["causal_mask", causalMaskBuiltin],
  [
    "softmax",
    define("softmax", [tensor("x"), number("axis", -1)], (a) => ops.softmax(a.t("x"), a.n("axis"))),
  ],
  [
    "log_softmax",
    define("log_softmax", [tensor("x"), number("axis", -1)], (a) =>
      ops.logSoftmax(a.t("x"), a.n("axis")),
    ),
  ],
  ["mse", loss("mse", (p, y) => ops.mean(sq(ops.sub(p, y)), lastAxis(p)))],
  // Nielsen's quadratic cost of one example, C = 1/2 |y - a|^2: half the sum over the last axis
  [
    "quadratic",
    loss("quadratic", (a, y) => ops.mul(ops.c(0.5), ops.sum(sq(ops.sub(a, y)), lastAxis(a))), "a"),
  ],
  ["hinge", loss("hinge", (s, y) => ops.mean(shortfall(s, y), lastAxis(s)), "score", signs)],
  [
    "squared_hinge",
    loss("squared_hinge", (s, y) => ops.mean(sq(shortfall(s, y)), lastAxis(s)), "score", signs),
  ],
  ["l2", l2],
  ["bce", loss("bce", (p, y) => ops.mean(ops.bce(p, y), lastAxis(p)), "p", bits)],
  ["cross_entropy", loss("cross_entropy", (p, y) => ops.sum(ops.xent(p, y), lastAxis(p)))],
  ["dim", dimBuiltin],
  ["dense", dense],
  ["batchnorm", batchnorm],
  ["dropout", dropout],
]);

/** `dim(x, i)` in an expression: a number, or the run-time size of a named dimension. */
function dimBuiltin(call: CallExpr, cx: Cx): Val {
  const d = dimOf(cx, call);
  if (d === null) return POISON;
  return typeof d === "number" ? d : apply(cx, call.at, () => ops.dimsize([d]));
}

/** The built-ins that create params or state; with user blocks, they name params by the binding. */
export const layerNames = new Set(["dense", "batchnorm", "conv2d", "embedding", "layernorm"]);

/** Whether a call of a built-in creates params: conv2d does as a layer, not as the primitive. */
export function isLayerCall(call: CallExpr, numberName: (name: string) => boolean): boolean {
  if (call.callee === "conv2d") return isConvLayer(call, numberName);
  return layerNames.has(call.callee);
}
