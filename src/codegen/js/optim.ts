// The optimizer's step: one update function per tensor size at module scope (`$adam_100352`),
// called for each param with its value, gradient and optimizer state, which are preallocated:
// sgd (with momentum), rmsprop, adam and adamw (with bias correction and a step counter), with
// weight decay on the params it applies to. A scalar param's update is written inline. And the
// learning-rate schedule, `$learningRate(step, run)`.
import { isScalar, type Node } from "../../ir/node.ts";
import type { OptimizerSpec, ScheduleSpec } from "../../ir/model.ts";
import { lit } from "../../ops/op.ts";
import type { Plan } from "../schedule/plan.ts";
import { jsComment, jsString } from "../text.ts";
import { wrap } from "./loops.ts";

export interface OptimizerCode {
  /** the update functions, at module scope */
  kernels: string[];
  /** declarations of the optimizer's state, in createModel, and `m.optimizer` over it */
  state: string[];
  /** the name of `m.optimizer` in createModel */
  api: string;
  /** the update, at the end of the training step */
  step: string[];
  /** the schedule's function, in createModel */
  schedule: string[];
  /** its name there */
  learningRate: string;
}

/** The state each optimizer keeps per param, by role. */
function stateOf(o: OptimizerSpec): string[] {
  if (o.kind === "sgd") return o.momentum === 0 ? [] : ["velocity"];
  return o.kind === "rmsprop" ? ["meansquare"] : ["m", "v"];
}

/** A param the optimizer updates, and the gradient it reads. */
interface Updated {
  leaf: Plan["model"]["params"][number];
  grad: Plan["paramGrads"][number];
}

function updatedParams(plan: Plan): Updated[] {
  // the param a gradient belongs to, by name: not by node, since a gradient can be another param
  // (d(a * b)/db is a); looked up in a map, as a model may have tens of thousands of params
  const byName = new Map(plan.model.params.map((p) => [p.name, p]));
  return plan.paramGrads.flatMap((g) => {
    const leaf = byName.get(g.name);
    return leaf ? [{ leaf, grad: g }] : [];
  });
}

/**
 * The names of `m.optimizer.slots`: `<param>.<role>` (`h.W.m`, `h.W.v` for Adam), in the order of
 * the params. A role has no dot, so two slots never share a name.
 */
export function slotNames(plan: Plan): string[] {
  const roles = stateOf(plan.model.optimizer);
  return updatedParams(plan).flatMap(({ leaf }) => roles.map((r) => `${leaf.name}.${r}`));
}

/** How the update reads the rate and Adam's bias corrections where it is written. */
interface Hyper {
  lr: string;
  correction1: string;
  correction2: string;
}

/** One element's update: `grad` is its gradient, `at(role)` its value and its state. */
function update(
  o: OptimizerSpec,
  grad: string,
  at: (what: string) => string,
  h: Hyper,
  wd = 0,
): string[] {
  const { lr, correction1, correction2 } = h;
  const value = at("value");
  // decoupled weight decay (Loshchilov & Hutter), as PyTorch's AdamW: p -= lr * wd * p
  const decoupled =
    wd > 0 && o.kind === "adamw" ? [`${value} -= ${lr} * ${lit(wd)} * ${value};`] : [];
  if (o.kind === "sgd" && o.momentum === 0) return [`${value} -= ${lr} * ${grad};`];
  if (o.kind === "sgd")
    return [
      `${at("velocity")} = ${lit(o.momentum)} * ${at("velocity")} - ${lr} * ${grad};`,
      `${value} += ${at("velocity")};`,
    ];
  if (o.kind === "rmsprop")
    return [
      `${at("meansquare")} = ${lit(o.rho)} * ${at("meansquare")} + ${lit(1 - o.rho)} * ${grad} * ${grad};`,
      `${value} -= (${lr} * ${grad}) / (Math.sqrt(${at("meansquare")}) + ${lit(o.eps)});`,
    ];
  return [
    ...decoupled,
    `${at("m")} = ${lit(o.beta1)} * ${at("m")} + ${lit(1 - o.beta1)} * ${grad};`,
    `${at("v")} = ${lit(o.beta2)} * ${at("v")} + ${lit(1 - o.beta2)} * ${grad} * ${grad};`,
    `${value} -= (${lr} * (${at("m")} / ${correction1})) / (Math.sqrt(${at("v")} / ${correction2}) + ${lit(o.eps)});`,
  ];
}

const isAdam = (o: OptimizerSpec) => o.kind === "adam" || o.kind === "adamw";

