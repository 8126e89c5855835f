// The optimizer's step: one update function per tensor size at module scope (`$adam_100352`),
// called for each param with its value, gradient and optimizer state, which are preallocated:
// sgd (with momentum), rmsprop, and adam (with bias correction and a step counter). A scalar
// param's update is written inline.
import { isScalar, type Node } from "../../ir/node.ts";
import type { OptimizerSpec } from "../../ir/model.ts";
import { lit } from "../../ops/op.ts";
import type { Plan } from "../schedule/plan.ts";
import { commentText } from "../schedule/names.ts";
import { wrap } from "./loops.ts";

export interface OptimizerCode {
  /** the update functions, at module scope */
  kernels: string[];
  /** declarations of the optimizer's state, in createModel */
  state: string[];
  /** the update, at the end of the training step */
  step: string[];
}

/** The state each optimizer keeps per param, by role. */
function stateOf(o: OptimizerSpec): string[] {
  if (o.kind === "sgd") return o.momentum === 0 ? [] : ["velocity"];
  return o.kind === "rmsprop" ? ["meansquare"] : ["m", "v"];
}

/** How the update reads the rate and Adam's bias corrections where it is written. */
interface Hyper {
  lr: string;
  correction1: string;
  correction2: string;
}

/** One element's update: `grad` is its gradient, `at(role)` its value and its state. */
function update(o: OptimizerSpec, grad: string, at: (what: string) => string, h: Hyper): string[] {
  const { lr, correction1, correction2 } = h;
  const value = at("value");
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
    `${at("m")} = ${lit(o.beta1)} * ${at("m")} + ${lit(1 - o.beta1)} * ${grad};`,
    `${at("v")} = ${lit(o.beta2)} * ${at("v")} + ${lit(1 - o.beta2)} * ${grad} * ${grad};`,
    `${value} -= (${lr} * (${at("m")} / ${correction1})) / (Math.sqrt(${at("v")} / ${correction2}) + ${lit(o.eps)});`,
  ];
}

const corrections = (o: OptimizerSpec) => (o.kind === "adam" ? ["correction1", "correction2"] : []);

export function optimizer(plan: Plan, scalar: (n: Node) => string): OptimizerCode {
  const o = plan.model.optimizer;
  const kernels: string[] = [];
  const names = new Map<string, string>();
  const state: string[] = [];
  const step: string[] = [];
  if (o.kind === "adam") {
    state.push("let $stepCount = 0;");
    step.push(
      "$stepCount++;",
      `const $correction1 = 1 - Math.pow(${lit(o.beta1)}, $stepCount);`,
      `const $correction2 = 1 - Math.pow(${lit(o.beta2)}, $stepCount);`,
    );
  }
  const roles = stateOf(o);
  const extra = corrections(o).map((c) => `$${c}`);
  for (const g of plan.paramGrads) {
    const leaf = plan.model.params.find((p) => p.node === g.node || p.name === g.name);
    if (!leaf) continue;
    const size = plan.size(leaf.shape);
    const buffers = roles.map((what) => {
      const name = plan.namer.fresh(`${leaf.name}_${what}`);
      state.push(`const ${name} = new ${plan.array}(${size});`);
      return name;
    });
    step.push(`// ${commentText(g.name)}`);
    if (isScalar(leaf.shape)) {
      const store = plan.storage.get(leaf.node)!;
      const at = (what: string) =>
        (what === "value" ? store : buffers[roles.indexOf(what)]!) + "[0]";
      const hyper = { lr: "$lr", correction1: "$correction1", correction2: "$correction2" };
      const one = update(o, wrap(scalar(g.node)), at, hyper);
      if (one.length === 1) step.push(...one);
      else
        step.push(
          "{",
          `  const $g = ${scalar(g.node)};`,
          ...update(o, "$g", at, hyper).map((l) => `  ${l}`),
          "}",
        );
      continue;
    }
    const key = `${o.kind}_${size}`;
    if (!names.has(key)) {
      names.set(key, plan.sys.fresh(key));
      kernels.push(...updateKernel(o, names.get(key)!, size, roles));
    }
    const name = names.get(key)!;
    const args = [plan.nameOf(leaf.node), plan.nameOf(g.node), ...buffers, "$lr", ...extra];
    step.push(`${name}(${args.join(", ")});`);
  }
  return { kernels, state, step };
}

/**
 * A tensor's update is a small function of its own: a long loop inside the training step would
 * be compiled on its own (on-stack replacement) before the loops after it had run.
 */
function updateKernel(o: OptimizerSpec, name: string, size: string, roles: string[]): string[] {
  const params = ["value", "grad", ...roles, "lr", ...corrections(o)];
  const at = (what: string) => `${what}[i]`;
  const hyper = { lr: "lr", correction1: "correction1", correction2: "correction2" };
  const body = ["const g = grad[i];", ...update(o, "g", at, hyper)];
  return [
    `// ${o.kind} on ${size} numbers`,
    `function ${name}(${params.join(", ")}) {`,
    `  for (let i = 0; i < ${size}; i++) {`,
    ...body.map((l) => `    ${l}`),
    "  }",
    "}",
  ];
}
