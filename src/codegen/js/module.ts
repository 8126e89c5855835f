// The JS target: the module's text. At module scope, the helpers and one function per kernel;
// `$createModel` allocates a model's params, state and buffers and returns its entry points,
// whose statements call the kernels with the model's buffers.
import { isScalar, type Node, type Shape } from "../../ir/node.ts";
import { lit } from "../../ops/op.ts";
import { jsComment, jsString } from "../text.ts";
import type { FnName, Plan } from "../schedule/plan.ts";
import type { FnSteps } from "../schedule/steps.ts";
import { Entries, type BodyOptions, type BufferAccess } from "./entry.ts";
import type { OptimizerCode } from "./optim.ts";
import { helpers } from "./runtime.ts";
import { fit, layout, literal } from "./layout.ts";
import { dimDecls } from "./storage.ts";

export interface JsInput {
  plan: Plan;
  steps: Record<FnName, FnSteps>;
  meta: unknown;
}

/** What a target gives the module: its buffers, its kernels, its optimizer's updates. */
export interface Backend {
  /** how the header names the code: `f32`, `f32, WebAssembly SIMD` */
  label: string;
  access: BufferAccess;
  /** module-scope code after the helpers: the kernels, or the wasm binary */
  moduleScope(): string[];
  /** createModel's allocations: params with their initializers, state, buffers, `$ensure` */
  storage(): string[];
  /** the kernels' code by name, for `nnc grad --kernels` */
  kernelText: Map<string, string[]>;
  optimizer(scalar: (n: Node) => string): OptimizerCode;
}

export interface JsModule {
  js: string;
  /** the grad function as a reader sees it, and the kernels it calls */
  grad: (opts: BodyOptions) => { code: string[]; kernels: string[] };
}

export const EXPORT_LINE = "export { $createModel as createModel, $meta as meta };";

/** The module's text: helpers, the target's module scope, `$createModel` and its entry points. */
export function emitJs(input: JsInput, backend: Backend): JsModule {
  const { plan, steps } = input;
  const entries = new Entries(plan, backend.access);
  const opt = backend.optimizer((n) => entries.scalar(n));
  const fns = entryFunctions(input, entries, opt);
  const body = [
    ...optionChecks(plan),
    ...dimDecls(plan),
    ...backend.storage(),
    ...opt.state,
    ...[...entries.viewBuffers].map(([v, buf]) => `let ${v} = ${backend.access.initialView(buf)};`),
    ...results(plan, backend.access.viewsPerCall),
    ...entries.hoistedDeclarations(),
    ...fns,
    ...batchOption(plan),
    `return { ${exported(plan, opt).join(", ")} };`,
  ];
  const js = [
    `// model ${jsComment(plan.model.name)} from ${jsComment(plan.model.file)} (${backend.label}).`,
    "// Names that start with `$` are the compiler's own; every other name comes from the source.",
    '"use strict";',
    `const $meta = ${literal(input.meta)};`,
    "",
    helpers,
    ...backend.moduleScope(),
    ...opt.kernels,
    "",
    "function $createModel($options = {}) {",
    ...body.map((l) => (l === "" ? l : `  ${l}`)),
    "}",
    "",
    EXPORT_LINE,
    "",
  ].join("\n");
  const laidOut = layout(js);
  const grad = (o: BodyOptions) => {
    const called = steps.grad.steps.flatMap((s) =>
      s.kind === "kernel" && (o.forward || s.backward) ? [s.call.kernel.name] : [],
    );
    const code = gradFunction(input, entries, o).flatMap((l) => fit(l));
    const text = (k: string) => (backend.kernelText.get(k) ?? []).flatMap((l) => fit(l));
    return { code, kernels: [...new Set(called)].flatMap((k) => [...text(k), ""]) };
  };
  return { js: laidOut, grad };
}

