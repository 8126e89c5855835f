// compile(source, options): text -> IR (both modes) -> gradients -> JS module. The one entry point
// the CLI and the library share.
import { lower } from "./parse/index.ts";
import {
  emitModule,
  loadModule,
  loadModuleAsync,
  type DerivationRow,
  type GradTarget,
  type GradView,
  type Schedule,
} from "./codegen/index.ts";
import type { ArrayOf, FloatArray, GeneratedModule, InferenceModel } from "./types.ts";

/** Any generated module, of either dtype, trainable or not: what `load<M>` may be told it is. */
type AnyModule = GeneratedModule<FloatArray, InferenceModel>;

/** The dtype options ask for (`undefined`: the default, f32). */
type DtypeOf<O> = O extends { dtype?: infer D } ? D : undefined;
import { gradients, NoGradientError } from "./autodiff/grad.ts";
import { Diagnostics, NnError, type At } from "./diagnostics.ts";
import {
  currentAnnotations,
  MAX_ELEMENTS,
  nameOf,
  originOf,
  shapeToString,
  withAnnotations,
  type Annotations,
  type Node,
} from "./ir/node.ts";
import { ownEntries, record } from "./ir/keys.ts";
import { bindingOrder } from "./ir/dims.ts";
import type { ModelIR } from "./ir/model.ts";
import { toposort } from "./ir/toposort.ts";
import { optimizeAll, optimizeForward, RewriteLog, type Missed } from "./passes/index.ts";

/** The options of `compile`; every one is optional. */
export interface CompileOptions {
  /** the file name used in diagnostics and comments (default `<source>`) */
  file?: string;
  /** which model of the file (default: the first) */
  model?: string;
  /** the float type of the generated code: Float32Array or Float64Array (default "f32") */
  dtype?: "f32" | "f64";
  /** inputs and targets to differentiate too, or "all" of them */
  wrt?: readonly string[] | "all";
  /** named dims baked into the code as literals (a record or a Map) */
  bind?: Readonly<Record<string, number>> | ReadonlyMap<string, number>;
  /** fuse sigmoid, batchnorm, softmax+cross-entropy and sigmoid+bce (default true) */
  fuse?: boolean;
  /** plain loops instead of register-blocked kernels, for reading (the same results) */
  plain?: boolean;
  /**
   * `js` (the default), `wasm` (kernels in WebAssembly SIMD, the same module API) or `auto` (wasm
   * where it runs every kernel and the model is large enough to gain, else js); `target` of the
   * result says which, and `targetNote` why not the one asked for.
   */
  target?: "js" | "wasm" | "auto";
}

/** What the optimizing passes did: each rewrite that fired, and fusions that could not. */
export interface PassReport {
  fired: Record<string, number>;
  missed: Missed[];
}

/**
 * What `compile` returns: the module's text, its types, and the compiler's view of it. `A` is the
 * array type of its dtype (Float32Array unless `dtype: "f64"`).
 */
export interface Compiled<A extends FloatArray = FloatArray> {
  /** the target the module was written for */
  target: "js" | "wasm";
  /** why it is not the target asked for */
  targetNote?: string;
  /** the wasm target's WebAssembly text (empty for the JS target) */
  wat(): string;
  /** the generated ES module: `createModel` and `meta`, no imports */
  js: string;
  /** its type declarations, with the model's own names (`Params`, `Feed`, `Model`, ...) */
  dts: string;
  /** the generated `grad` function and every kernel it calls, as a file */
  gradSource: string;
  /** the `grad` function as `nnc grad` shows it: the backward pass, and on request the forward
   * pass and the kernels' bodies */
  gradCode(view?: GradView): string;
  /** the backward pass as `.nn` equations in the source's names, from `d_loss = 1` */
  derivation: DerivationRow[];
  /** the optimized graph: inputs, params, state, outputs and loss, with their shapes */
  model: ModelIR;
  /** what `grad` differentiates, with the gradient's node */
  grads: GradTarget[];
  /** the rewrites that fired and the fusions that could not */
  passes: PassReport;
  /** whether fusion was on */
  fused: boolean;
  /** the kernels and buffers emitted */
  schedule: Schedule;
  /**
   * The module's exports, evaluated in-process (with `new Function`: no file, no import), typed
   * by their generic forms; or, as `M`, by the module's own `.d.ts` (`load<typeof Xor>()` after
   * `import type * as Xor from "./xor.js"`), which names its params, inputs and outputs. `M` is
   * the caller's word, as `querySelector<HTMLInputElement>`'s is: nothing checks it against
   * the source.
   */
  load<M extends AnyModule = GeneratedModule<A>>(): M;
  /** `load`, compiling the wasm target's binary asynchronously: a browser's main thread compiles
   * only small WebAssembly modules synchronously, so pages load the wasm target this way */
  loadAsync<M extends AnyModule = GeneratedModule<A>>(): Promise<M>;
}

