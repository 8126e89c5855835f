// Code generation: a ModelIR becomes an ES module with no imports whose createModel builds a
// model (params, buffers, kernels, forward / loss / grad / trainStep), plus its .d.ts. The
// schedule (schedule/: which values each function computes, their kernels, names, memory and
// math) is the same for every target; js/ writes it as JavaScript.
import type { ModelIR } from "../ir/model.ts";
import type { Dim, Node } from "../ir/node.ts";
import { emitDts } from "./dts.ts";
import { emitJs, EXPORT_LINE } from "./js/module.ts";
import { KernelSet } from "./schedule/kernels.ts";
import { planMemory } from "./schedule/memory.ts";
import { Plan, type EmitOptions } from "./schedule/plan.ts";
import { scheduleSteps } from "./schedule/steps.ts";
import { derivation, type DerivationRow } from "./schedule/derivation.ts";
import { bufferNodes } from "./js/storage.ts";
import { jsBackend } from "./js/arrays.ts";
import { layout } from "./js/layout.ts";
import { WasmTooLarge } from "./wasm/limits.ts";
import { wasmBackend, type WasmModule } from "./wasm/memory.ts";

export type { EmitOptions, GradTarget } from "./schedule/plan.ts";
export { formatDerivation, type DerivationRow } from "./schedule/derivation.ts";

/** How `nnc grad` shows the gradient code. */
export interface GradView {
  /** the forward pass's statements too (else one comment stands for them) */
  forward?: boolean;
  /** the kernels' bodies after the function */
  kernels?: boolean;
}

export interface EmittedModule {
  /** the target the module was written for */
  target: "js" | "wasm";
  /** why it is not the target asked for (the wasm target cannot run a kernel, f64, ...) */
  note?: string;
  /** the wasm target's WebAssembly text */
  wat?: () => string;
  js: string;
  dts: string;
  /** the generated grad function and the kernels it calls (everything, for a file) */
  gradSource: string;
  /** the grad function as `nnc grad` shows it */
  gradCode(view: GradView): string;
  /** the backward pass as `.nn` equations, one a line, from `d_loss = 1` */
  derivation: DerivationRow[];
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

export interface CodegenOptions extends EmitOptions {
  /** naive loops instead of register-blocked kernels, for reading */
  plain?: boolean;
  /**
   * `js`, `wasm` (its kernels in WebAssembly SIMD), or `auto`: wasm where it can run every kernel
   * and the model is large enough to gain from it, else js. Default js.
   */
  target?: "js" | "wasm" | "auto";
}

/** A model this small (multiply-adds per training step) runs faster as plain JS. */
const WASM_MIN_WORK = 20_000;

export function emitModule(model: ModelIR, opts: CodegenOptions): EmittedModule {
  try {
    return emitFor(model, opts);
  } catch (e) {
    // a wasm module past an engine's limits: the model is written for the JS target afresh
    if (!(e instanceof WasmTooLarge)) throw e;
    return emitFor(
      model,
      { ...opts, target: "js" },
      `the wasm target cannot run it (${e.message})`,
    );
  }
}

function emitFor(model: ModelIR, opts: CodegenOptions, why?: string): EmittedModule {
  const plan = new Plan(model, opts);
  const kernels = new KernelSet(plan);
  const steps = scheduleSteps(plan, kernels);
  const memory = planMemory(plan, bufferNodes(plan));
  const chosen = why
    ? { note: why }
    : chooseTarget(plan, kernels, memory, steps, opts.target ?? "js");
  const backend =
    chosen.wasm?.backend ?? jsBackend(plan, kernels, memory, { plain: opts.plain ?? false });
  // where the module is not on the target asked for, it says why (a fallback is never silent)
  const meta = {
    ...metaOf(plan),
    target: chosen.wasm ? "wasm" : "js",
    ...(chosen.note ? { targetNote: chosen.note } : {}),
  };
  const out = emitJs({ plan, steps, meta }, backend);
  const gradCode = (view: GradView) => {
    const g = out.grad({ forward: view.forward ?? false });
    return [...g.code, ...(view.kernels ? ["", ...g.kernels] : [])].join("\n");
  };

  // what `nnc stats` reads, worked out when asked for
  let schedule: Schedule | undefined;
  const scheduleOf = (): Schedule => {
    const calls = new Map<Node, string>();
    for (const f of Object.values(steps))
      for (const s of f.steps) if (s.kind === "kernel") calls.set(s.node, s.call.kernel.name);
    const loops = loopCounts(backend.kernelText);
    return {
      kernels: [...calls].map(([node, k]) => ({ node, loops: loops.get(k) ?? 0 })),
      buffers: bufferNodes(plan),
      groups: memory.groups,
      bytesPerElement: opts.dtype === "f32" ? 4 : 8,
      bind: opts.bind,
    };
  };
  return {
    target: chosen.wasm ? "wasm" : "js",
    ...(chosen.note ? { note: chosen.note } : {}),
    ...(chosen.wasm ? { wat: chosen.wasm.wat } : {}),
    js: out.js,
    dts: layout(emitDts(plan)),
    // worked out when asked for: most compilations only want the module
    get gradSource() {
      const full = out.grad({ forward: true });
      return [...full.kernels, ...full.code].join("\n");
    },
    gradCode,
    get derivation() {
      return derivation(steps.grad, plan);
    },
    get schedule() {
      return (schedule ??= scheduleOf());
    },
  };
}

/** The target a module is written for, and why not the one asked for. */
function chooseTarget(
  plan: Plan,
  kernels: KernelSet,
  memory: ReturnType<typeof planMemory>,
  steps: ReturnType<typeof scheduleSteps>,
  asked: "js" | "wasm" | "auto",
): { wasm?: WasmModule; note?: string } {
  if (asked === "js") return {};
  if (asked === "auto" && work(kernels) < WASM_MIN_WORK)
    return { note: "a model this small runs faster as JS" };
  const wasm = wasmBackend(plan, kernels, memory, steps);
  if (typeof wasm === "string") return { note: `the wasm target cannot run it (${wasm})` };
  return { wasm };
}

/** Multiply-adds of the products and convolutions of one training step, named dims as 32. */
function work(kernels: KernelSet): number {
  const size = (ds: Dim[]) => ds.reduce<number>((a, d) => a * (typeof d === "number" ? d : 32), 1);
  return kernels.all().reduce((sum, k) => {
    const s = k.spec;
    if (s.kind === "matmul") return sum + size([...(s.batch?.dims ?? []), ...s.M, ...s.N, ...s.K]);
    if (s.kind === "conv2d" || s.kind === "conv2d_dx" || s.kind === "conv2d_dw") {
      const g = s.geo;
      return sum + size([g.N, g.O, g.OH, g.OW, g.C / g.groups, g.kh, g.kw]);
    }
    return sum;
  }, 0);
}

/** The `for` loops of each kernel's JS body (none for wasm kernels). */
function loopCounts(kernelText: Map<string, string[]>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const [name, lines] of kernelText)
    counts.set(name, lines.join("\n").match(/\bfor \(/g)?.length ?? 0);
  return counts;
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
  const training = {
    weight_decay: o.weightDecay ?? 0,
    decay_params: o.decayParams ?? [],
    schedule: o.schedule ?? { kind: "constant" },
    warmup: o.warmup ?? 0,
    decay: o.decay ?? 1,
  };
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
    training: m.train.loss !== null,
    optimizer: { kind: o.kind, lr: o.lr, ...hyper, ...training },
  };
}

