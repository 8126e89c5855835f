// The built-in layers. They create params (and state) named after the binding, through the
// statement's LayerNamer, and build different graphs for training and inference where needed.
import {
  displayName,
  setRole,
  shapeToString,
  type Dim,
  type Node,
  type Shape,
} from "../ir/node.ts";
import {
  add,
  batchAxes,
  c,
  div,
  dropoutMask,
  mean,
  mul,
  param,
  reshape,
  sqrt,
  state,
  sub,
} from "../ops/index.ts";
import { sizeOf } from "../ops/op.ts";
import type { Expr, Pos } from "./ast.ts";
import {
  addParam,
  addState,
  apply,
  inferMode,
  Fail,
  POISON,
  requireStatic,
  type Cx,
  type Val,
} from "./context.ts";
import { evalArgs, init, number, tensor } from "./args.ts";
import { matmulAny } from "./exprs.ts";
import { resolveInit, type ParsedInit } from "./types.ts";

type CallExpr = Extract<Expr, { kind: "call" }>;

/** Creates (or finds again, in the second mode) the param `name`. */
export function makeParam(cx: Cx, name: string, shape: Shape, parsed: ParsedInit, at: Pos): Node {
  const fixed = requireStatic(`the param \`${name}\``, shape);
  const init = resolveInit(
    parsed,
    sizeOf(fixed),
    `the param \`${name}\` (${shapeToString(fixed)})`,
  );
  return addParam(cx, name, param(name, fixed), init, at);
}

function makeState(cx: Cx, name: string, shape: Shape, init: number, at: Pos): Node {
  const fixed = requireStatic(`the state \`${name}\``, shape);
  return addState(cx, name, state(name, fixed), init, at);
}

/** The last dimension of x, which a layer's params are sized by; it must be a fixed size. */
function features(layer: string, x: Node, ranks: string): number {
  const last: Dim | undefined = x.shape[x.shape.length - 1];
  if (last === undefined)
    throw new Fail("NN3008", `\`${layer}\` needs x of shape ${ranks}, got a scalar`);
  if (typeof last !== "number")
    throw new Fail(
      "NN3007",
      `\`${layer}\` needs a fixed size for the last dimension of x, got ${shapeToString(x.shape)}`,
    );
  return last;
}

function check(ok: boolean, message: string): void {
  if (!ok) throw new Fail("NN3005", message);
}

/**
 * dense(x, units, init?) = x @ W + b with W: [in, units] (glorot by default), b: [units] zeros,
 * over the last axis of x (of each position of a sequence, as PyTorch's Linear).
 */
export function dense(call: CallExpr, cx: Cx): Val {
  const args = evalArgs(cx, "dense", [tensor("x"), number("units"), init("init")], call);
  if (!args) return POISON;
  return apply(cx, call.at, () => {
    const [x, units] = [args.t("x"), args.n("units")];
    check(
      Number.isInteger(units) && units >= 1,
      `\`units\` of \`dense\` must be a positive integer, got ${units}`,
    );
    const k = features("dense", x, "[k], [n, k] or [..., k]");
    const prefix = cx.namer.next("dense");
    const W = makeParam(
      cx,
      `${prefix}.W`,
      [k, units],
      args.init("init") ?? { kind: "glorot" },
      call.at,
    );
    const b = makeParam(cx, `${prefix}.b`, [units], { kind: "zeros" }, call.at);
    // the pre-activation: `h_pre` of `h = x |> dense(4) |> relu`
    return setRole(add(matmulAny(x, W), b), `${cx.namer.base}_pre`);
  });
}

/**
 * batchnorm(x, momentum, eps) per channel, the axis after the batch (the features of [n, c], the
 * channels of [n, c, h, w], as PyTorch's BatchNorm1d and BatchNorm2d), over every other axis.
 * Training normalizes with the batch statistics and updates the running ones (biased variance);
 * inference uses the running ones.
 */
