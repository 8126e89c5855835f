// The body of createModel: options, params and their initializers, state, buffers (static ones
// allocated here, dynamic ones by `ensure`), optimizer state, kernels, result objects and the four
// entry points.
import { isScalar, originOf, type Node, type Shape } from "../ir/node.ts";
import type { ParamLeaf } from "../ir/model.ts";
import { lit } from "../ops/op.ts";
import { Functions } from "./functions.ts";
import { Kernels, type Kernel } from "./kernels.ts";
import { commentText, str } from "./names.ts";
import { planMemory, type MemoryPlan } from "./memory.ts";
import { optimizer } from "./optim.ts";
import { type FnName, type Plan } from "./plan.ts";
import { prng } from "./runtime.ts";

export interface ModelCode {
  lines: string[];
  /** the grad function and the kernels it calls */
  gradSource: string;
  /** every kernel, for statistics */
  kernels: Kernel[];
  /** which buffers share memory */
  memory: MemoryPlan;
}

export function createModelBody(plan: Plan): ModelCode {
  const memory = planMemory(plan, bufferNodes(plan));
  const kernels = new Kernels(plan);
  const fns = new Functions(plan, kernels);
  const bodies = {} as Record<FnName, ReturnType<Functions["body"]>>;
  for (const name of ["forward", "loss", "grad", "trainStep"] as const)
    bodies[name] = fns.body(plan.fns[name]);
  const opt = optimizer(plan, kernels.exprs);
  const entry = entryPoints(plan, fns, bodies, opt.step);
  const kernelText = new Map(kernels.all().map((k) => [k.name, kernelLines(k)]));
  const lines = [
    ...options(plan),
    ...prng.split("\n"),
    ...dims(plan),
    ...params(plan),
    ...stateDecls(plan),
    ...buffers(plan, memory),
    ...opt.state,
    ...[...fns.viewBuffers].map(([v, buf]) => `let ${v} = ${buf};`),
    ...[...kernelText.values()].flat(),
    ...results(plan, fns),
    ...entry.lines,
    ...batchOption(plan),
    "/** Restarts the random numbers (dropout masks) from `seed`, for reproducible calls. */",
    "function reseed(seed) {",
    "  rngState = seed >>> 0;",
    "}",
    "/** Sets the learning rate of the steps that follow (a schedule's way in). */",
    "function setLearningRate(value) {",
    `  if (typeof value !== "number" || !(value >= 0)) throw new Error("lr must be a non-negative number, got " + describe(value));`,
    "  lr = value;",
    "}",
    "return { params, state, forward, loss: evalLoss, grad, trainStep, reseed, setLearningRate, meta };",
  ];
  const used = [...new Set(bodies.grad.kernels)];
  const gradSource = [...used.flatMap((k) => kernelText.get(k) ?? []), ...entry.grad].join("\n");
  return { lines, gradSource, kernels: kernels.all(), memory };
}

function options(plan: Plan): string[] {
  return [
    `if (options === null || typeof options !== "object") throw new Error("createModel expects an options object, got " + describe(options));`,
    `const seed = options.seed === undefined ? 0 : options.seed;`,
    `if (typeof seed !== "number" || !Number.isFinite(seed)) throw new Error("seed must be a number, got " + describe(seed));`,
    `let lr = options.lr === undefined ? ${lit(plan.model.optimizer.lr)} : options.lr;`,
    `if (typeof lr !== "number" || !(lr >= 0)) throw new Error("lr must be a non-negative number, got " + describe(lr));`,
  ];
}

function dims(plan: Plan): string[] {
  return [...plan.dimVars].flatMap(([d, v]) => [
    `let ${v} = 0; // ${commentText(d)}`,
    `let ${plan.capVars.get(d)} = 0;`,
  ]);
}

function params(plan: Plan): string[] {
  const lines = ["// params", "const params = Object.create(null);"];
  for (const p of plan.model.params) {
    if (!plan.isStatic(p.shape)) throw new Error(`param ${p.name} needs a static shape`);
    const store = isScalar(p.shape) ? plan.storage.get(p.node)! : plan.nameOf(p.node);
    lines.push(
      `const ${store} = new ${plan.array}(${plan.size(p.shape)});`,
      ...initCode(plan, p, store),
      `params[${str(p.name)}] = ${store};`,
    );
  }
  const names = plan.model.params.map((p) => p.name).join(", ");
  lines.push(
    "if (options.params !== undefined) {",
    "  const given = options.params;",
    `  if (given === null || typeof given !== "object") throw new Error("params must be an object, got " + describe(given));`,
    "  for (const key of Object.keys(given)) {",
    `    if (!hasOwn(params, key)) throw new Error("unknown param " + JSON.stringify(key) + "; the params are: " + ${str(names)});`,
    "    const value = given[key];",
    "    const ok = Array.isArray(value) || (ArrayBuffer.isView(value) && !(value instanceof DataView));",
    "    if (!ok || value.length !== params[key].length)",
    `      throw new Error("param " + JSON.stringify(key) + " should be " + params[key].length + " numbers, got " + describe(value));`,
    "    params[key].set(value);",
    "  }",
    "}",
    "Object.freeze(params);",
  );
  return lines;
}

