// Normalization fusions, in the spellings of the `batchnorm` and `layernorm` layers and the
// usual hand-written ones:
//   (x - mu) / sqrt(var + eps), (x - mu) * (var + eps)^-0.5, (x - mu) / (var + eps)^0.5, ...
//     with mu = mean(x) and var = mean((x - mu)^2) over the same axes:
//     every axis but the channels' (axis 1)  -> batchnorm(x, mu, 1/sqrt(var + eps), 1, 0)
//     the last axis                           -> layernorm(x, mu, 1/sqrt(var + eps), 1, 0)
//     (x's own statistics: the closed-form gradient)
//     with per-channel mu and var that are not x's batch statistics (running statistics)
//     -> batchnorm(..., batch: false)  (inference: a plain per-channel affine map)
//   gamma * norm(...) + beta, with gamma and beta per channel (per feature) -> one node
//   batchnorm(x @ W + b) in inference -> (x @ W) s + c, s = gamma invstd, c = (b - mu) s + beta:
//     the normalization folded into the dense layer's weights, on the output side, recomputed
//     per call from the current params and state in O(features).
import { displayName, originOf, setOrigin, setRole, type Node } from "../ir/node.ts";
import { add, batchAxes, batchnorm, c, invStd, layernorm, mul, sub } from "../ops/index.ts";
import { constValue, k, p, P, v, type Bindings } from "./pattern.ts";
import { rules, type RewriteContext, type Rule } from "./rewrite.ts";

const d = P.sub(v("x"), v("m"));
const s = v("s");
const bn = p("batchnorm", [v("x"), v("m"), v("is"), v("g"), v("b")], {}, "bn");
const ln = p("layernorm", [v("x"), v("m"), v("is"), v("g"), v("b")], {}, "bn");

export const fuseBatchnorm: Rule[] = rules([
  ["batchnorm", P.div(d, P.sqrt(s)), normalize], // (x - mu) / sqrt(s)
  ["batchnorm", P.div(d, P.pow(s, k(0.5))), normalize], // (x - mu) / s^0.5
  ["batchnorm", P.mul(d, P.pow(s, k(-0.5))), normalize], // (x - mu) s^-0.5
  ["batchnorm", P.mul(d, P.div(k(1), P.sqrt(s))), normalize], // (x - mu) (1 / sqrt(s))
  ["batchnorm-scale", P.mul(v("gamma"), bn), scale], // gamma bn(x) = bn(x; gamma)
  ["batchnorm-shift", P.add(bn, v("beta")), shift], // bn(x) + beta = bn(x; beta)
  ["layernorm-scale", P.mul(v("gamma"), ln), scale], // gamma ln(x) = ln(x; gamma)
  ["layernorm-shift", P.add(ln, v("beta")), shift], // ln(x) + beta = ln(x; beta)
]);

const dense = P.add(p("matmul", [v("a"), v("W")], {}, "mm"), v("bias"));

export const foldBatchnormIntoDense: Rule[] = rules([
  // bn(xW + bias) = (xW) s + (bias - mu) s + beta, s = gamma invstd
  [
    "batchnorm-into-dense",
    p("batchnorm", [dense, v("m"), v("is"), v("g"), v("b")], { batch: false }),
    intoDense,
  ],
]);

/** Axes as a string for messages. */
const list = (xs: readonly unknown[]) => `[${xs.join(", ")}]`;

/** Which normalization statistics over `axes` of x are: per channel (batch), per row (layer). */
function kindOf(axes: readonly number[], x: Node): "batchnorm" | "layernorm" | null {
  if (list(axes) === list(batchAxes(x))) return "batchnorm";
  if (list(axes) === list([x.shape.length - 1])) return "layernorm";
  return null;
}

/** The axis a normalization keeps apart (its gamma and beta run along it). */
const featureAxis = (op: string, x: Node) => (op === "layernorm" ? x.shape.length - 1 : 1);

/** Whether `vr` is mean((x - mu)^2) over `axes`, mu being x's mean over the same axes. */
function isVarOver(vr: Node, x: Node, axes: readonly number[]): boolean {
  if (vr.op !== "mean" || list(vr.attrs["axes"] as number[]) !== list(axes)) return false;
  const sq = vr.inputs[0]!;
  const base =
    sq.op === "mul" && sq.inputs[0] === sq.inputs[1]
      ? sq.inputs[0]!
      : sq.op === "pow" && constValue(sq.inputs[1]!) === 2
        ? sq.inputs[0]!
        : null;
  if (base === null || base.op !== "sub" || base.inputs[0] !== x) return false;
  const m = base.inputs[1]!;
  return m.op === "mean" && m.inputs[0] === x && list(m.attrs["axes"] as number[]) === list(axes);
}

