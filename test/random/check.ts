// One sample through everything: compiled for js (f64) and wasm (f32, its only type), fused and
// unfused, each module's loss, gradients (of every param, input and target) and outputs held to
// the reference; a training step, central differences and every command's view of the model on
// a share of the samples, rotating through the configurations. A problem is a line of text; none
// means the sample passed.
import { compile, type Compiled, type CompileOptions } from "../../src/compile.ts";
import {
  foldBatchnormIntoDense,
  fuseActivations,
  fuseBatchnorm,
  simplify,
} from "../../src/passes/index.ts";
import { NnError } from "../../src/diagnostics.ts";
import { upstreamOfStep } from "../../src/check.ts";
import type { GeneratedModule, Model } from "../../src/types.ts";
import { Draw } from "./draw.ts";
import { differences } from "./differences.ts";
import { compareModule, compareStep, incomparable, LOG_FLOOR, valuesOf } from "./compare.ts";
import { reference, type Reference } from "./reference.ts";
import { FILE, generate, type Sample } from "./sample.ts";
import { valueViews, views } from "./stages.ts";

export interface Outcome {
  sample: Sample;
  problems: string[];
  /** why the sample was not checked (a coded error the reference agrees with) */
  rejected?: string;
  /** coordinates compared with central differences, and skipped as ill-conditioned */
  compared: number;
  skipped: number;
  /** modules whose values were not compared, and why */
  uncompared: string[];
}

/**
 * What the wasm target cannot run yet, as its notes say it: kernels it does not have, and a
 * reduction over axes apart (two stages) whose first stage reads a tensor broadcast across the
 * axes it keeps (per-channel statistics summed over H and W). A model that needs one runs on the
 * JS target, whose f32 module is then checked in its place.
 */
export const WASM_PENDING: readonly RegExp[] = [
  /the wasm target has no (layernorm_dx|gather|scatter_add|pick|unpick|softmax_xent_int|causal_mask) kernel yet/,
  /_axis\d+_\w*: a reduction reads a tensor broadcast across what it keeps/,
];

export type Config = Required<Pick<CompileOptions, "target" | "fuse" | "dtype">> &
  Pick<CompileOptions, "plain" | "bind">;

export const configs: readonly Config[] = [
  { target: "js", fuse: true, dtype: "f64" },
  { target: "js", fuse: false, dtype: "f64" },
  { target: "wasm", fuse: true, dtype: "f32" },
  { target: "wasm", fuse: false, dtype: "f32" },
];

const label = (c: Config) =>
  [
    c.target,
    c.fuse ? "fused" : "unfused",
    c.dtype,
    ...(c.plain ? ["plain"] : []),
    ...Object.entries(c.bind ?? {}).map(([d, n]) => `bind ${d}=${n}`),
  ].join(", ");

export function checkSeed(seed: number): Outcome {
  const sample = generate(seed);
  const outcome: Outcome = { sample, problems: [], compared: 0, skipped: 0, uncompared: [] };
  let ref: Reference;
  try {
    ref = reference(sample);
  } catch (e) {
    outcome.problems.push(`reference: ${describe(e)}`);
    return outcome;
  }
  const compiled = compileAll(sample, ref, outcome);
  if (outcome.rejected) return outcome;
  // one sample in 8: f32 in JS, with plain loops and the batch size baked in
  const bind = ref.model.dims.includes("batch") ? { bind: { batch: sample.batch } } : {};
  const f32: Config = { target: "js", fuse: seed % 16 === 1, dtype: "f32", plain: true, ...bind };
  const extra = seed % 8 === 1 ? [f32] : [];
  for (const config of extra) compiled.set(config, build(config, sample, ref, outcome));
  const fused = fusedReference(compiled.get(configs[0]!), ref, outcome);
  const compared = new Set<Compiled>();
  for (const [config, c] of compiled) {
    if (!c) continue;
    const expected = config.fuse ? fused : ref;
    attempt(outcome, config, () => checkModule(c, config, expected, outcome, !compared.has(c)));
    compared.add(c);
  }
  return outcome;
}

/** The rules that only fusion fires (fuse: false leaves them out). */
const fusions = new Set(
  [...fuseActivations, ...fuseBatchnorm, ...foldBatchnormIntoDense].map((r) => r.name),
);
for (const r of simplify) fusions.delete(r.name);

/**
 * The four configurations. Where no fusion fires, the unfused graph is the fused one and so are
 * the modules, text for text: the unfused configurations then share the fused modules, except in
 * one sample in 16, where they are compiled to hold the compiler to that.
 */
function compileAll(
  sample: Sample,
  ref: Reference,
  outcome: Outcome,
): Map<Config, Compiled | null> {
  const [jsFused, jsUnfused, wasmFused, wasmUnfused] = configs as [Config, Config, Config, Config];
  const out = new Map<Config, Compiled | null>();
  for (const c of [jsFused, wasmFused]) out.set(c, build(c, sample, ref, outcome));
  const fired = Object.keys(out.get(jsFused)?.passes.fired ?? { unknown: 1 });
  const same = !fired.some((rule) => fusions.has(rule) || rule === "unknown");
  for (const [unfused, fused] of [
    [jsUnfused, jsFused],
    [wasmUnfused, wasmFused],
  ] as const) {
    const shared = out.get(fused) ?? null;
    if (same && sample.seed % 16 !== 0) {
      out.set(unfused, shared);
      continue;
    }
    const own = build(unfused, sample, ref, outcome);
    out.set(unfused, own);
    if (same && own && shared && own.js !== shared.js)
      outcome.problems.push(
        `${label(unfused)}: no fusion fired, yet the module differs from the fused one`,
      );
  }
  return out;
}

