// What both exporters read of the optimizer: the state it keeps per param, the weight decay of
// each param, and the learning rate's schedule as data. The formulas are the generated module's
// (src/codegen/js/optim.ts): weight decay is coupled (wd * p added to the gradient) for sgd,
// rmsprop and adam, decoupled (p -= lr * wd * p before Adam's step) for adamw, and applies to the
// params `decayParams` names.
import type { OptimizerSpec } from "../ir/model.ts";

/** adam and adamw: bias-corrected moments and a count of the steps taken. */
export const isAdam = (o: OptimizerSpec): boolean => o.kind === "adam" || o.kind === "adamw";

/** The per-param state of each optimizer, by slot name. */
export function optimizerSlots(o: OptimizerSpec): string[] {
  if (o.kind === "sgd") return o.momentum === 0 ? [] : ["velocity"];
  return o.kind === "rmsprop" ? ["meansquare"] : ["m", "v"];
}

/** The weight decay of the param `name`: the optimizer's where it applies, else 0. */
export function decayOf(o: OptimizerSpec, name: string): number {
  return o.decayParams?.includes(name) ? (o.weightDecay ?? 0) : 0;
}

/** Whether any param decays. */
export function decays(o: OptimizerSpec): boolean {
  return (o.weightDecay ?? 0) > 0 && (o.decayParams?.length ?? 0) > 0;
}

/**
 * The optimizer as JSON, for the ONNX training step's metadata (`nnc:optimizer`): its kind and
 * hyperparameters, the params weight decay applies to, and the learning rate's recipe (base
 * rate, schedule in optimizer steps after the warmup, warmup steps, factor per epoch), from
 * which the caller computes each step's `optimizer:lr`.
 */
export function optimizerJson(o: OptimizerSpec): string {
  const adam = isAdam(o);
  return JSON.stringify({
    kind: o.kind,
    lr: o.lr,
    ...(o.kind === "sgd" ? { momentum: o.momentum } : {}),
    ...(o.kind === "rmsprop" ? { rho: o.rho } : {}),
    ...(adam ? { beta1: o.beta1, beta2: o.beta2 } : {}),
    ...(o.kind !== "sgd" ? { eps: o.eps } : {}),
    weight_decay: o.weightDecay ?? 0,
    decay_params: decays(o) ? o.decayParams : [],
    schedule: o.schedule ?? { kind: "constant" },
    warmup: o.warmup ?? 0,
    decay_per_epoch: o.decay ?? 1,
  });
}