export function batchnorm(call: CallExpr, cx: Cx): Val {
  const specs = [tensor("x"), number("momentum", 0.9), number("eps", 1e-5)];
  const args = evalArgs(cx, "batchnorm", specs, call);
  if (!args) return POISON;
  return apply(cx, call.at, () => {
    const [x, m, eps] = [args.t("x"), args.n("momentum"), args.n("eps")];
    check(m >= 0 && m <= 1, `\`momentum\` of \`batchnorm\` must be in [0, 1], got ${m}`);
    check(eps > 0, `\`eps\` of \`batchnorm\` must be positive, got ${eps}`);
    const rank = x.shape.length;
    if (rank < 2)
      throw new Fail(
        "NN3008",
        `\`batchnorm\` needs x of shape [n, c] or [n, c, h, w] (a batch), got ${shapeToString(x.shape)}`,
      );
    const C = x.shape[1]!;
    if (typeof C !== "number")
      throw new Fail(
        "NN3007",
        `\`batchnorm\` needs a fixed size for the channels (axis 1) of x, got ${shapeToString(x.shape)}`,
      );
    const prefix = cx.namer.next("batchnorm");
    // a per-channel vector [C] seen against x: [C] for [n, c], [C, 1, 1] for [n, c, h, w]
    const perChannel = (v: Node) => reshape(v, [C, ...x.shape.slice(2).map(() => 1)]);
    const gamma = makeParam(cx, `${prefix}.gamma`, [C], { kind: "ones" }, call.at);
    const beta = makeParam(cx, `${prefix}.beta`, [C], { kind: "zeros" }, call.at);
    const rm = makeState(cx, `${prefix}.running_mean`, [C], 0, call.at);
    const rv = makeState(cx, `${prefix}.running_var`, [C], 1, call.at);
    const role = (node: Node, what: string) => setRole(node, `${cx.namer.base}_${what}`);
    const scale = (centered: Node, variance: Node) => {
      const std = role(sqrt(add(variance, c(eps))), "std");
      const norm = role(div(centered, std), "norm");
      return role(add(mul(perChannel(gamma), norm), perChannel(beta)), "bn");
    };
    if (inferMode(cx.m)) return scale(sub(x, perChannel(rm)), perChannel(rv));
    const axes = batchAxes(x);
    const mu = role(mean(x, axes, true), "mean");
    const xc = role(sub(x, mu), "centered");
    const v = role(mean(mul(xc, xc), axes, true), "var");
    // running <- m * running + (1 - m) * batch statistic
    const update = (running: Node, stat: Node) =>
      add(mul(c(m), running), mul(c(1 - m), reshape(stat, [C])));
    for (const [name, node] of [
      [`${prefix}.running_mean`, update(rm, mu)],
      [`${prefix}.running_var`, update(rv, v)],
    ] as const) {
      cx.m.stateUpdates.push({ name, node });
      cx.m.touched.push(node);
    }
    return scale(xc, v);
  });
}

/** dropout(x, rate): x times a fresh keep-mask (scaled by 1/(1-rate)) in training, x otherwise. */
export function dropout(call: CallExpr, cx: Cx): Val {
  const args = evalArgs(cx, "dropout", [tensor("x"), number("rate")], call);
  if (!args) return POISON;
  return apply(cx, call.at, () => {
    const [x, rate] = [args.t("x"), args.n("rate")];
    check(rate >= 0 && rate < 1, `\`rate\` of \`dropout\` must be in [0, 1), got ${rate}`);
    if (inferMode(cx.m)) return x;
    const where = `${cx.m.file}:${call.at.line}:${call.at.col}`;
    const id = cx.frame.prefix ? `${where}:${cx.frame.prefix}` : where;
    const of = displayName(x) ?? cx.namer.base;
    return setRole(mul(x, setRole(dropoutMask(x.shape, rate, id), `${of}_mask`)), `${of}_dropped`);
  });
}