/** A per-feature value: broadcast along every axis of x but `axis`. */
function perFeature(t: Node, x: Node, axis: number): boolean {
  const at = axis - (x.shape.length - t.shape.length);
  if (t.shape.length > x.shape.length) return false;
  return t.shape.every((dim, i) => (i === at ? dim === x.shape[axis] || dim === 1 : dim === 1));
}

/** s = var + eps (or just var): the variance and eps. */
function splitEps(sNode: Node): [Node, number] {
  if (sNode.op === "add") {
    const [a, b] = sNode.inputs as [Node, Node];
    const eb = constValue(b);
    if (eb !== null && b.op === "const") return [a, eb];
    const ea = constValue(a);
    if (ea !== null && a.op === "const") return [b, ea];
  }
  return [sNode, 0];
}

function normalize({ x, m, s }: Bindings, n: Node, cx: RewriteContext): Node | null {
  if (x!.shape.length < 2) return null;
  const [variance, eps] = splitEps(s!);
  if (m!.op === "mean" && m!.inputs[0] === x) {
    const axes = m!.attrs["axes"] as number[];
    const kind = kindOf(axes, x!);
    if (kind === null) {
      cx.miss(
        "batchnorm",
        n,
        `the mean is over axes ${list(axes)}, not the batch axes ${list(batchAxes(x!))} ` +
          `(every axis but the channels') nor the last axis (a layer norm)`,
      );
      return null;
    }
    if (!isVarOver(variance, x!, axes)) {
      cx.miss(kind, n, "the variance is not the mean of the squared deviations from that mean");
      return null;
    }
    const [mu, invstd] = [named(m!, "mean", n), stdOf(variance, eps, m!)];
    return kind === "batchnorm"
      ? batchnorm(x!, mu, invstd, c(1), c(0), true)
      : layernorm(x!, mu, invstd, c(1), c(0));
  }
  // running statistics: a per-channel shift and scale
  if (!perFeature(m!, x!, 1) || !perFeature(variance, x!, 1)) return null;
  return batchnorm(x!, m!, stdOf(variance, eps, n), c(1), c(0), false);
}

/** 1/sqrt(var + eps), named for the generated code and commented with the statement's line. */
function stdOf(variance: Node, eps: number, at: Node): Node {
  return named(invStd(variance, eps), "invstd", at);
}

/** Names a value the fusion materializes after the statement of `at` (`h_mean`, `h_invstd`). */
function named(node: Node, role: string, at: Node): Node {
  if (node.inputs.length === 0) return node;
  const origin = originOf(at);
  // after the statistic's own name where the layer gave it one (`h_mean`: `h_invstd`)
  const base = /^(.*)_mean$/.exec(displayName(at) ?? "")?.[1] ?? origin?.binding ?? "batch";
  setRole(node, `${base}_${role}`);
  if (origin) setOrigin(node, origin);
  return node;
}

function absorbable(node: Node, what: string, n: Node, cx: RewriteContext): boolean {
  if (cx.uses(node) <= 1) return true;
  cx.miss(
    node.op,
    n,
    `the normalized value is also used elsewhere (an output or another op), so the ${what} ` +
      "stays a separate op",
  );
  return false;
}

/** The same normalization with a new gamma and beta. */
function again(node: Node, gamma: Node, beta: Node): Node {
  const [x, m, is] = node.inputs as [Node, Node, Node];
  return node.op === "layernorm"
    ? layernorm(x, m, is, gamma, beta)
    : batchnorm(x, m, is, gamma, beta, node.attrs["batch"] === true);
}

function scale(b: Bindings, n: Node, cx: RewriteContext): Node | null {
  const { gamma, bn: node, x, g, b: beta } = b;
  const axis = featureAxis(node!.op, x!);
  if (constValue(g!) !== 1 || constValue(beta!) !== 0 || !perFeature(gamma!, x!, axis)) return null;
  if (!absorbable(node!, "scale", n, cx)) return null;
  return again(node!, gamma!, c(0));
}

function shift(b: Bindings, n: Node, cx: RewriteContext): Node | null {
  const { beta, bn: node, x, g, b: b0 } = b;
  if (constValue(b0!) !== 0 || !perFeature(beta!, x!, featureAxis(node!.op, x!))) return null;
  if (!absorbable(node!, "shift", n, cx)) return null;
  return again(node!, g!, beta!);
}

function intoDense({ mm, bias, m, is, g, b }: Bindings, n: Node): Node | null {
  const x = n.inputs[0]!;
  if (x.shape.length !== 2 || ![bias!, m!, is!, g!, b!].every((t) => perFeature(t, x, 1)))
    return null;
  const sc = named(mul(g!, is!), "scale", n);
  return add(mul(mm!, sc), named(add(mul(sub(bias!, m!), sc), b!), "shift", n));
}