/** Adam's bias corrections after `step` steps, as consts `${prefix}correction1` and 2. */
function correctionLines(o: OptimizerSpec, step: string, prefix = ""): string[] {
  return [
    `const ${prefix}correction1 = 1 - Math.pow(${lit(o.beta1)}, ${step});`,
    `const ${prefix}correction2 = 1 - Math.pow(${lit(o.beta2)}, ${step});`,
  ];
}

/** The weight decay of a param: the optimizer's, where it applies to the param, else 0. */
const decayOf = (o: OptimizerSpec, name: string) =>
  o.decayParams?.includes(name) ? (o.weightDecay ?? 0) : 0;

/** The gradient an update reads: with coupled decay, the gradient of wd/2 |p|^2 joins the loss's. */
const coupled = (o: OptimizerSpec, wd: number, grad: string, value: string) =>
  wd > 0 && o.kind !== "adamw" ? `${grad} + ${lit(wd)} * ${value}` : grad;

/**
 * Where a target keeps a tensor param's optimizer state and how it runs its update: the JS target
 * allocates arrays and calls a function of its own per size; the wasm target keeps both in its
 * module.
 */
export interface UpdateTarget {
  /** declares the buffer of `what` (velocity, m, v, ...) of a param of `size` elements */
  stateBuffer(name: string, size: string): string[];
  /** the statement that shows the buffer `name` as `slots[key]` (`slots` is a record) */
  slot(slots: string, key: string, name: string, size: string): string;
  /** the statement updating a tensor param; `args`: value, grad, state..., lr (the target adds
   * Adam's bias corrections in its own form) */
  update(key: UpdateKey, args: string[]): string;
  /** module-scope code of the updates used (JS functions) */
  kernels(): string[];
}

export interface UpdateKey {
  o: OptimizerSpec;
  /** elements, a literal */
  size: string;
  roles: string[];
  /** the param's weight decay */
  wd: number;
}

/** The JS target's updates: one function per optimizer, decay and size, at module scope. */
export function jsUpdates(plan: Plan): UpdateTarget {
  const names = new Map<string, string>();
  const kernels: string[] = [];
  return {
    stateBuffer: (name, size) => [`const ${name} = new ${plan.array}(${size});`],
    slot: (slots, key, name) => `${slots}[${jsString(key)}] = ${name};`,
    update(key, args) {
      const id = `${key.o.kind}${key.wd > 0 ? "_decayed" : ""}_${key.size}`;
      if (!names.has(id)) {
        names.set(id, plan.sys.fresh(id));
        kernels.push(...updateKernel(key.o, names.get(id)!, key.size, key.roles, key.wd));
      }
      // Adam's step count, a small integer: the corrections, numbers computed per step, would be
      // boxed as arguments (a heap allocation per step), so the update computes them
      const step = isAdam(key.o) ? ["$stepCount"] : [];
      return `${names.get(id)!}(${[...args, ...step].join(", ")});`;
    },
    kernels: () => kernels,
  };
}

/** The statement copying `size` numbers of the buffer `from` into the buffer `to`. */
export type Copy = (to: string, from: string, size: string) => string;

export function optimizer(
  plan: Plan,
  scalar: (n: Node) => string,
  copy: Copy,
  target: UpdateTarget = jsUpdates(plan),
): OptimizerCode {
  const o = plan.model.optimizer;
  const slots = plan.sys.fresh("optimizerSlots");
  const state: string[] = ["let $stepCount = 0;", `const ${slots} = Object.create(null);`];
  if (plan.hoisted) state.push("let $g = 0; // a scalar param's gradient, in its update");
  const step: string[] = ["$stepCount++;"];
  if (isAdam(o)) step.push(...correctionLines(o, "$stepCount", "$"));
  const roles = stateOf(o);
  const updated = updatedParams(plan);
  const grads = gradientBuffers(plan, updated, target, copy);
  state.push(...grads.state);
  step.push(...grads.copies);
  for (const { leaf, grad: g } of updated) {
    const size = plan.size(leaf.shape);
    const scalarParam = isScalar(leaf.shape);
    // a scalar param's state is JS's on every target: only JS code reads it
    const holder = scalarParam ? jsUpdates(plan) : target;
    const buffers = roles.map((what) => {
      const name = plan.namer.fresh(`${leaf.name}_${what}`);
      state.push(
        ...holder.stateBuffer(name, size),
        holder.slot(slots, `${leaf.name}.${what}`, name, size),
      );
      return name;
    });
    step.push(`// ${jsComment(g.name)}`);
    const wd = decayOf(o, leaf.name);
    if (scalarParam) {
      step.push(...scalarUpdate(plan, { o, wd, leaf, g, roles, buffers }, scalar));
      continue;
    }
    const gradient = grads.names.get(leaf.name) ?? plan.nameOf(g.node);
    const args = [plan.nameOf(leaf.node), gradient, ...buffers, "$lr"];
    step.push(target.update({ o, size, roles, wd }, args));
  }
  const api = plan.sys.fresh("optimizer");
  state.push(...optimizerApi(api, slots));
  const learningRate = plan.sys.fresh("learningRate");
  return {
    kernels: target.kernels(),
    // an inference-only model has no optimizer to show
    state: plan.model.train.loss === null ? [] : state,
    api,
    step,
    schedule: scheduleCode(o, learningRate, plan.sys.fresh("baseLr")),
    learningRate,
  };
}

