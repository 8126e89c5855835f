// The image built-ins (NCHW): conv2d as a layer, `conv2d(6, kernel: 5)`, which makes its params
// W: [out, in / groups, kh, kw] (he) and b: [out] (zeros), and as the primitive over tensors the
// user gives, `conv2d(x, W, b)`, the same op; max_pool2d, avg_pool2d and global_avg_pool.
import { setRole, shapeToString, type Node } from "../ir/node.ts";
import * as ops from "../ops/index.ts";
import { requireImages, type Window } from "../ops/conv.ts";
import { ShapeError } from "../ops/op.ts";
import type { Expr } from "./ast.ts";
import { apply, Fail, POISON, type Cx, type Val } from "./context.ts";
import {
  evalArgs,
  flag,
  init,
  padding,
  pair,
  tensor,
  type Args,
  type Padding,
  type ParamSpec,
} from "./args.ts";
import { define, type CallExpr } from "./define.ts";
import { makeParam } from "./layers.ts";

/** Explicit sides of a padding; "same" keeps the size at stride 1 (the extra cell at the end, as
 * PyTorch and TensorFlow), and gives ceil(n / stride) cells at a larger stride (TensorFlow's). */
function sides(p: Padding, H: number, W: number, k: [number, number], w: Omit<Window, "pad">) {
  if (p.kind === "sides") return p.sides;
  const total = (n: number, axis: 0 | 1) => {
    const out = Math.ceil(n / w.stride[axis]);
    const span = w.dilation[axis] * (k[axis] - 1) + 1;
    return Math.max((out - 1) * w.stride[axis] + span - n, 0);
  };
  const [th, tw] = [total(H, 0), total(W, 1)];
  const [top, left] = [Math.floor(th / 2), Math.floor(tw / 2)];
  return [top, left, th - top, tw - left] as [number, number, number, number];
}

const windowSpecs: ParamSpec[] = [pair("stride", 1), padding("padding"), pair("dilation", 1)];
const convSpecs: ParamSpec[] = [...windowSpecs, { name: "groups", kind: "number", default: 1 }];

function windowFrom(a: Args, x: Node, k: [number, number], stride?: [number, number]): Window {
  const [, , H, W] = requireImages("conv2d", x.shape);
  const w = { stride: stride ?? a.pair("stride"), dilation: a.pair("dilation") };
  return { ...w, pad: sides(a.padding("padding"), H, W, k, w) };
}

function groupsOf(a: Args): number {
  const g = a.n("groups");
  if (!Number.isInteger(g) || g < 1)
    throw new Fail("NN3005", `\`groups\` of \`conv2d\` must be a positive integer, got ${g}`);
  return g;
}

/** `conv2d(x, W, b?, ...)`: the convolution of tensors the user gives; b is one per channel. */
function primitive(a: Args): Node {
  const [x, W] = [a.t("x"), a.t("W")];
  if (W.shape.length !== 4)
    throw new ShapeError(
      `conv2d needs a kernel W of shape [out, in / groups, kh, kw]; got ${shapeToString(W.shape)}`,
      "NN3008",
    );
  const k = [W.shape[2], W.shape[3]] as [number, number];
  const y = ops.conv2d(x, W, windowFrom(a, x, k), groupsOf(a));
  const b = a.value("b");
  if (b === undefined) return y;
  if (typeof b === "number" || b.shape.length !== 1 || b.shape[0] !== y.shape[1])
    throw new ShapeError(
      `conv2d's bias needs one value per output channel, [${String(y.shape[1])}]; got ${typeof b === "number" ? "a number" : shapeToString(b.shape)}`,
      "NN3001",
    );
  return ops.add(y, ops.reshape(b, [y.shape[1]!, 1, 1]));
}

const primitiveCall = define(
  "conv2d",
  [tensor("x"), tensor("W"), { name: "b", kind: "tensor", optional: true }, ...convSpecs],
  (a) => primitive(a),
);

const layerSpecs: ParamSpec[] = [
  tensor("x"),
  { name: "out", kind: "number" },
  pair("kernel"),
  ...convSpecs,
  flag("bias", true),
  init("init"),
];