export interface LoadedModule {
  createModel: (options?: Record<string, unknown>) => GeneratedModel;
  meta: Record<string, unknown>;
}

/** The inputs of a call, by name: an object (own properties only) or a Map. */
export type FeedArg = Record<string, unknown> | ReadonlyMap<string, unknown>;

export interface GeneratedModel {
  params: Record<string, Float32Array | Float64Array>;
  state: Record<string, Float32Array | Float64Array>;
  forward(feed: FeedArg): Record<string, Float32Array | Float64Array | number>;
  loss(feed: FeedArg): number;
  grad(feed: FeedArg): {
    loss: number;
    grads: Record<string, Float32Array | Float64Array>;
  };
  trainStep(feed: FeedArg): number;
  /** restarts the random numbers (dropout masks) from `seed` */
  reseed(seed: number): void;
  /** where the random numbers are, for `reseed` */
  randomState(): number;
  /** the steps taken and the optimizer's arrays by `<param>.<role>` */
  optimizer: { step: number; slots: Record<string, Float32Array | Float64Array> };
  /** sets the learning rate of the steps that follow */
  setLearningRate(lr: number): void;
  /** the schedule's learning rate of step `step` (0-based) of a run */
  learningRate(step: number, run?: { steps?: number; stepsPerEpoch?: number }): number;
}

/**
 * Evaluates a generated module's text in-process and returns its exports. The wasm target's module
 * compiles its binary with a top-level `await`; in-process it is compiled synchronously instead.
 */
export function loadModule(js: string): LoadedModule {
  const body = js
    .replace(EXPORT_LINE, "return { createModel: $createModel, meta: $meta };")
    .replace("await WebAssembly.compile($bytes)", "new WebAssembly.Module($bytes)");
  return new Function(body)() as LoadedModule;
}

/**
 * The same, compiling the wasm target's binary asynchronously (as the module itself does when it
 * is imported): a browser's main thread refuses to compile large modules synchronously.
 */
export async function loadModuleAsync(js: string): Promise<LoadedModule> {
  const body = js.replace(EXPORT_LINE, "return { createModel: $createModel, meta: $meta };");
  const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (
    body: string,
  ) => () => Promise<LoadedModule>;
  return new AsyncFunction(body)();
}
