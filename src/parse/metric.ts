// `metric = accuracy(p, y)`: what `nnc train` and `nnc eval` report besides the loss. The
// prediction is an expression of the inputs; the target names the class of each example as
// one-hot rows (p is [batch, k]), class indices (y is [batch, 1] or [batch]), or, with one output
// per example, 0/1 or -1/+1 labels split at `threshold`.
import { didYouMean } from "../diagnostics.ts";
import type { MetricSpec } from "../ir/model.ts";
import { shapeToString, type Node, type Shape } from "../ir/node.ts";
import { toposort } from "../ir/toposort.ts";
import type { Expr, Pos } from "./ast.ts";
import { originAt, report, type Cx } from "./context.ts";
import { evalArgs, tensor } from "./args.ts";

export interface MetricOut {
  metric: MetricSpec | null;
  sawMetric: boolean;
}

const metrics = ["accuracy"];

/** The width of one example: the product of the sizes after the first (batch) dimension. */
function width(s: Shape): number | null {
  let w = 1;
  for (const d of s.slice(1)) {
    if (typeof d !== "number") return null;
    w *= d;
  }
  return w;
}

export function lowerMetric(cx: Cx, e: Expr, at: Pos, out: MetricOut): void {
  if (out.sawMetric) {
    report(cx.m, "NN2002", at, "the model already has a `metric`; a model has one");
    return;
  }
  out.sawMetric = true;
  if (e.kind !== "call" || !metrics.includes(e.callee)) {
    const name = e.kind === "call" ? e.callee : e.kind === "name" ? e.name : "";
    report(
      cx.m,
      "NN2003",
      e.at,
      `unknown metric${name ? ` \`${name}\`` : ""}${didYouMean(name, metrics)}; ` +
        "the metric is `accuracy(p, y)`, or `accuracy(score, y, threshold: 0)`",
    );
    return;
  }
  const specs = [
    tensor("p"),
    tensor("y"),
    { name: "threshold", kind: "number" as const, optional: true },
  ];
  const args = evalArgs(cx, "accuracy", specs, e);
  if (!args) return;
  const [p, y] = [args.t("p"), args.t("y")];
  const threshold = args.n("threshold") as number | undefined;
  const problem = check(p, y, threshold);
  if (problem) {
    report(
      cx.m,
      problem.code,
      problem.at === "y" ? (e.args[1]?.at ?? e.at) : e.at,
      problem.message,
    );
    return;
  }
  out.metric = {
    kind: "accuracy",
    prediction: p,
    target: y.attrs["name"] as string,
    ...(threshold !== undefined ? { threshold } : {}),
    origin: originAt(cx.m, at),
  };
}

interface Problem {
  code: "NN2004" | "NN4002" | "NN3020";
  message: string;
  at?: "y";
}

function check(p: Node, y: Node, threshold: number | undefined): Problem | null {
  if (y.op !== "input" || y.attrs["role"] !== "target")
    return {
      code: "NN2004",
      at: "y",
      message: "`y` of `accuracy` must be a target of the model, by its name",
    };
  const target = toposort([p]).find((n) => n.op === "input" && n.attrs["role"] === "target");
  if (target)
    return {
      code: "NN4002",
      message: `the prediction of \`accuracy\` depends on the target \`${target.attrs["name"] as string}\`; it must be computed from the inputs`,
    };
  const [wp, wy] = [width(p.shape), width(y.shape)];
  const rows =
    p.shape.length >= 1 && p.shape.length <= 2 && y.shape.length >= 1 && p.shape[0] === y.shape[0];
  const fits = wp !== null && wy !== null && (wp === wy || wy === 1);
  if (!rows || !fits)
    return {
      code: "NN3020",
      message:
        `\`accuracy\` compares one prediction per example with its target: p is ${shapeToString(p.shape)}, y is ${shapeToString(y.shape)}; ` +
        "use p: [batch, k] with y one-hot [batch, k] or class indices [batch, 1], or one score per example [batch, 1] with 0/1 or -1/+1 labels",
    };
  if (threshold !== undefined && wp !== 1)
    return {
      code: "NN2004",
      message: `\`threshold\` splits one output per example into two classes; p is ${shapeToString(p.shape)}, whose largest entry names the class`,
    };
  if (threshold !== undefined && !Number.isFinite(threshold))
    return {
      code: "NN2004",
      message: `\`threshold\` of \`accuracy\` must be a finite number, got ${threshold}`,
    };
  return null;
}
