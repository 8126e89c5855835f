// The built-ins of sequence models: the embedding layer (a table of `vocab` rows of `dim` numbers,
// W: [vocab, dim], read at integer indices) and its primitive gather(W, idx); the layernorm layer
// (over the last axis, gamma and beta per feature, as PyTorch's LayerNorm); gelu; causal_mask;
// and cross_entropy(p, y) with y the class of each position as an integer.
import { setRole, shapeToString, type Node } from "../ir/node.ts";
import * as ops from "../ops/index.ts";
import { isInt } from "../ops/leaves.ts";
import { ShapeError } from "../ops/op.ts";
import { apply, Fail, POISON, type Cx, type Val } from "./context.ts";
import { evalArgs, init, number, tensor } from "./args.ts";
import { define, type CallExpr } from "./define.ts";
import { makeParam } from "./layers.ts";

function positive(what: string, n: number): number {
  if (!Number.isInteger(n) || n < 1)
    throw new Fail("NN3005", `${what} must be a positive integer, got ${n}`);
  return n;
}

/** embedding(idx, vocab, dim, init: normal(std: 0.02)): the rows of a learned table. */
export function embedding(call: CallExpr, cx: Cx): Val {
  const specs = [tensor("x"), number("vocab"), number("dim"), init("init")];
  const a = evalArgs(cx, "embedding", specs, call);
  if (!a) return POISON;
  return apply(cx, call.at, () => {
    const idx = a.t("x");
    if (!isInt(idx))
      throw new ShapeError(
        "`embedding` reads a table at integer indices: its input must be declared `int` " +
          `(\`input idx: [batch, 16] int\`), got numbers of shape ${shapeToString(idx.shape)}`,
        "NN3011",
      );
    const vocab = positive("`vocab` of `embedding`", a.n("vocab"));
    const dim = positive("`dim` of `embedding`", a.n("dim"));
    const prefix = cx.namer.next("embedding");
    const init = a.init("init") ?? { kind: "normal" as const, mean: 0, std: 0.02 };
    const W = makeParam(cx, `${prefix}.W`, [vocab, dim], init, call.at);
    return ops.gather(W, idx);
  });
}

export const gatherBuiltin = define("gather", [tensor("W"), tensor("idx")], (a) =>
  ops.gather(a.t("W"), a.t("idx")),
);

/**
 * layernorm(x, eps: 1e-5) over the last axis: each row's mean and biased variance, then gamma and
 * beta per feature (ones and zeros). Built from primitives, which the fusion makes one node.
 */
export function layernormLayer(call: CallExpr, cx: Cx): Val {
  const a = evalArgs(cx, "layernorm", [tensor("x"), number("eps", 1e-5)], call);
  if (!a) return POISON;
  return apply(cx, call.at, () => {
    const [x, eps] = [a.t("x"), a.n("eps")];
    if (!(eps > 0))
      throw new Fail("NN3005", `\`eps\` of \`layernorm\` must be positive, got ${eps}`);
    const D = x.shape[x.shape.length - 1];
    if (D === undefined)
      throw new Fail("NN3008", "`layernorm` needs x of shape [..., features], got a scalar");
    if (typeof D !== "number")
      throw new Fail(
        "NN3007",
        `\`layernorm\` needs a fixed size for the last axis of x, got ${shapeToString(x.shape)}`,
      );
    const prefix = cx.namer.next("layernorm");
    const gamma = makeParam(cx, `${prefix}.gamma`, [D], { kind: "ones" }, call.at);
    const beta = makeParam(cx, `${prefix}.beta`, [D], { kind: "zeros" }, call.at);
    const role = (node: Node, what: string) => setRole(node, `${cx.namer.base}_${what}`);
    const last = [x.shape.length - 1];
    const mu = role(ops.mean(x, last, true), "mean");
    const xc = role(ops.sub(x, mu), "centered");
    const v = role(ops.mean(ops.mul(xc, xc), last, true), "var");
    const std = role(ops.sqrt(ops.add(v, ops.c(eps))), "std");
    return role(ops.add(ops.mul(gamma, role(ops.div(xc, std), "norm")), beta), "ln");
  });
}

export const geluBuiltin = define("gelu", [tensor("x")], (a) => ops.gelu(a.t("x")));
export const causalMaskBuiltin = define("causal_mask", [tensor("s")], (a) =>
  ops.causalMask(a.t("s")),
);

/** cross_entropy(p, y) with integer classes y of p's shape without its last axis: -ln p[y]. */
export function crossEntropyOfClasses(p: Node, y: Node): Node {
  return ops.xent(ops.pick(p, y), ops.c(1));
}
