// The optimizer's update of one param, in place, with the formulas of the JS target
// (src/codegen/js/optim.ts) term for term, in f32:
//   sgd          value -= lr g
//   momentum     velocity = momentum velocity - lr g;  value += velocity
//   rmsprop      s = rho s + (1 - rho) g g;  value -= lr g / (sqrt(s) + eps)
//   adam         m = beta1 m + (1 - beta1) g;  v = beta2 v + (1 - beta2) g g;
//                value -= lr (m / correction1) / (sqrt(v / correction2) + eps)
//   adamw        value -= lr decay value, then adam's step
// with coupled weight decay (g + decay value in place of g) for the others where asked, and
// where the caller computes correction_k = 1 - beta_k^step (in f64, as the JS target does) and
// passes it with the learning rate, which a schedule may change at every step.
import { f32, get, i32, set, v, type Code, type Local } from "./code.ts";
import type { FuncBuilder } from "./func.ts";
import { flatLoop, kernelBuilder, type KernelParam } from "./kernel.ts";
import type { Func } from "./module.ts";
import { dyn, type Size } from "./sizes.ts";

/**
 * `decay`: weight decay, coupled (the gradient g + decay * value: sgd, rmsprop, adam) or, for
 * adamw, decoupled (value -= lr * decay * value before the Adam step, as PyTorch's AdamW).
 */
export type OptimizerRule = (
  | { kind: "sgd"; momentum: number }
  | { kind: "rmsprop"; rho: number; eps: number }
  | { kind: "adam" | "adamw"; beta1: number; beta2: number; eps: number }
) & { decay?: number };

const isAdam = (rule: OptimizerRule) => rule.kind === "adam" || rule.kind === "adamw";

export interface OptimizerSpec {
  name: string;
  rule: OptimizerRule;
  /** elements of the param: a literal, or "param" (an i32 param `n`, last) */
  n: number | "param";
  comments?: readonly string[];
}

/** The pointer params each rule keeps per param, after value and grad. */
function stateNames(rule: OptimizerRule): string[] {
  if (rule.kind === "sgd") return rule.momentum === 0 ? [] : ["velocity"];
  return rule.kind === "rmsprop" ? ["meansquare"] : ["m", "v"];
}

/** (value, grad, state..., lr, [correction1, correction2], [n]) */
export function optimizerParams(spec: OptimizerSpec): KernelParam[] {
  const params: KernelParam[] = [
    { name: "value", type: "ptr" },
    { name: "grad", type: "ptr" },
    ...stateNames(spec.rule).map((name) => ({ name, type: "ptr" as const })),
    { name: "lr", type: "f32" },
  ];
  if (isAdam(spec.rule))
    params.push({ name: "correction1", type: "f32" }, { name: "correction2", type: "f32" });
  if (spec.n === "param") params.push({ name: "n", type: "size" });
  return params;
}

export function optimizerKernel(spec: OptimizerSpec): Func {
  const params = optimizerParams(spec);
  const fb = kernelBuilder(spec.name, params);
  const n: Size = spec.n === "param" ? dyn(params.length - 1) : spec.n;
  const scalar = (name: string) => {
    const l = fb.local(`${name}_x4`, "v128");
    fb.emit(set(l, v.splat(get(fb.param(name)))));
    return get(l);
  };
  const lr = scalar("lr");
  const corrections = isAdam(spec.rule) ? [scalar("correction1"), scalar("correction2")] : [];
  fb.emit(
    flatLoop(fb, n, (offset, lanes) => {
      const arr = (name: string) => new Lanes(fb, fb.param(name), offset, lanes);
      return update(fb, spec.rule, arr, lr, corrections);
    }),
  );
  return fb.finish({ comments: spec.comments ?? [] });
}

/** The current 4 (or 1) elements of an array param. */
class Lanes {
  constructor(
    readonly fb: FuncBuilder,
    readonly ptr: Local,
    readonly offset: Code,
    readonly lanes: 4 | 1,
  ) {}
  private get at(): Code {
    return i32.add(get(this.ptr), this.offset);
  }
  load(): Code {
    return this.lanes === 4 ? v.load(this.at) : v.loadSplat(this.at);
  }
  store(value: Code): Code {
    return this.lanes === 4 ? v.store(this.at, value) : f32.store(this.at, v.lane(value, 0));
  }
}

function update(
  fb: FuncBuilder,
  rule: OptimizerRule,
  arr: (name: string) => Lanes,
  lr: Code,
  [c1, c2]: Code[],
): Code {
  const c = (x: number) => fb.f32x4(x);
  const value = arr("value");
  const g = fb.local("g", "v128");
  const decay = rule.decay ?? 0;
  const coupled = decay > 0 && rule.kind !== "adamw";
  const grad = arr("grad").load();
  const load = [
    // decoupled decay first, from the value before the step: value -= lr * decay * value
    decay > 0 && rule.kind === "adamw"
      ? value.store(v.sub(value.load(), v.mul(v.mul(lr, c(decay)), value.load())))
      : [],
    set(g, coupled ? v.add(grad, v.mul(c(decay), value.load())) : grad),
  ];
  if (rule.kind === "sgd" && rule.momentum === 0)
    return [load, value.store(v.sub(value.load(), v.mul(lr, get(g))))];
  const held = (name: string) => {
    const l = fb.local(name, "v128");
    return { l, lanes: arr(name) };
  };
  if (rule.kind === "sgd") {
    const vel = held("velocity");
    return [
      load,
      set(vel.l, v.sub(v.mul(c(rule.momentum), vel.lanes.load()), v.mul(lr, get(g)))),
      vel.lanes.store(get(vel.l)),
      value.store(v.add(value.load(), get(vel.l))),
    ];
  }
  const gg = (coef: number) => v.mul(v.mul(c(coef), get(g)), get(g));
  if (rule.kind === "rmsprop") {
    const s = held("meansquare");
    return [
      load,
      set(s.l, v.add(v.mul(c(rule.rho), s.lanes.load()), gg(1 - rule.rho))),
      s.lanes.store(get(s.l)),
      value.store(
        v.sub(value.load(), v.div(v.mul(lr, get(g)), v.add(v.sqrt(get(s.l)), c(rule.eps)))),
      ),
    ];
  }
  const m = held("m");
  const vv = held("v");
  const step = v.div(
    v.mul(lr, v.div(get(m.l), c1!)),
    v.add(v.sqrt(v.div(get(vv.l), c2!)), c(rule.eps)),
  );
  return [
    load,
    set(m.l, v.add(v.mul(c(rule.beta1), m.lanes.load()), v.mul(c(1 - rule.beta1), get(g)))),
    set(vv.l, v.add(v.mul(c(rule.beta2), vv.lanes.load()), gg(1 - rule.beta2))),
    m.lanes.store(get(m.l)),
    vv.lanes.store(get(vv.l)),
    value.store(v.sub(value.load(), step)),
  ];
}
