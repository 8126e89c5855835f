// The built-in functions: each is a signature and a builder over the ops. Layers (which create
// params) live in layers.ts; per-example losses reduce over the last axis here.
import { shapeToString, sameShape, type Node } from "../ir/node.ts";
import * as ops from "../ops/index.ts";
import { normAxis, ShapeError } from "../ops/op.ts";
import type { Expr } from "./ast.ts";
import { apply, POISON, type Cx, type Val } from "./context.ts";
import { axes, evalArgs, number, tensor, type Args, type ParamSpec } from "./args.ts";
import { batchnorm, dense, dropout } from "./layers.ts";
import { dimOf } from "./types.ts";

type CallExpr = Extract<Expr, { kind: "call" }>;
export type Builtin = (call: CallExpr, cx: Cx) => Val;

/** A built-in from its signature and a builder; failures are reported at the call. */
export function define(
  name: string,
  specs: ParamSpec[],
  build: (a: Args, cx: Cx, call: CallExpr) => Node,
): Builtin {
  return (call, cx) => {
    const args = evalArgs(cx, name, specs, call);
    return args ? apply(cx, call.at, () => build(args, cx, call)) : POISON;
  };
}

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

function loss(name: string, f: (p: Node, y: Node) => Node): Builtin {
  return define(name, [tensor("p"), tensor("y")], (a) => {
    const [p, y] = [a.t("p"), a.t("y")];
    if (!sameShape(p.shape, y.shape))
      throw new ShapeError(
        `\`${name}\` needs p and y of the same shape: p is ${shapeToString(p.shape)}, y is ${shapeToString(y.shape)}`,
      );
    return f(p, y);
  });
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
  ["transpose", unary("transpose", (x) => ops.transpose(x))],
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
  ["mse", loss("mse", (p, y) => ops.mean(ops.pow(ops.sub(p, y), ops.c(2)), lastAxis(p)))],
  ["bce", loss("bce", (p, y) => ops.mean(ops.bce(p, y), lastAxis(p)))],
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
export const layerNames = new Set(["dense", "batchnorm"]);