/**
 * The params are updated in place one after another, so a gradient that is a param's own buffer
 * (d(a * b)/db is a) would be read after an earlier update changed it: such gradients are copied
 * into buffers of their own before the first update. (A scalar param's value is read into a
 * local at the start of the step, so only tensors need this.)
 */
function gradientBuffers(plan: Plan, updated: Updated[], target: UpdateTarget, copy: Copy) {
  const params = new Set(updated.map((u) => u.leaf.node));
  const names = new Map<string, string>();
  const state: string[] = [];
  const copies: string[] = [];
  for (const { leaf, grad } of updated) {
    if (isScalar(leaf.shape) || !params.has(plan.storageOf(grad.node))) continue;
    const size = plan.size(leaf.shape);
    const name = plan.namer.fresh(`d_${leaf.name}`);
    names.set(leaf.name, name);
    state.push(...target.stateBuffer(name, size));
    copies.push(copy(name, plan.nameOf(grad.node), size));
  }
  if (copies.length > 0)
    copies.unshift("// gradients that are params: kept before an update changes them");
  return { names, state, copies };
}

/** A scalar param's update, inline in the step. */
function scalarUpdate(
  plan: Plan,
  u: {
    o: OptimizerSpec;
    wd: number;
    leaf: Updated["leaf"];
    g: Updated["grad"];
    roles: string[];
    buffers: string[];
  },
  scalar: (n: Node) => string,
): string[] {
  const { o, wd, roles, buffers } = u;
  const store = plan.storage.get(u.leaf.node)!;
  const at = (what: string) => (what === "value" ? store : buffers[roles.indexOf(what)]!) + "[0]";
  const hyper = { lr: "$lr", correction1: "$correction1", correction2: "$correction2" };
  const one = update(o, wrap(scalar(u.g.node)), at, hyper, wd);
  if (one.length === 1 && wd === 0) return one;
  const g = coupled(o, wd, scalar(u.g.node), at("value"));
  // hoisted, `$g` is createModel's: a block's const would take a slot of the frame per param
  if (plan.hoisted) return [`$g = ${g};`, ...update(o, "$g", at, hyper, wd)];
  return ["{", `  const $g = ${g};`, ...update(o, "$g", at, hyper, wd).map((l) => `  ${l}`), "}"];
}

/** `m.optimizer`: the steps taken (Adam's bias corrections count them) and the state by param. */
function optimizerApi(api: string, slots: string): string[] {
  return [
    `const ${api} = {`,
    "  /** the training steps taken; Adam's bias corrections count them */",
    "  get step() {",
    "    return $stepCount;",
    "  },",
    "  set step(value) {",
    "    if (!Number.isInteger(value) || value < 0)",
    '      throw new Error("optimizer.step must be a whole number of steps, got " + $describe(value));',
    "    $stepCount = value;",
    "  },",
    "  /** the optimizer's state of each param, `<param>.<role>` (velocity, meansquare, m, v) */",
    `  slots: ${slots},`,
    "};",
  ];
}

/**
 * A tensor's update is a small function of its own: a long loop inside the training step would
 * be compiled on its own (on-stack replacement) before the loops after it had run.
 */
