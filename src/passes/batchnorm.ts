// Batch-norm fusion, in the spellings of the `batchnorm` layer and the usual hand-written ones:
//   (x - mu) / sqrt(var + eps), (x - mu) * (var + eps)^-0.5, (x - mu) / (var + eps)^0.5, ...
//     with mu = mean(x) over every axis but the last and var = mean((x - mu)^2) over the same
//     -> batchnorm(x, mu, 1/sqrt(var + eps), 1, 0)  (batch statistics: the closed-form gradient)
//     with per-feature mu and var that are not x's batch statistics (running statistics)
//     -> batchnorm(..., batch: false)  (inference: a plain per-feature affine map)
//   gamma * batchnorm(...) + beta, with per-feature gamma and beta -> one batchnorm node
//   batchnorm(x @ W + b) in inference -> (x @ W) s + c, s = gamma invstd, c = (b - mu) s + beta:
//     the normalization folded into the dense layer's weights, on the output side, recomputed
//     per call from the current params and state in O(features).
import { originOf, setOrigin, setRole, type Node } from "../ir/node.ts";
import { add, batchAxes, batchnorm, c, invStd, mul, sub } from "../ops/index.ts";
import { constValue, k, p, P, v, type Bindings } from "./pattern.ts";
import { rules, type RewriteContext, type Rule } from "./rewrite.ts";

const d = P.sub(v("x"), v("m"));
const s = v("s");
const bn = p("batchnorm", [v("x"), v("m"), v("is"), v("g"), v("b")], {}, "bn");

export const fuseBatchnorm: Rule[] = rules([
  ["batchnorm", P.div(d, P.sqrt(s)), normalize], // (x - mu) / sqrt(s)
  ["batchnorm", P.div(d, P.pow(s, k(0.5))), normalize], // (x - mu) / s^0.5
  ["batchnorm", P.mul(d, P.pow(s, k(-0.5))), normalize], // (x - mu) s^-0.5
  ["batchnorm", P.mul(d, P.div(k(1), P.sqrt(s))), normalize], // (x - mu) (1 / sqrt(s))
  ["batchnorm-scale", P.mul(v("gamma"), bn), scale], // gamma bn(x) = bn(x; gamma)
  ["batchnorm-shift", P.add(bn, v("beta")), shift], // bn(x) + beta = bn(x; beta)
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

/** Whether `m` is x's mean over every axis but the last. */
function isBatchMean(m: Node, x: Node): boolean {
  return (
    m.op === "mean" && m.inputs[0] === x && list(m.attrs["axes"] as number[]) === list(batchAxes(x))
  );
}

/** Whether `vr` is mean((x - mu)^2) over the batch axes, mu being x's batch mean. */
function isBatchVar(vr: Node, x: Node): boolean {
  if (vr.op !== "mean" || list(vr.attrs["axes"] as number[]) !== list(batchAxes(x))) return false;
  const sq = vr.inputs[0]!;
  const base =
    sq.op === "mul" && sq.inputs[0] === sq.inputs[1]
      ? sq.inputs[0]!
      : sq.op === "pow" && constValue(sq.inputs[1]!) === 2
        ? sq.inputs[0]!
        : null;
  return (
    base !== null && base.op === "sub" && base.inputs[0] === x && isBatchMean(base.inputs[1]!, x)
  );
}

/** A per-feature value: broadcast along every axis of x but the last. */
function perFeature(t: Node, x: Node): boolean {
  const C = x.shape[x.shape.length - 1];
  if (t.shape.length > x.shape.length) return false;
  return t.shape.every((dim, i) => (i === t.shape.length - 1 ? dim === C || dim === 1 : dim === 1));
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
    if (!isBatchMean(m!, x!)) {
      cx.miss(
        "batchnorm",
        n,
        `the mean is over axes ${list(m!.attrs["axes"] as number[])}, not the batch axes ` +
          `${list(batchAxes(x!))} (every axis but the last)`,
      );
      return null;
    }
    if (!isBatchVar(variance, x!)) {
      cx.miss(
        "batchnorm",
        n,
        "the variance is not the batch mean of the squared deviations from the batch mean",
      );
      return null;
    }
    return batchnorm(x!, named(m!, "mean", n), stdOf(variance, eps, n), c(1), c(0), true);
  }
  // running statistics: a per-feature shift and scale
  if (!perFeature(m!, x!) || !perFeature(variance, x!)) return null;
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
  setRole(node, `${origin?.binding ?? "batch"}_${role}`);
  if (origin) setOrigin(node, origin);
  return node;
}

function absorbable(node: Node, what: string, n: Node, cx: RewriteContext): boolean {
  if (cx.uses(node) <= 1) return true;
  cx.miss(
    "batchnorm",
    n,
    `the normalized value is also used elsewhere (an output or another op), so the ${what} ` +
      "stays a separate op",
  );
  return false;
}

function scale(b: Bindings, n: Node, cx: RewriteContext): Node | null {
  const { gamma, bn: node, x, m, is, g, b: beta } = b;
  if (constValue(g!) !== 1 || constValue(beta!) !== 0 || !perFeature(gamma!, x!)) return null;
  if (!absorbable(node!, "scale", n, cx)) return null;
  return batchnorm(x!, m!, is!, gamma!, c(0), node!.attrs["batch"] === true);
}

function shift(b: Bindings, n: Node, cx: RewriteContext): Node | null {
  const { beta, bn: node, x, m, is, g, b: b0 } = b;
  if (constValue(b0!) !== 0 || !perFeature(beta!, x!)) return null;
  if (!absorbable(node!, "shift", n, cx)) return null;
  return batchnorm(x!, m!, is!, g!, beta!, node!.attrs["batch"] === true);
}

function intoDense({ mm, bias, m, is, g, b }: Bindings, n: Node): Node | null {
  const x = n.inputs[0]!;
  if (![bias!, m!, is!, g!, b!].every((t) => perFeature(t, x))) return null;
  const sc = named(mul(g!, is!), "scale", n);
  return add(mul(mm!, sc), named(add(mul(sub(bias!, m!), sc), b!), "shift", n));
}