/** Glorot and He initialization need fan-in and fan-out: a matrix's rows and columns. */
function fans(shape: number[]): [number, number] {
  const size = shape.reduce((a, b) => a * b, 1);
  if (shape.length < 2) return [size, size];
  return [shape[0]!, size / shape[0]!];
}

function initCode(plan: Plan, p: ParamLeaf, store: string): string[] {
  const shape = p.shape.map((d) => Number(plan.dim(d)));
  const size = shape.reduce((a, b) => a * b, 1);
  const [fanIn, fanOut] = fans(shape);
  const init = p.init;
  switch (init.kind) {
    case "values":
      if (init.values.length === 1) return [`${store}.fill(${lit(init.values[0]!)});`];
      if (init.values.length !== size)
        throw new Error(`param ${p.name} has ${size} elements but ${init.values.length} values`);
      return [`${store}.set([${init.values.map(lit).join(", ")}]);`];
    case "zeros":
      return [];
    case "ones":
      return [`${store}.fill(1);`];
    case "normal":
      return [`initNormal(${store}, ${lit(init.mean)}, ${lit(init.std)});`];
    case "uniform":
      return [`initUniform(${store}, ${lit(init.low)}, ${lit(init.high)});`];
    case "glorot": {
      const limit = Math.sqrt(6 / (fanIn + fanOut));
      return [
        `initUniform(${store}, ${lit(-limit)}, ${lit(limit)}); // glorot: sqrt(6 / (${fanIn} + ${fanOut}))`,
      ];
    }
    case "he":
      return [`initNormal(${store}, 0, ${lit(Math.sqrt(2 / fanIn))}); // he: sqrt(2 / ${fanIn})`];
  }
}

function stateDecls(plan: Plan): string[] {
  const lines = ["// state", "const state = Object.create(null);"];
  for (const s of plan.model.state) {
    const store = isScalar(s.shape) ? plan.storage.get(s.node)! : plan.nameOf(s.node);
    lines.push(
      `const ${store} = new ${plan.array}(${plan.size(s.shape)});`,
      ...(s.init === 0 ? [] : [`${store}.fill(${lit(s.init)});`]),
      `state[${str(s.name)}] = ${store};`,
    );
  }
  lines.push("Object.freeze(state);");
  return lines;
}

/** Every materialized tensor that is not a param or state. */
export function bufferNodes(plan: Plan): Node[] {
  return plan.all.filter(
    (n) =>
      !isScalar(n.shape) &&
      n.op !== "param" &&
      n.op !== "state" &&
      !plan.fused.has(n) &&
      !plan.alias.has(n),
  );
}

function buffers(plan: Plan, memory: MemoryPlan): string[] {
  const nodes = bufferNodes(plan);
  const lines = ["// buffers"];
  // owners first: the buffers that share memory are views of their owner's start
  const ordered = [
    ...nodes.filter((n) => !memory.owner.has(n)),
    ...nodes.filter((n) => memory.owner.has(n)),
  ];
  const dynamic = ordered.filter((n) => !plan.isStatic(n.shape));
  const shares = (n: Node) => {
    const o = memory.owner.get(n);
    return o ? ` // shares memory with ${plan.nameOf(o)}` : "";
  };
  for (const n of ordered) {
    const o = memory.owner.get(n);
    lines.push(
      !plan.isStatic(n.shape)
        ? `let ${plan.nameOf(n)} = new ${plan.array}(0);${shares(n)}`
        : o
          ? `const ${plan.nameOf(n)} = ${plan.nameOf(o)}.subarray(0, ${plan.size(n.shape)});${shares(n)}`
          : `const ${plan.nameOf(n)} = new ${plan.array}(${plan.size(n.shape)});`,
    );
  }
  if (plan.dimVars.size === 0) return lines;
  const fits = [...plan.dimVars].map(([d, v]) => `${v} <= ${plan.capVars.get(d)}`).join(" && ");
  const grow = (n: Node) => {
    const o = memory.owner.get(n);
    const size = plan.size(n.shape, true);
    return o
      ? `  ${plan.nameOf(n)} = ${plan.nameOf(o)}.subarray(0, ${size});`
      : `  ${plan.nameOf(n)} = new ${plan.array}(${size});`;
  };
  lines.push(
    "/** Grows the buffers whose size depends on a named dim when a larger size arrives. */",
    "function ensure() {",
    `  if (${fits}) return;`,
    ...[...plan.dimVars].map(([d, v]) => {
      const cap = plan.capVars.get(d)!;
      return `  ${cap} = Math.max(${cap}, ${v});`;
    }),
    ...dynamic.map(grow),
    "}",
  );
  return lines;
}

function kernelLines(k: Kernel): string[] {
  const origin = originOf(k.node);
  return [
    ...(origin ? [`// line ${origin.line}: ${commentText(origin.text)}`] : []),
    ...(k.result ? [`const ${k.result} = new Float64Array(1);`] : []),
    `function ${k.name}(${k.args.join(", ")}) {`,
    ...k.lines.map((l) => `  ${l}`),
    "}",
  ];
}