/**
 * Compiles `.nn` source text to a JavaScript module with `forward`, `loss`, `grad` and
 * `trainStep`. Throws an `NnError` listing every error of the source (`diagnostics`); no other
 * kind of exception escapes, whatever the text.
 *
 * ```ts
 * const { js, dts, load } = compile(source, { file: "xor.nn" });
 * const m = load().createModel({ seed: 1 });
 * m.trainStep({ x, y });
 * ```
 */
export function compile<O extends CompileOptions = {}>(
  source: string,
  options?: O,
): Compiled<ArrayOf<DtypeOf<O>>>;
export function compile(source: string, options: CompileOptions = {}): Compiled {
  try {
    const file = options.file ?? "<source>";
    const lowered = lower(source, { file, ...(options.model ? { model: options.model } : {}) });
    const log = new RewriteLog();
    const forward = optimizeForward(lowered, { fuse: options.fuse ?? true }, log);
    // user-chosen keys: a dim named `constructor` must not find Object.prototype's
    const bind = record(ownEntries(options.bind));
    const raw = gradTargets(forward, { ...options, bind }, file, source);
    const optimized = optimizeAll(
      forward,
      raw.map((g) => g.node),
      log,
    );
    const model = optimized.model;
    const grads = raw.map((g, i) => ({ ...g, node: optimized.grads[i]! }));
    const passes = { fired: log.firedRecord(), missed: log.missedList() };
    const emitted = emitModule(model, {
      dtype: options.dtype ?? "f32",
      bind,
      grads,
      plain: options.plain ?? false,
      target: options.target ?? "js",
    });
    const { js, dts } = emitted;
    const compiled: Compiled = {
      target: emitted.target,
      ...(emitted.note ? { targetNote: emitted.note } : {}),
      wat: () => emitted.wat?.() ?? "",
      js,
      dts,
      get gradSource() {
        return emitted.gradSource;
      },
      gradCode: (view = {}) => emitted.gradCode(view),
      get derivation() {
        return emitted.derivation;
      },
      model,
      grads,
      passes,
      fused: options.fuse ?? true,
      get schedule() {
        return emitted.schedule;
      },
      // the generated text declares these types in its .d.ts; the evaluator returns it untyped
      load: <M>() => loadModule(js) as unknown as M,
      loadAsync: async <M>() => (await loadModuleAsync(js)) as unknown as M,
    };
    annotations.set(compiled, currentAnnotations());
    return compiled;
  } catch (e) {
    throw asNnError(e, options.file ?? "<source>", source);
  }
}

/** Each compilation's names and origins of its nodes (the IR's nodes are shared by all). */
const annotations = new WeakMap<Compiled, Annotations>();

/**
 * Runs `f` with the names and origins of `compiled`'s nodes in place: a reader of a compiled
 * model's graph (a trace, graph data) gets its names even after other compilations.
 */
export function inCompilation<T>(compiled: Compiled, f: () => T): T {
  const a = annotations.get(compiled);
  return a ? withAnnotations(a, f) : f();
}

