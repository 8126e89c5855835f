// `optimizer = sgd(lr, momentum?) | rmsprop(lr, rho?, eps?) | adam(lr, beta1?, beta2?, eps?) |
// adamw(lr, beta1?, beta2?, eps?)`, each with options that shape training:
// - `weight_decay: L`: L2 decay, coupled (L * p added to the gradient) for sgd, rmsprop and adam,
//   decoupled (`p -= lr * L * p` before the step, as PyTorch's AdamW) for adamw (default 0.01);
//   applied to the params of rank 2 or more, or to those `decay_params: [h, w]` names;
// - `schedule: S` (schedule.ts) and `warmup: N` steps, `decay: F` per epoch: the learning rate.
import { didYouMean } from "../diagnostics.ts";
import type { OptimizerSpec, ParamLeaf } from "../ir/model.ts";
import type { Arg, Expr, Named, Pos } from "./ast.ts";
import { report, type Cx, type ModelCx } from "./context.ts";
import { evalArgs, number, type ParamSpec } from "./args.ts";
import { asCall, lowerSchedule } from "./schedule.ts";

/** The params `decay_params:` names, resolved once every param exists. */
export interface DecayList {
  names: Named[];
  at: Pos;
}

export interface OptimizerOut {
  optimizer: OptimizerSpec | null;
  sawOptimizer: boolean;
  /** where the optimizer statement is */
  at?: Pos;
  decayList?: DecayList;
  /** whether the file gives `weight_decay` (adamw has a default) */
  decayGiven?: boolean;
}

/** Arguments read by name rather than evaluated as numbers. */
const special = (name: string): ParamSpec => ({ name, kind: "value", optional: true });

const training = (weightDecay: number): ParamSpec[] => [
  number("weight_decay", weightDecay),
  special("decay_params"),
  special("schedule"),
  number("warmup", 0),
  number("decay", 1),
];

const adamLike = (weightDecay: number) => [
  number("lr"),
  number("beta1", 0.9),
  number("beta2", 0.999),
  number("eps", 1e-8),
  ...training(weightDecay),
];