function exported(plan: Plan, opt: OptimizerCode): string[] {
  const base = [
    "params: $params",
    "state: $state",
    "forward: $forward",
    "reseed: $reseed",
    "randomState: $randomState",
  ];
  if (plan.model.train.loss === null) return [...base, "meta: $meta"];
  return [
    ...base,
    "loss: $evalLoss",
    "grad: $grad",
    "trainStep: $trainStep",
    "setLearningRate: $setLearningRate",
    `learningRate: ${opt.learningRate}`,
    `optimizer: ${opt.api}`,
    "meta: $meta",
  ];
}

const OPTIONS = ["seed", "params", "weights", "batch", "lr"];

function optionChecks(plan: Plan): string[] {
  const lr = plan.model.train.loss === null ? [] : lrOption(plan);
  return [
    'if ($options === null || typeof $options !== "object")',
    '  throw new Error("createModel expects an options object, got " + $describe($options));',
    "for (const $key of Object.keys($options))",
    `  if (![${OPTIONS.map((o) => JSON.stringify(o)).join(", ")}].includes($key))`,
    `    throw new Error("unknown option " + JSON.stringify($key) + " of createModel; the options are: ${OPTIONS.join(", ")}");`,
    "const $seed = $options.seed === undefined ? 1 : $options.seed;",
    'if (typeof $seed !== "number" || !Number.isFinite($seed))',
    '  throw new Error("seed must be a number, got " + $describe($seed));',
    "const $rng = Int32Array.of($seed >>> 0);",
    "const $cell = new Float64Array(1);",
    ...lr,
  ];
}

function lrOption(plan: Plan): string[] {
  return [
    `let $lr = $options.lr === undefined ? ${lit(plan.model.optimizer.lr)} : $options.lr;`,
    'if (typeof $lr !== "number" || !(Number.isFinite($lr) && $lr >= 0))',
    '  throw new Error("lr must be a finite non-negative number, got " + $describe($lr));',
  ];
}

/** The preallocated result objects, with every static buffer already in place (unless views of
 * results are made per call). */
function results(plan: Plan, perCall: boolean): string[] {
  const lines = ["const $forwardResult = Object.create(null);"];
  const upFront = (shape: Shape) => !isScalar(shape) && plan.isStatic(shape) && !perCall;
  for (const o of plan.model.infer.outputs)
    if (upFront(o.node.shape))
      lines.push(`$forwardResult[${jsString(o.name)}] = ${plan.nameOf(o.node)};`);
  if (plan.model.train.loss === null) return lines;
  lines.push("const $grads = Object.create(null);");
  for (const g of plan.opts.grads) {
    if (isScalar(g.node.shape)) {
      const store = scalarGradStore(plan, g.name);
      lines.push(
        `const ${store} = new ${plan.array}(1);`,
        `$grads[${jsString(g.name)}] = ${store};`,
      );
    } else if (upFront(g.node.shape))
      lines.push(`$grads[${jsString(g.name)}] = ${plan.nameOf(g.node)};`);
  }
  lines.push("const $gradResult = { loss: 0, grads: $grads };");
  return lines;
}

const gradStores = new WeakMap<Plan, Map<string, string>>();
function scalarGradStore(plan: Plan, name: string): string {
  let m = gradStores.get(plan);
  if (!m) gradStores.set(plan, (m = new Map()));
  let s = m.get(name);
  if (s === undefined) m.set(name, (s = plan.sys.fresh(`d_${name}`)));
  return s;
}

function fnText(name: string, lines: string[]): string[] {
  return [`function ${name}($feed) {`, ...lines.map((l) => `  ${l}`), "}"];
}

function gradFunction(input: JsInput, entries: Entries, o: BodyOptions): string[] {
  const { plan, steps } = input;
  const lossNode = plan.model.train.loss;
  if (lossNode === null) return [];
  return fnText("$grad", [
    ...entries.prologue(plan.fns.grad),
    ...entries.body(steps.grad, o),
    `$gradResult.loss = ${entries.scalar(lossNode)};`,
    ...plan.opts.grads.flatMap((g) =>
      isScalar(g.node.shape)
        ? [`${scalarGradStore(plan, g.name)}[0] = ${entries.scalar(g.node)};`]
        : optional(entries.resultAssign("$grads", g.name, g.node)),
    ),
    "return $gradResult;",
  ]);
}

