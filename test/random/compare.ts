// A module against the reference: its loss, gradients and outputs, and one training step against
// the sample's optimizer written out by hand (test/optimizer-steps.ts) from the module's own
// gradients. Values agree to a tolerance of the tensor's scale, 1 + its largest magnitude: the
// rounding of f64, or of f32 (where the reference's values fit f32 at all).
import type { Model } from "../../src/types.ts";
import type { Reference } from "./reference.ts";

const tolerance = { f32: 2e-3, f64: 1e-9 };

/** The rounding a sum keeps of its terms' size, a few ulps of the float type. */
const ROUNDING = { f32: 1e-5, f64: 1e-13 };

/** Beyond this an f32 module overflows where the reference does not. */
const F32_RANGE = 1e30;

/**
 * A logarithm's argument below this has lost digits in a plain form: in f64 the fused forms keep
 * them (the fused modules are then held to the fused JS module), in f32 nothing does.
 */
export const LOG_FLOOR = { f64: 1e-6, f32: 1e-4 };

/** Nearer a kink or a tie than this (over the scale), a rounding may pick the other side. */
const KINK = { f64: 1e-8, f32: 1e-4 };

/** Why a module's values cannot be held to the reference (a sentence), or null if they can. */
export function incomparable(ref: Reference, dtype: "f32" | "f64"): string | null {
  const { kink, logFloor } = ref.conditioning;
  if (!Number.isFinite(ref.largest)) return "the reference is not finite";
  if (dtype === "f32" && !(ref.largest < F32_RANGE)) return "the reference overflows f32";
  if (kink <= KINK[dtype]) return `a kink or a tie ${kink.toExponential(1)} away`;
  if (dtype === "f32" && logFloor.value < LOG_FLOOR.f32)
    return `\`${logFloor.op}\` of ${logFloor.value.toExponential(1)} in f32`;
  return null;
}

export function compareModule(m: Model, ref: Reference, dtype: "f32" | "f64"): string[] {
  const tol = tolerance[dtype];
  m.reseed(ref.maskSeed);
  const { loss, grads } = m.grad(ref.feed);
  const problems = compare("loss", [loss], [ref.loss], tol);
  // a gradient also keeps the rounding of the backward values it sums
  const summed = ROUNDING[dtype] * ref.backward;
  for (const [name, g] of ref.grads)
    problems.push(...compare(`d ${name}`, grads[name]!, g, tol, summed));
  if (ref.outputs.size === 0) return problems;
  const out = m.forward(inputsOf(ref));
  for (const [name, v] of ref.outputs)
    problems.push(...compare(`output ${name}`, out[name]!, v, tol));
  return problems;
}

/** One step of the sample's optimizer from the gradients `grad` gives; the new state. */
export function compareStep(m: Model, ref: Reference, dtype: "f32" | "f64"): string[] {
  const tol = tolerance[dtype];
  m.reseed(ref.maskSeed);
  const { grads } = m.grad(ref.feed);
  const before = Object.fromEntries(
    Object.entries(m.params).map(([k, v]) => [k, Float64Array.from(v)]),
  );
  const own = Object.fromEntries(Object.entries(grads).map(([k, v]) => [k, Float64Array.from(v)]));
  m.reseed(ref.maskSeed);
  const loss = m.trainStep(ref.feed);
  const problems = compare("trainStep's loss", [loss], [ref.loss], tol);
  const update = ref.optimizer.update;
  for (const [name, p] of Object.entries(before)) {
    const want = p.map((v, i) => update(v, own[name]![i]!, false, [0, 0], 1));
    problems.push(...compare(`${name} after trainStep`, m.params[name]!, want, tol));
  }
  for (const [name, s] of ref.state)
    problems.push(...compare(`state ${name} after trainStep`, m.state[name]!, s, tol));
  return problems;
}

/**
 * The values a module computes, as a reference for others: where the lowered graph's plain forms
 * saturate, the fused modules are held to the fused JS module in f64 (and it to central
 * differences of its own loss).
 */
export function valuesOf(m: Model, ref: Reference): Reference {
  m.reseed(ref.maskSeed);
  const { loss, grads } = m.grad(ref.feed);
  const copied = (v: ArrayLike<number> | number) =>
    Float64Array.from(typeof v === "number" ? [v] : v);
  const out = ref.outputs.size === 0 ? {} : m.forward(inputsOf(ref));
  return {
    ...ref,
    loss,
    grads: new Map([...ref.grads.keys()].map((k) => [k, copied(grads[k]!)])),
    outputs: new Map([...ref.outputs.keys()].map((k) => [k, copied(out[k]!)])),
  };
}

const inputsOf = (ref: Reference) =>
  Object.fromEntries(ref.model.inputs.map((l) => [l.name, ref.feed[l.name]!]));

/**
 * |a - b| <= tol (1 + max |b|) + absolute, elementwise, at most one line per tensor (a scalar may
 * be a number).
 */
function compare(
  what: string,
  got: ArrayLike<number> | number,
  b: ArrayLike<number>,
  tol: number,
  absolute = 0,
): string[] {
  const a = typeof got === "number" ? [got] : got;
  if (a.length !== b.length) return [`${what}: ${a.length} values, the reference has ${b.length}`];
  let scale = 1;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]!));
  for (let i = 0; i < b.length; i++)
    if (!(Math.abs(a[i]! - b[i]!) <= tol * scale + absolute))
      return [`${what}[${i}]: ${a[i]}, the reference gives ${b[i]}`];
  return [];
}