const signatures: Record<OptimizerSpec["kind"], ParamSpec[]> = {
  sgd: [number("lr"), number("momentum", 0), ...training(0)],
  rmsprop: [number("lr"), number("rho", 0.9), number("eps", 1e-7), ...training(0)],
  adam: adamLike(0),
  // PyTorch's AdamW default
  adamw: adamLike(0.01),
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

const isKind = (name: string): name is OptimizerSpec["kind"] => Object.hasOwn(signatures, name);

/** The numeric arguments and the spec fields they fill. */
const fields: Record<string, keyof OptimizerSpec> = {
  lr: "lr",
  momentum: "momentum",
  rho: "rho",
  beta1: "beta1",
  beta2: "beta2",
  eps: "eps",
  decay: "decay",
  warmup: "warmup",
  weight_decay: "weightDecay",
};

export function lowerOptimizer(cx: Cx, e: Expr, at: Pos, out: OptimizerOut): void {
  if (out.sawOptimizer) {
    report(cx.m, "NN2002", at, "the model already has an `optimizer`; a model has one");
    return;
  }
  out.sawOptimizer = true;
  out.at = at;
  const call = optimizerCall(cx, e);
  if (!call) return;
  const kind = call.callee as OptimizerSpec["kind"];
  const byName = (name: string): Arg | undefined => call.args.find((a) => a.name === name);
  const scheduleArg = byName("schedule");
  const schedule = scheduleArg ? lowerSchedule(cx, scheduleArg) : undefined;
  const decayList = decayListOf(cx, byName("decay_params"));
  out.decayGiven = byName("weight_decay") !== undefined;
  const rest = {
    ...call,
    args: call.args.filter((a) => a.name !== "schedule" && a.name !== "decay_params"),
  };
  const args = evalArgs(cx, kind, signatures[kind], rest);
  if (!args || schedule === null || decayList === null) return;
  const spec: Record<string, unknown> = {
    ...defaultOptimizer,
    kind,
    eps: kind === "rmsprop" ? 1e-7 : 1e-8,
    ...(schedule && schedule.kind !== "constant" ? { schedule } : {}),
  };
  for (const s of signatures[kind]) {
    const field = fields[s.name];
    if (field !== undefined) spec[field] = args.n(s.name);
  }
  const o = spec as unknown as OptimizerSpec;
  const problem = validate(o, kind) ?? (decayList && !(o.weightDecay! > 0) ? noDecay(kind) : null);
  if (problem) report(cx.m, "NN3005", argAt(call, problem.arg, signatures[kind]), problem.message);
  else {
    out.optimizer = o;
    if (decayList) out.decayList = decayList;
  }
}

/** An argument out of its range (`arg`, by name) and why. */
interface Problem {
  arg: string;
  message: string;
}

/** Where an argument is written: by name, or at its place among the positional ones. */
function argAt(call: Extract<Expr, { kind: "call" }>, name: string, specs: ParamSpec[]): Pos {
  const named = call.args.find((a) => a.name === name);
  const positional = call.args.filter((a) => a.name === null)[
    specs.findIndex((s) => s.name === name)
  ];
  return (named ?? positional ?? call).at;
}

/** The optimizer's call (`sgd` alone is `sgd()`), of a known kind; null after reporting. */
function optimizerCall(cx: Cx, e: Expr): Extract<Expr, { kind: "call" }> | null {
  const call = asCall(e);
  const kinds = Object.keys(signatures);
  if (!call) {
    report(
      cx.m,
      "NN2004",
      e.at,
      "the optimizer must be a call like `sgd(lr: 0.1)` or `adam(lr: 0.001)`",
    );
    return null;
  }
  if (isKind(call.callee)) return call;
  const hint = didYouMean(call.callee, kinds);
  report(
    cx.m,
    "NN2003",
    call.at,
    `unknown optimizer \`${call.callee}\`${hint}; use ${kinds.join(", ")}`,
  );
  return null;
}

function noDecay(kind: string): Problem {
  return {
    arg: "decay_params",
    message: `\`decay_params\` names the params that \`weight_decay\` decays, but \`${kind}\` has no \`weight_decay\` here; add \`weight_decay: 1e-4\``,
  };
}

/** `decay_params: [h, w]`: names of params, or of layers (every param under `h.`). */
function decayListOf(cx: Cx, arg: Arg | undefined): DecayList | null | undefined {
  if (!arg) return undefined;
  const v = arg.value;
  const items = v.kind === "list" ? v.items : [v];
  const names = items.filter((i): i is Extract<Expr, { kind: "name" }> => i.kind === "name");
  if (v.kind !== "list" || names.length !== items.length) {
    report(
      cx.m,
      "NN2004",
      arg.at,
      "`decay_params` is a list of params or layers by name, e.g. `decay_params: [h.W, w]`",
    );
    return null;
  }
  return { names: names.map((n) => ({ name: n.name, at: n.at })), at: arg.at };
}

/**
 * The params weight decay applies to: those of rank 2 or more (weight matrices; not biases,
 * not batchnorm's gamma and beta), or the ones `decay_params` lists. Reports names that match
 * no param, and a decay that would apply to nothing.
 */
export function resolveDecay(m: ModelCx, out: OptimizerOut, params: ParamLeaf[]): OptimizerSpec {
  const spec = out.optimizer ?? defaultOptimizer;
  if (!(spec.weightDecay! > 0)) return spec;
  const all = params.map((p) => p.name);
  const chosen = out.decayList
    ? listed(m, out.decayList, all)
    : params.filter((p) => p.shape.length >= 2).map((p) => p.name);
  // adamw's default decay may find nothing to decay; a decay the file asks for must
  if (chosen.length === 0 && !out.decayList && out.decayGiven)
    report(
      m,
      "NN2020",
      out.at ?? { line: 1, col: 1 },
      "`weight_decay` decays the params of rank 2 or more (weight matrices), and this model has none; " +
        "name the params to decay with `decay_params: [...]`",
    );
  return { ...spec, decayParams: all.filter((p) => chosen.includes(p)) };
}

/** The params `decay_params` names, each directly or as a layer; reports names of nothing. */
function listed(m: ModelCx, list: DecayList, all: string[]): string[] {
  const chosen = new Set<string>();
  for (const n of list.names) {
    const hits = all.filter((p) => p === n.name || p.startsWith(`${n.name}.`));
    if (hits.length === 0)
      report(
        m,
        "NN2001",
        n.at,
        `\`${n.name}\` is not a param or a layer${didYouMean(n.name, all)}; the params are ${all.map((p) => `\`${p}\``).join(", ")}`,
      );
    for (const h of hits) chosen.add(h);
  }
  return [...chosen];
}

/** The first argument out of its range, and why. */
function validate(spec: OptimizerSpec, kind: OptimizerSpec["kind"]): Problem | null {
  const problem = (arg: string, message: string): Problem => ({ arg, message });
  const unit = (name: "momentum" | "rho" | "beta1" | "beta2") =>
    spec[name] >= 0 && spec[name] < 1
      ? null
      : problem(name, `\`${name}\` of \`${kind}\` must be in [0, 1), got ${spec[name]}`);
  if (!(spec.lr > 0 && Number.isFinite(spec.lr)))
    return problem(
      "lr",
      `\`lr\` of \`${kind}\` must be a finite number greater than 0, got ${spec.lr}`,
    );
  if (!(spec.eps > 0 && Number.isFinite(spec.eps)))
    return problem("eps", `\`eps\` of \`${kind}\` must be positive, got ${spec.eps}`);
  const decay = spec.decay ?? 1;
  if (!(decay > 0 && decay <= 1))
    return problem(
      "decay",
      `\`decay\` of \`${kind}\` multiplies the learning rate after every epoch: it must be in (0, 1], got ${decay}`,
    );
  const wd = spec.weightDecay ?? 0;
  if (!(wd >= 0 && Number.isFinite(wd)))
    return problem("weight_decay", `\`weight_decay\` of \`${kind}\` must be 0 or more, got ${wd}`);
  const warmup = spec.warmup ?? 0;
  if (!(Number.isInteger(warmup) && warmup >= 0))
    return problem(
      "warmup",
      `\`warmup\` of \`${kind}\` is a number of steps: a whole number, 0 or more, got ${warmup}`,
    );
  return unit("momentum") ?? unit("rho") ?? unit("beta1") ?? unit("beta2");
}
