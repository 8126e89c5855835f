// `optimizer = sgd(lr, momentum?) | rmsprop(lr, rho?, eps?) | adam(lr, beta1?, beta2?, eps?)`, each
// with an optional learning-rate schedule for `nnc train`: `decay: F` multiplies the rate by F after
// every epoch, `schedule: cosine` anneals it from lr to 0 over the run along half a cosine.
import { didYouMean } from "../diagnostics.ts";
import type { OptimizerSpec } from "../ir/model.ts";
import type { Expr, Pos } from "./ast.ts";
import { report, type Cx } from "./context.ts";
import { evalArgs, number, type ParamSpec } from "./args.ts";

export interface OptimizerOut {
  optimizer: OptimizerSpec | null;
  sawOptimizer: boolean;
}

const signatures: Record<OptimizerSpec["kind"], ParamSpec[]> = {
  sgd: [number("lr"), number("momentum", 0), number("decay", 1)],
  rmsprop: [number("lr"), number("rho", 0.9), number("eps", 1e-7), number("decay", 1)],
  adam: [
    number("lr"),
    number("beta1", 0.9),
    number("beta2", 0.999),
    number("eps", 1e-8),
    number("decay", 1),
  ],
};

/** The optimizer of a model without an `optimizer` statement. */
export const defaultOptimizer: OptimizerSpec = {
  kind: "sgd",
  lr: 0.01,
  momentum: 0,
  rho: 0.9,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
};

function isKind(name: string): name is OptimizerSpec["kind"] {
  return name === "sgd" || name === "rmsprop" || name === "adam";
}

export function lowerOptimizer(cx: Cx, e: Expr, at: Pos, out: OptimizerOut): void {
  if (out.sawOptimizer) {
    report(cx.m, "NN2002", at, "the model already has an `optimizer`; a model has one");
    return;
  }
  out.sawOptimizer = true;
  const call: Extract<Expr, { kind: "call" }> | null =
    e.kind === "call"
      ? e
      : e.kind === "name"
        ? { kind: "call", callee: e.name, args: [], piped: false, at: e.at }
        : null;
  if (!call) {
    report(
      cx.m,
      "NN2004",
      e.at,
      "the optimizer must be `sgd(lr: ...)`, `rmsprop(lr: ...)` or `adam(lr: ...)`",
    );
    return;
  }
  const kind = call.callee;
  if (!isKind(kind)) {
    const hint = didYouMean(kind, Object.keys(signatures));
    report(
      cx.m,
      "NN2003",
      call.at,
      `unknown optimizer \`${kind}\`${hint}; use sgd, rmsprop or adam`,
    );
    return;
  }
  const schedule = scheduleArg(cx, call);
  const rest = { ...call, args: call.args.filter((a) => a.name !== "schedule") };
  const args = evalArgs(cx, kind, signatures[kind], rest);
  if (!args || schedule === null) return;
  const spec: OptimizerSpec = {
    ...defaultOptimizer,
    kind,
    eps: kind === "rmsprop" ? 1e-7 : 1e-8,
    ...(schedule === "cosine" ? { schedule } : {}),
  };
  for (const s of signatures[kind])
    (spec as unknown as Record<string, number>)[s.name] = args.n(s.name);
  const problem = validate(spec, kind);
  if (problem) report(cx.m, "NN3005", call.at, problem);
  else out.optimizer = spec;
}

/** `schedule: constant | cosine`, a name rather than a number; null after reporting a bad one. */
function scheduleArg(cx: Cx, call: Extract<Expr, { kind: "call" }>): "constant" | "cosine" | null {
  const arg = call.args.find((a) => a.name === "schedule");
  if (!arg) return "constant";
  const v = arg.value;
  if (v.kind === "name" && (v.name === "constant" || v.name === "cosine")) return v.name;
  report(cx.m, "NN2004", arg.at, "`schedule` must be `constant` or `cosine`");
  return null;
}

function validate(spec: OptimizerSpec, kind: OptimizerSpec["kind"]): string | null {
  const unit = (name: "momentum" | "rho" | "beta1" | "beta2") =>
    spec[name] >= 0 && spec[name] < 1
      ? null
      : `\`${name}\` of \`${kind}\` must be in [0, 1), got ${spec[name]}`;
  if (!(spec.lr > 0 && Number.isFinite(spec.lr)))
    return `\`lr\` of \`${kind}\` must be a positive number, got ${spec.lr}`;
  if (!(spec.eps > 0)) return `\`eps\` of \`${kind}\` must be positive, got ${spec.eps}`;
  const decay = spec.decay ?? 1;
  if (!(decay > 0 && decay <= 1))
    return `\`decay\` of \`${kind}\` multiplies the learning rate after every epoch: it must be in (0, 1], got ${decay}`;
  return unit("momentum") ?? unit("rho") ?? unit("beta1") ?? unit("beta2");
}
