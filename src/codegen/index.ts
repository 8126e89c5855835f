// Code generation: a ModelIR becomes an ES module with no imports whose createModel builds a
// model (params, buffers, kernels, forward / loss / grad / trainStep), plus its .d.ts.
import type { ModelIR } from "../ir/model.ts";
import { emitDts } from "./dts.ts";
import type { Node } from "../ir/node.ts";
import { bufferNodes, createModelBody } from "./module.ts";
import { commentText } from "./names.ts";
import { Plan, type EmitOptions } from "./plan.ts";
import { helpers } from "./runtime.ts";

export type { EmitOptions, GradTarget } from "./plan.ts";

export interface EmittedModule {
  js: string;
  dts: string;
  /** the generated grad function and the kernels it calls */
  gradSource: string;
  /** what was emitted, for statistics */
  schedule: Schedule;
}

/** The kernels (with their loop counts) and the buffers of a module. */
export interface Schedule {
  kernels: { node: Node; loops: number }[];
  buffers: Node[];
  /** buffers that share one piece of memory (their lifetimes do not overlap) */
  groups: Node[][];
  /** 4 (f32) or 8 (f64) */
  bytesPerElement: number;
  bind: Record<string, number>;
}

const exportLines = [
  "export const createModel = nncModule.createModel;",
  "export const meta = nncModule.meta;",
];

export function emitModule(model: ModelIR, opts: EmitOptions): EmittedModule {
  const plan = new Plan(model, opts);
  const { lines, gradSource, kernels, memory } = createModelBody(plan);
  const schedule: Schedule = {
    kernels: kernels.map((k) => ({
      node: k.node,
      loops: k.lines.join("\n").match(/\bfor \(/g)?.length ?? 0,
    })),
    buffers: bufferNodes(plan),
    groups: memory.groups,
    bytesPerElement: opts.dtype === "f32" ? 4 : 8,
    bind: opts.bind,
  };
  const indent = (ls: string[], by: string) => ls.map((l) => (l === "" ? l : by + l));
  const js = [
    `// model ${commentText(model.name)} from ${commentText(model.file)} (${opts.dtype})`,
    "const nncModule = (() => {",
    '  "use strict";',
    `  const meta = ${JSON.stringify(metaOf(plan))};`,
    ...indent(helpers.split("\n"), "  "),
    "  function createModel(options = {}) {",
    ...indent(lines, "    "),
    "  }",
    "  return { createModel, meta };",
    "})();",
    ...exportLines,
    "",
  ].join("\n");
  return { js, dts: emitDts(plan), gradSource, schedule };
}

function metaOf(plan: Plan) {
  const m = plan.model;
  const o = m.optimizer;
  const hyper =
    o.kind === "sgd"
      ? { momentum: o.momentum }
      : o.kind === "rmsprop"
        ? { rho: o.rho, eps: o.eps }
        : { beta1: o.beta1, beta2: o.beta2, eps: o.eps };
  return {
    name: m.name,
    inputs: [
      ...m.inputs.map((l) => ({ name: l.name, shape: l.shape, role: "input" })),
      ...m.targets.map((l) => ({ name: l.name, shape: l.shape, role: "target" })),
    ],
    params: m.params.map((l) => ({ name: l.name, shape: l.shape })),
    state: m.state.map((l) => ({ name: l.name, shape: l.shape })),
    outputs: m.infer.outputs.map((x) => ({ name: x.name, shape: x.node.shape })),
    grads: plan.opts.grads.map((g) => ({ name: g.name, kind: g.kind })),
    dims: m.dims,
    bind: plan.opts.bind,
    dtype: plan.opts.dtype,
    optimizer: { kind: o.kind, lr: o.lr, ...hyper },
  };
}

export interface LoadedModule {
  createModel: (options?: Record<string, unknown>) => GeneratedModel;
  meta: Record<string, unknown>;
}

export interface GeneratedModel {
  params: Record<string, Float32Array | Float64Array>;
  state: Record<string, Float32Array | Float64Array>;
  forward(feed: Record<string, unknown>): Record<string, Float32Array | Float64Array | number>;
  loss(feed: Record<string, unknown>): number;
  grad(feed: Record<string, unknown>): {
    loss: number;
    grads: Record<string, Float32Array | Float64Array>;
  };
  trainStep(feed: Record<string, unknown>): number;
  /** restarts the random numbers (dropout masks) from `seed` */
  reseed(seed: number): void;
  /** sets the learning rate of the steps that follow */
  setLearningRate(lr: number): void;
}

/** Evaluates a generated module's text in-process and returns its exports. */
export function loadModule(js: string): LoadedModule {
  let body = js;
  for (const line of exportLines) body = body.replace(line, "");
  return new Function(`${body}\nreturn nncModule;`)() as LoadedModule;
}