/** What `grad` differentiates: every param, and the inputs named by `--wrt`. */
export function gradTargets(
  model: ModelIR,
  options: CompileOptions,
  file: string,
  source: string,
): GradTarget[] {
  const loss = model.train.loss;
  const diags = new Diagnostics(source);
  const top: At = { file, line: 1, col: 1 };
  const data = [...model.inputs, ...model.targets];
  // integers (indices, classes) have no gradient: "all" is every input and target of numbers
  const isInt = (d: { node: Node }) => d.node.attrs["dtype"] === "int";
  const wrtNames =
    options.wrt === "all"
      ? data.filter((d) => !isInt(d)).map((d) => d.name)
      : [...(options.wrt ?? [])];
  for (const name of wrtNames) {
    const leaf = data.find((d) => d.name === name);
    diags.must(
      leaf !== undefined,
      "NN5001",
      top,
      () =>
        `--wrt names \`${name}\`, which is not an input or target of model \`${model.name}\` ` +
        `(it has ${data.map((d) => d.name).join(", ") || "none"})`,
    );
    diags.must(
      !leaf || !isInt(leaf),
      "NN5001",
      top,
      () =>
        `--wrt names \`${name}\`, an int ${leaf!.node.attrs["role"]}: integers (indices, classes) ` +
        "have no gradient; name an input or target of numbers",
    );
  }
  const bind = ownEntries(options.bind);
  checkBind(model, bind, diags, top);
  const known = (d: string) => bind.has(d);
  const unreadable = new Set([
    ...bindingOrder(model.inputs, known).stuck,
    ...bindingOrder(data, known).stuck,
  ]);
  for (const leaf of unreadable)
    diags.error(
      "NN3007",
      { file: leaf.origin.file, line: leaf.origin.line, col: leaf.origin.col },
      `the named dimensions of \`${leaf.name}\` (${shapeToString(leaf.shape)}) cannot be read ` +
        "from its length: a feed's length gives one named dimension that appears once in its " +
        "shape; give the others with another input or fix them with --bind",
    );
  diags.throwIfAny();
  if (!loss) return [];
  const targets = [
    ...model.params.map((p) => ({ name: p.name, kind: "param" as const, leaf: p.node })),
    ...data
      .filter((d) => wrtNames.includes(d.name))
      .map((d) => ({
        name: d.name,
        kind: d.node.attrs["role"] as "input" | "target",
        leaf: d.node,
      })),
  ];
  const reached = new Set(toposort([loss]));
  for (const p of model.params)
    diags.must(
      reached.has(p.node),
      "NN4003",
      p.origin,
      () =>
        `the loss does not depend on the param \`${p.name}\`, so its gradient would always be zero; ` +
        `use it in the loss or remove it`,
    );
  diags.throwIfAny();
  const map = gradientsOrError(
    loss,
    targets.map((t) => t.leaf),
    file,
    source,
  );
  return targets.map((t) => ({ name: t.name, kind: t.kind, node: map.get(t.leaf)! }));
}

/** `--bind`: each name a dim of the model, each size a positive integer that fits every shape. */
function checkBind(model: ModelIR, bind: Map<string, number>, diags: Diagnostics, top: At): void {
  for (const [name, size] of bind) {
    const problem = !model.dims.includes(name)
      ? `the model has no dimension \`${name}\` (its dimensions: ${model.dims.join(", ") || "none"})`
      : !Number.isInteger(size) || size < 1
        ? "the size must be a positive integer"
        : size > MAX_ELEMENTS
          ? `the size must be at most 2^28 (${MAX_ELEMENTS}), as for any shape`
          : null;
    if (problem) diags.error("NN5001", top, `--bind ${name}=${size}: ${problem}`);
  }
  if (diags.list.length > 0 || bind.size === 0) return;
  const roots = [model.train, model.infer].flatMap((g) => [
    ...g.outputs.map((o) => o.node),
    ...(g.loss ? [g.loss] : []),
    ...g.stateUpdates.map((u) => u.node),
  ]);
  for (const node of toposort(roots)) {
    const size = node.shape.reduce<number>(
      (a, d) => a * (typeof d === "number" ? d : (bind.get(d) ?? 1)),
      1,
    );
    if (size <= MAX_ELEMENTS) continue;
    const at = originOf(node) ?? top;
    const binds = [...bind].map(([d, n]) => `${d}=${n}`).join(",");
    diags.error(
      "NN3006",
      at,
      `with --bind ${binds}, ${nameOf(node) !== undefined ? `\`${nameOf(node)}\`` : `a value of op \`${node.op}\``} ` +
        `of shape ${shapeToString(node.shape)} has ${size} elements, more than 2^28 (${MAX_ELEMENTS})`,
    );
    return;
  }
}

function gradientsOrError(loss: Node, wrt: Node[], file: string, source: string) {
  try {
    return gradients(loss, wrt);
  } catch (e) {
    if (!(e instanceof NoGradientError)) throw e;
    const at = originOf(e.node) ?? { file, line: 1, col: 1 };
    const diags = new Diagnostics(source);
    diags.error("NN4001", at, `${e.message}, so the loss cannot be differentiated through it`);
    diags.throwIfAny();
    throw e;
  }
}

/** Any failure becomes an NnError; one that is not the user's fault says so (code NN9000). */
function asNnError(e: unknown, file: string, source: string): NnError {
  if (e instanceof NnError) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new NnError(
    [{ file, line: 1, col: 1, code: "NN9000", message: `internal compiler error: ${message}` }],
    source,
    { cause: e },
  );
}