function updateKernel(
  o: OptimizerSpec,
  name: string,
  size: string,
  roles: string[],
  wd: number,
): string[] {
  const adam = isAdam(o);
  const params = ["value", "grad", ...roles, "lr", ...(adam ? ["step"] : [])];
  const at = (what: string) => `${what}[i]`;
  const hyper = { lr: "lr", correction1: "correction1", correction2: "correction2" };
  const body = [
    `const g = ${coupled(o, wd, "grad[i]", "value[i]")};`,
    ...update(o, "g", at, hyper, wd),
  ];
  const corrections = adam ? correctionLines(o, "step") : [];
  return [
    `// ${o.kind} on ${size} numbers${wd > 0 ? `, with weight decay ${wd}` : ""}`,
    `function ${name}(${params.join(", ")}) {`,
    ...corrections.map((l) => `  ${l}`),
    `  for (let i = 0; i < ${size}; i++) {`,
    ...body.map((l) => `    ${l}`),
    "  }",
    "}",
  ];
}

/** `linear(to: 0.1)`, as the source writes it, for comments and messages. */
export function scheduleText(s: ScheduleSpec): string {
  const args = Object.entries(s)
    .filter(([k]) => k !== "kind")
    .map(([k, v]) => `${k}: ${v as number}`);
  return args.length === 0 ? s.kind : `${s.kind}(${args.join(", ")})`;
}

/**
 * learningRate(step, run): the rate of step `step` (0, 1, 2, ...: one per trainStep) of a run of
 * `run.steps` steps with `run.stepsPerEpoch` steps per epoch, from the base rate (createModel's
 * `lr`, or the file's): times (step + 1) / warmup during the warmup, the schedule over the steps
 * after it, and times decay^epoch.
 */
function scheduleCode(o: OptimizerSpec, name: string, base: string): string[] {
  const s = o.schedule ?? { kind: "constant" };
  const warmup = o.warmup ?? 0;
  const decay = o.decay ?? 1;
  const text = scheduleText(s);
  const horizon = (s.kind === "linear" || s.kind === "cosine") && s.steps === undefined;
  const need = (field: string, why: string) => [
    `  const ${field} = run === null || typeof run !== "object" ? run : run.${field};`,
    `  if (!Number.isInteger(${field}) || ${field} < 1)`,
    `    throw new Error(`,
    `      ${jsString(`learningRate(step, { ${field} }) needs ${why}`)} +`,
    `        ", a positive integer; got " + $describe(${field}),`,
    "    );",
  ];
  const u = warmup > 0 ? `Math.max(0, step - ${warmup})` : "step";
  const warm = warmup > 0 ? `linear warmup over ${warmup} steps, then ` : "";
  return [
    `const ${base} = $lr;`,
    `/** The learning rate of step \`step\` (0, 1, 2, ...): ${warm}${text}${decay !== 1 ? `, times ${decay} per epoch` : ""}. */`,
    `function ${name}(step, run) {`,
    `  if (!Number.isInteger(step) || step < 0) throw new Error("learningRate expects a step number 0, 1, 2, ..., got " + $describe(step));`,
    ...(horizon ? need("steps", `the length of the run in steps for ${text}`) : []),
    ...(decay !== 1 ? need("stepsPerEpoch", `the steps of an epoch for decay: ${decay}`) : []),
    ...(s.kind === "linear" || s.kind === "cosine"
      ? [`  const progress = Math.min(1, ${u} / ${horizonOf(s.steps, warmup)});`]
      : []),
    `  let rate = ${rateExpr(s, base, u)};`,
    ...(warmup > 0 ? [`  if (step < ${warmup}) rate *= (step + 1) / ${warmup};`] : []),
    ...(decay !== 1
      ? [`  rate *= Math.pow(${lit(decay)}, Math.floor(step / run.stepsPerEpoch));`]
      : []),
    "  return rate;",
    "}",
  ];
}

/** The steps a linear or cosine schedule runs over, after the warmup. */
function horizonOf(declared: number | undefined, warmup: number): string {
  return declared === undefined
    ? `Math.max(1, run.steps - ${warmup})`
    : lit(Math.max(1, declared - warmup));
}

/** The schedule's rate at step `u` after the warmup (`progress`: u over the horizon, at most 1). */
function rateExpr(s: ScheduleSpec, base: string, u: string): string {
  switch (s.kind) {
    case "constant":
      return base;
    case "linear":
      return `${base} + (${lit(s.to)} - ${base}) * progress`;
    case "cosine":
      return `${lit(s.to)} + ((${base} - ${lit(s.to)}) * (1 + Math.cos(Math.PI * progress))) / 2`;
    case "step":
      return `${base} * Math.pow(${lit(s.factor)}, Math.floor(${u} / ${lit(s.every)}))`;
    case "exponential":
      return `${base} * Math.pow(${lit(s.rate)}, ${u} / ${lit(s.every)})`;
  }
}