/** `conv2d(x, out, kernel: k, ...)`: the layer, params named after the binding. */
function layer(call: CallExpr, cx: Cx): Val {
  const a = evalArgs(cx, "conv2d", layerSpecs, call);
  if (!a) return POISON;
  return apply(cx, call.at, () => {
    const [x, out, k] = [a.t("x"), a.n("out"), a.pair("kernel")];
    if (!Number.isInteger(out) || out < 1)
      throw new Fail("NN3005", `\`out\` of \`conv2d\` must be a positive integer, got ${out}`);
    const [, C] = requireImages("conv2d", x.shape);
    const groups = groupsOf(a);
    if (C % groups !== 0 || out % groups !== 0)
      throw new ShapeError(
        `conv2d with groups: ${groups} needs input and output channels divisible by ${groups}; got ${C} in, ${out} out`,
        "NN3010",
      );
    const window = windowFrom(a, x, k);
    const prefix = cx.namer.next("conv2d");
    const shape = [out, C / groups, k[0], k[1]];
    const W = makeParam(cx, `${prefix}.W`, shape, a.init("init") ?? { kind: "he" }, call.at);
    const y = ops.conv2d(x, W, window, groups);
    if (!a.flag("bias")) return setRole(y, `${cx.namer.base}_pre`);
    const b = makeParam(cx, `${prefix}.b`, [out], { kind: "zeros" }, call.at);
    return setRole(ops.add(y, ops.reshape(b, [out, 1, 1])), `${cx.namer.base}_pre`);
  });
}

/**
 * Whether a conv2d call is the layer (its second argument a number: the output channels) rather
 * than the primitive (a kernel tensor). `numberName` says whether a name stands for a number.
 */
export function isConvLayer(call: CallExpr, numberName: (name: string) => boolean): boolean {
  const second = call.args.filter((a) => a.name === null)[1]?.value;
  const byName = call.args.find((a) => a.name === "out" || a.name === "W");
  if (byName) return byName.name === "out";
  return second !== undefined && isNumeric(second, numberName);
}

function isNumeric(e: Expr, numberName: (name: string) => boolean): boolean {
  switch (e.kind) {
    case "number":
      return true;
    case "name":
      return numberName(e.name);
    case "neg":
      return isNumeric(e.operand, numberName);
    case "binary":
      return isNumeric(e.left, numberName) && isNumeric(e.right, numberName);
    default:
      return false;
  }
}

/** What a name is bound to where the call is (a block sees its own scope only). */
export function valueOf(cx: Pick<Cx, "frame" | "m">, name: string): Val | undefined {
  return (cx.frame.scope.get(name) ?? (cx.frame.block ? undefined : cx.m.root.get(name)))?.value;
}

export function conv2dBuiltin(call: CallExpr, cx: Cx): Val {
  const numberName = (n: string) => typeof valueOf(cx, n) === "number";
  return isConvLayer(call, numberName) ? layer(call, cx) : primitiveCall(call, cx);
}

function pool(name: "max_pool2d" | "avg_pool2d") {
  return define(name, [tensor("x"), pair("kernel"), pair("stride", 0), padding("padding")], (a) => {
    const x = a.t("x");
    const k = a.pair("kernel");
    const given = a.pair("stride");
    const stride: [number, number] = given[0] === 0 ? k : given;
    const [, , H, W] = requireImages(name, x.shape);
    const w = { stride, dilation: [1, 1] as [number, number] };
    const window = { ...w, pad: sides(a.padding("padding"), H, W, k, w) };
    return ops.pool2d(name === "max_pool2d" ? "max" : "avg", x, k, window);
  });
}

export const maxPool2dBuiltin = pool("max_pool2d");
export const avgPool2dBuiltin = pool("avg_pool2d");

/** `global_avg_pool(x)`: the mean of each channel's image, [batch, C, H, W] -> [batch, C]. */
export const globalAvgPoolBuiltin = define("global_avg_pool", [tensor("x")], (a) => {
  const x = a.t("x");
  requireImages("global_avg_pool", x.shape);
  return ops.mean(x, [2, 3]);
});