const optional = (s: string | null) => (s === null ? [] : [s]);

function entryFunctions(input: JsInput, entries: Entries, opt: OptimizerCode): string[] {
  const { plan, steps } = input;
  const full = { forward: true };
  const run = (fn: FnName) => [...entries.prologue(plan.fns[fn]), ...entries.body(steps[fn], full)];
  const forward = fnText("$forward", [
    ...run("forward"),
    ...plan.model.infer.outputs.flatMap((o) =>
      optional(entries.resultAssign("$forwardResult", o.name, o.node)),
    ),
    "return $forwardResult;",
  ]);
  const reseed = [
    "/** Restarts the random numbers (dropout masks) from `seed`, for reproducible calls. */",
    "function $reseed(seed) {",
    '  if (typeof seed !== "number" || !Number.isFinite(seed))',
    '    throw new Error("seed must be a number, got " + $describe(seed));',
    "  $rng[0] = seed >>> 0;",
    "}",
    "/** Where the random numbers are: `reseed(randomState())` later makes the same masks again. */",
    "function $randomState() {",
    "  return $rng[0] >>> 0;",
    "}",
  ];
  const lossNode = plan.model.train.loss;
  if (lossNode === null) return [...forward, ...reseed];
  const lossValue = entries.scalar(lossNode);
  const evalLoss = fnText("$evalLoss", [...run("loss"), `return ${lossValue};`]);
  const updates = plan.model.train.stateUpdates.flatMap((u) => {
    const leaf = plan.model.state.find((s) => s.name === u.name);
    if (!leaf) throw new Error(`internal: no state named ${u.name}`);
    return isScalar(leaf.shape)
      ? [`${plan.storage.get(leaf.node)}[0] = ${entries.scalar(u.node)};`]
      : [entries.access.copy(plan.nameOf(leaf.node), plan.nameOf(u.node), plan.size(leaf.shape))];
  });
  const trainStep = [
    "/**",
    " * The loss leaves the step through a one-element array: a caller into which V8 inlines this",
    " * small function reads it unboxed, so that steady-state training allocates nothing.",
    " */",
    "const $lossOut = new Float64Array(1);",
    "function $trainStep($feed) {",
    "  $step($feed);",
    "  return $lossOut[0];",
    "}",
    ...fnText("$step", [
      ...run("trainStep"),
      "// the optimizer's step",
      ...opt.step,
      ...(updates.length > 0 ? ["// the new state", ...updates] : []),
      `$lossOut[0] = ${lossValue};`,
    ]),
  ];
  const setLr = [
    "/** Sets the learning rate of the steps that follow (a schedule's way in). */",
    "function $setLearningRate(value) {",
    '  if (typeof value !== "number" || !(Number.isFinite(value) && value >= 0))',
    '    throw new Error("lr must be a finite non-negative number, got " + $describe(value));',
    "  $lr = value;",
    "}",
  ];
  return [
    ...forward,
    ...evalLoss,
    ...gradFunction(input, entries, full),
    ...trainStep,
    ...reseed,
    ...setLr,
    ...opt.schedule,
  ];
}

/** createModel({ batch }) sizes the dynamic buffers up front; a bound batch must agree. */
function batchOption(plan: Plan): string[] {
  const dims = plan.model.dims;
  const d = dims.includes("batch") ? "batch" : dims.length === 1 ? dims[0] : undefined;
  if (d === undefined) return [];
  const check = [
    "if ($options.batch !== undefined) {",
    "  if (!Number.isInteger($options.batch) || $options.batch < 1)",
    '    throw new Error("batch must be a positive integer, got " + $describe($options.batch));',
  ];
  const bound = plan.bound(d);
  if (bound !== undefined)
    return [
      ...check,
      `  if ($options.batch !== ${bound})`,
      `    throw new Error(${jsString(`this module was compiled for ${d} = ${bound} (--bind); createModel got batch `)} + $options.batch);`,
      "}",
    ];
  return [...check, `  ${plan.dim(d)} = $options.batch;`, "  $ensure();", "}"];
}