function build(config: Config, sample: Sample, ref: Reference, outcome: Outcome): Compiled | null {
  try {
    const c = compile(sample.source, { file: FILE, wrt: "all", ...config });
    // a model the wasm target cannot run would go untested there, unless it needs a kernel the
    // wasm target does not have yet (then its JS module in f32 is checked instead)
    const pending = WASM_PENDING.some((r) => r.test(c.targetNote ?? ""));
    if (c.target !== config.target && !pending)
      outcome.problems.push(`${label(config)}: compiled for ${c.target}: ${c.targetNote}`);
    return c;
  } catch (e) {
    const why = unreachable(e, ref);
    if (why !== null) outcome.rejected = why;
    else outcome.problems.push(`${label(config)}: compile: ${describe(e)}`);
    return null;
  }
}

/** What the fused modules are held to: the reference, or where it saturates the fused JS module's values. */
function fusedReference(
  c: Compiled | null | undefined,
  ref: Reference,
  outcome: Outcome,
): Reference {
  if (!saturated(ref) || !c) return ref;
  try {
    return valuesOf(loaded(c).createModel({ params: copy(ref.params) }), ref);
  } catch (e) {
    outcome.problems.push(`${label(configs[0]!)}: ${describe(e)}`);
    return ref;
  }
}

/**
 * What this sample checks of one configuration's module: its values (once per module, where two
 * configurations share one); by the rotation of the seed, one configuration's views, training
 * step and, in one sample in four, the views that need values; central differences of the
 * unfused JS module.
 */
function checkModule(
  c: Compiled,
  config: Config,
  ref: Reference,
  outcome: Outcome,
  first: boolean,
) {
  const seed = outcome.sample.seed;
  const problems = (list: string[]) =>
    outcome.problems.push(...list.map((p) => `${label(config)}: ${p}`));
  const load = () => loaded(c).createModel({ params: copy(ref.params) });
  // where the reference saturates, the fused JS module is its own (and held to its differences)
  const own = saturated(ref) && config === configs[0];
  const why = incomparable(ref, config.dtype);
  if (why && first) outcome.uncompared.push(`${label(config)}: ${why}`);
  if (first && !own && !why) problems(compareModule(load(), ref, config.dtype));
  if (config === configs[seed % 4]) {
    views(c, { wat: seed % 16 < 4 });
    if (!why) problems(compareStep(load(), ref, config.dtype));
    if (seed % 4 === 2 && ref.model.dims.length > 0) problems(resized(load(), ref, config));
  }
  if (seed % 4 === 0 && config === configs[seed % 8 === 0 ? 0 : 1]) valueViews(c, ref);
  if (config !== configs[1] && !own) return;
  const step = upstreamOfStep(ref.model.train.loss!);
  const rough = new Set([...step].map((n) => n.attrs["name"] as string));
  const r = differences(load(), ref, rough, new Draw(seed, "differences"));
  outcome.compared += r.compared;
  outcome.skipped += r.skipped;
  problems(r.problems);
}

/**
 * One model fed batches of other sizes in turn: its buffers grow for a larger batch, then a
 * smaller one must see only its own rows. Each batch is held to its own reference.
 */
function resized(m: Model, ref: Reference, config: Config): string[] {
  const sample = ref.sample;
  const problems: string[] = [];
  for (const batch of [sample.batch + 3, 2, sample.batch]) {
    const other = reference({ ...sample, batch });
    if (incomparable(other, config.dtype) || saturated(other)) continue;
    problems.push(...compareModule(m, other, config.dtype).map((p) => `batch ${batch}: ${p}`));
  }
  return problems;
}

/** Each compiled module's exports, evaluated once (a wasm module's binary is compiled then). */
const modules = new WeakMap<Compiled, GeneratedModule>();
function loaded(c: Compiled): GeneratedModule {
  let m = modules.get(c);
  if (!m) modules.set(c, (m = c.load<GeneratedModule>()));
  return m;
}

/** The lowered graph's plain forms take a logarithm of a number that has lost digits. */
const saturated = (ref: Reference) => ref.conditioning.logFloor.value < LOG_FLOOR.f64;

function attempt(outcome: Outcome, config: Config, f: () => void): void {
  try {
    f();
  } catch (e) {
    outcome.problems.push(`${label(config)}: ${describe(e)}`);
  }
}

function copy(params: Record<string, Float64Array>): Record<string, Float64Array> {
  return Object.fromEntries(Object.entries(params).map(([k, v]) => [k, Float64Array.from(v)]));
}

/**
 * A sample may be a degenerate model the compiler rightly refuses: a param whose every use
 * cancels (`w - w`) is reported as NN4003, the loss not depending on it. The reference must
 * agree: that param's gradient is zero.
 */
function unreachable(e: unknown, ref: Reference): string | null {
  if (!(e instanceof NnError) || !e.diagnostics.every((d) => d.code === "NN4003")) return null;
  for (const d of e.diagnostics) {
    const name = /param `([^`]+)`/.exec(d.message)?.[1];
    const g = name === undefined ? undefined : ref.grads.get(name);
    if (!g || g.some((v) => Math.abs(v) > 1e-12)) return null;
  }
  return e.diagnostics.map((d) => `${d.code} ${d.message}`).join("; ");
}

function describe(e: unknown): string {
  const stack = (x: unknown) => (x instanceof Error ? `\n${x.stack ?? ""}` : "");
  if (e instanceof NnError)
    return (
      e.diagnostics.map((d) => `${d.line}:${d.col}: ${d.code} ${d.message}`).join("; ") +
      stack(e.cause)
    );
  return e instanceof Error ? `${e.name}: ${e.message}${stack(e)}` : String(e);
}
