// The optimizer's update, written as one loop per param over preallocated optimizer state:
// sgd (with momentum), rmsprop and adam (with bias correction and a step counter).
import { isScalar } from "../ir/node.ts";
import { lit } from "../ops/op.ts";
import { wrap, type Exprs } from "./loops.ts";
import { commentText } from "./names.ts";
import type { Plan } from "./plan.ts";

export interface OptimizerCode {
  /** declarations of the optimizer's state, in createModel */
  state: string[];
  /** the update, at the end of trainStep */
  step: string[];
}

export function optimizer(plan: Plan, exprs: Exprs): OptimizerCode {
  const o = plan.model.optimizer;
  const state: string[] = [];
  const step: string[] = [];
  if (o.kind === "adam") {
    state.push("let stepCount = 0;");
    step.push(
      "stepCount++;",
      `const correction1 = 1 - Math.pow(${lit(o.beta1)}, stepCount);`,
      `const correction2 = 1 - Math.pow(${lit(o.beta2)}, stepCount);`,
    );
  }
  for (const g of plan.paramGrads) {
    const leaf = plan.model.params.find((p) => p.node === g.node || p.name === g.name);
    if (!leaf) continue;
    const scalar = isScalar(leaf.shape);
    const size = plan.size(leaf.shape);
    const value = scalar ? plan.storage.get(leaf.node)! : plan.nameOf(leaf.node);
    const i = scalar ? "0" : "i";
    const grad = scalar ? exprs.scalar(g.node) : `${plan.nameOf(g.node)}[i]`;
    const buffer = (what: string) => {
      const name = plan.namer.fresh(`${leaf.name}_${what}`);
      state.push(`const ${name} = new ${plan.array}(${size});`);
      return name;
    };
    let body: string[];
    if (o.kind === "sgd" && o.momentum === 0) body = [`${value}[${i}] -= lr * ${wrap(grad)};`];
    else if (o.kind === "sgd") {
      const v = buffer("velocity");
      body = [
        `${v}[${i}] = ${lit(o.momentum)} * ${v}[${i}] - lr * ${wrap(grad)};`,
        `${value}[${i}] += ${v}[${i}];`,
      ];
    } else if (o.kind === "rmsprop") {
      const s = buffer("meansquare");
      body = [
        `const gi = ${grad};`,
        `${s}[${i}] = ${lit(o.rho)} * ${s}[${i}] + ${lit(1 - o.rho)} * gi * gi;`,
        `${value}[${i}] -= (lr * gi) / (Math.sqrt(${s}[${i}]) + ${lit(o.eps)});`,
      ];
    } else {
      const m = buffer("m");
      const v = buffer("v");
      body = [
        `const gi = ${grad};`,
        `${m}[${i}] = ${lit(o.beta1)} * ${m}[${i}] + ${lit(1 - o.beta1)} * gi;`,
        `${v}[${i}] = ${lit(o.beta2)} * ${v}[${i}] + ${lit(1 - o.beta2)} * gi * gi;`,
        `${value}[${i}] -= (lr * (${m}[${i}] / correction1)) / (Math.sqrt(${v}[${i}] / correction2) + ${lit(o.eps)});`,
      ];
    }
    step.push(`// ${commentText(g.name)}`);
    if (scalar && body.length === 1) step.push(body[0]!);
    else if (scalar) step.push("{", ...body.map((l) => `  ${l}`), "}");
    else {
      // a tensor's update is a small function of its own: a long loop inside trainStep would be
      // compiled on its own (on-stack replacement) before the loops after it have run
      const fn = plan.namer.fresh(`update_${leaf.name}`);
      const params = o.kind === "adam" ? "correction1, correction2" : "";
      const loop =
        body.length === 1
          ? [`for (let i = 0; i < ${size}; i++) ${body[0]}`]
          : [`for (let i = 0; i < ${size}; i++) {`, ...body.map((l) => `  ${l}`), "}"];
      state.push(`function ${fn}(${params}) {`, ...loop.map((l) => `  ${l}`), "}");
      step.push(`${fn}(${params});`);
    }
  }
  return { state, step };
}
