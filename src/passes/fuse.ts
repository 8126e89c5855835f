// Fusions of the forward graph, applied before differentiation so that each fused node brings
// its closed-form gradient:
//   1/(1+exp(-z)), 1/(1+exp(z)), (1+exp(-z))^-1, exp(z)/(1+exp(z))  -> sigmoid      (s (1 - s))
//   bce(sigmoid(z), y)                                                -> bce_logits   (s - y)
//   sum(xent(softmax(z), y)) along the softmax's axis                 -> softmax_xent (p - y)
//   xent(pick(softmax(z), y), 1), y the classes, softmax on the last axis
//                                                  -> softmax_xent_int (p - one_hot(y))
//   log(softmax(z)) -> log_softmax(z);  log(sigmoid(z)) -> -softplus(-z);
//   log(1 - sigmoid(z)) -> -softplus(z)
// The `0 - z` and `-1 * z` spellings of -z become `neg` by simplification first.
import { sameShape, type Node } from "../ir/node.ts";
import {
  bceLogits,
  logSoftmax,
  neg,
  reshape,
  sigmoid,
  softmaxXent,
  softmaxXentInt,
  softplus,
} from "../ops/index.ts";
import { k, p, P, v, type Bindings, type Pattern } from "./pattern.ts";
import { rules, type RewriteContext, type Rule } from "./rewrite.ts";

const z = v("z");
const ez = P.exp(z);
const enz = P.exp(P.neg(z));
const y = v("y");
const one = k(1);
const softmaxOf = (t: Pattern) => p("softmax", [t], {}, "s");

export const fuseActivations: Rule[] = rules([
  ["sigmoid", P.div(one, P.add(one, enz)), ({ z }) => sigmoid(z!)], // 1/(1+e^-z) = s(z)
  ["sigmoid", P.div(one, P.add(one, ez)), ({ z }) => sigmoid(neg(z!))], // 1/(1+e^z) = s(-z)
  ["sigmoid", P.pow(P.add(one, enz), k(-1)), ({ z }) => sigmoid(z!)], // (1+e^-z)^-1 = s(z)
  ["sigmoid", P.div(ez, P.add(one, ez)), ({ z }) => sigmoid(z!)], // e^z/(1+e^z) = s(z)
  ["bce-logits", p("bce", [P.sigmoid(z), y]), ({ z, y }) => bceLogits(z!, y!)], // from z
  ["softmax-xent", p("sum", [p("xent", [softmaxOf(z), y])]), softmaxXentOf], // -sum(y log p)
  ["softmax-xent", p("xent", [p("pick", [softmaxOf(z), y]), one]), softmaxXentIntOf], // -log p_y
  ["log-softmax", P.log(softmaxOf(z)), ({ z, s }) => logSoftmax(z!, axis(s!))], // z - lse
  ["log-sigmoid", P.log(P.sigmoid(z)), ({ z }) => neg(softplus(neg(z!)))], // -softplus(-z)
  ["log-1-sigmoid", P.log(P.sub(one, P.sigmoid(z))), ({ z }) => neg(softplus(z!))], // -softplus(z)
]);

const axis = (n: Node) => n.attrs["axis"] as number;

/** -ln softmax(z)[y] of integer classes: the fused loss of each line, if the softmax is along
 * the last axis (the one y's classes index). */
function softmaxXentIntOf({ z, y, s }: Bindings, n: Node, cx: RewriteContext): Node | null {
  if (axis(s!) !== z!.shape.length - 1) {
    cx.miss(
      "softmax-xent",
      n,
      `the classes index the last axis but the softmax normalizes axis ${axis(s!)}`,
    );
    return null;
  }
  return softmaxXentInt(z!, y!);
}

/** sum(xent(softmax(z), y)) over exactly the softmax's axis is the fused loss of each line. */
function softmaxXentOf({ z, y, s }: Bindings, n: Node, cx: RewriteContext): Node | null {
  const axes = n.attrs["axes"] as number[];
  const a = axis(s!);
  if (axes.length !== 1 || axes[0] !== a) {
    cx.miss(
      "softmax-xent",
      n,
      `the cross-entropy sums over axes [${axes.join(", ")}] but the softmax normalizes axis ${a}`,
    );
    return null;
  }
  const fused = softmaxXent(z!, y!, a);
  return sameShape(fused.shape, n.shape) ? fused : reshape(fused, n.shape);
}