/** The preallocated result objects, with every static buffer already in place. */
function results(plan: Plan, fns: Functions): string[] {
  const lines = ["const forwardResult = Object.create(null);"];
  for (const o of plan.model.infer.outputs)
    if (!isScalar(o.node.shape) && plan.isStatic(o.node.shape))
      lines.push(`forwardResult[${str(o.name)}] = ${plan.nameOf(o.node)};`);
  lines.push("const grads = Object.create(null);");
  for (const g of plan.opts.grads) {
    if (isScalar(g.node.shape)) {
      const store = scalarGradStore(plan, g.name);
      lines.push(`const ${store} = new ${plan.array}(1);`, `grads[${str(g.name)}] = ${store};`);
    } else if (plan.isStatic(g.node.shape))
      lines.push(`grads[${str(g.name)}] = ${plan.nameOf(g.node)};`);
  }
  lines.push("const gradResult = { loss: 0, grads };");
  void fns;
  return lines;
}

const gradStores = new WeakMap<Plan, Map<string, string>>();
function scalarGradStore(plan: Plan, name: string): string {
  let m = gradStores.get(plan);
  if (!m) gradStores.set(plan, (m = new Map()));
  let s = m.get(name);
  if (s === undefined) m.set(name, (s = plan.namer.fresh(`d_${name}_value`)));
  return s;
}

function entryPoints(
  plan: Plan,
  fns: Functions,
  bodies: Record<FnName, { lines: string[] }>,
  step: string[],
): { lines: string[]; grad: string[] } {
  const fn = (name: string, fnName: FnName, tail: string[]) => [
    `function ${name}(feed) {`,
    ...[...fns.prologue(plan.fns[fnName]), ...bodies[fnName].lines, ...tail].map((l) => `  ${l}`),
    "}",
  ];
  const assign = (target: string, key: string, node: Node, shape: Shape) => {
    const a = fns.resultAssign(target, key, node, shape);
    return a === null ? [] : [a];
  };
  const forward = fn("forward", "forward", [
    ...plan.model.infer.outputs.flatMap((o) =>
      assign("forwardResult", o.name, o.node, o.node.shape),
    ),
    "return forwardResult;",
  ]);
  const lossNode = plan.model.train.loss;
  if (lossNode === null) {
    const none = (name: string) => [
      `function ${name}() {`,
      `  throw new Error("this model has no loss");`,
      "}",
    ];
    return {
      lines: [...forward, ...none("evalLoss"), ...none("grad"), ...none("trainStep")],
      grad: none("grad"),
    };
  }
  const lossValue = fns.kernels.exprs.scalar(lossNode);
  const evalLoss = fn("evalLoss", "loss", [`return ${lossValue};`]);
  const grad = fn("grad", "grad", [
    `gradResult.loss = ${lossValue};`,
    ...plan.opts.grads.flatMap((g) =>
      isScalar(g.node.shape)
        ? [`${scalarGradStore(plan, g.name)}[0] = ${fns.kernels.exprs.scalar(g.node)};`]
        : assign("grads", g.name, g.node, g.node.shape),
    ),
    "return gradResult;",
  ]);
  const updates = plan.model.train.stateUpdates.flatMap((u) => {
    const leaf = plan.model.state.find((s) => s.name === u.name);
    if (!leaf) throw new Error(`internal: no state named ${u.name}`);
    return isScalar(leaf.shape)
      ? [`${plan.storage.get(leaf.node)}[0] = ${fns.kernels.exprs.scalar(u.node)};`]
      : [`${plan.nameOf(leaf.node)}.set(${plan.nameOf(u.node)});`];
  });
  const lossOut = plan.namer.fresh("lossOut");
  const stepBody = plan.namer.fresh("step");
  const trainStep = [
    "/**",
    " * The loss leaves the step through a one-element array: a caller into which V8 inlines this",
    " * small function reads it unboxed, so that steady-state training allocates nothing.",
    " */",
    `const ${lossOut} = new Float64Array(1);`,
    "function trainStep(feed) {",
    `  ${stepBody}(feed);`,
    `  return ${lossOut}[0];`,
    "}",
    ...fn(stepBody, "trainStep", [
      "// the optimizer's step",
      ...step,
      ...(updates.length > 0 ? ["// the new state", ...updates] : []),
      `${lossOut}[0] = ${lossValue};`,
    ]),
  ];
  return { lines: [...forward, ...evalLoss, ...grad, ...trainStep], grad };
}

/** createModel({ batch }) sizes the dynamic buffers up front. */
function batchOption(plan: Plan): string[] {
  const dims = [...plan.dimVars.keys()];
  const d = dims.includes("batch") ? "batch" : dims.length === 1 ? dims[0] : undefined;
  if (d === undefined) return [];
  const v = plan.dimVars.get(d)!;
  return [
    "if (options.batch !== undefined) {",
    `  if (!Number.isInteger(options.batch) || options.batch < 1) throw new Error("batch must be a positive integer, got " + describe(options.batch));`,
    `  ${v} = options.batch;`,
    "  ensure();",
    "}",
  ];
}
