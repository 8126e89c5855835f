// Each elementwise op of the registry (src/ops) as f32x4 code: the wasm counterpart of the op's JS
// `emit`, and like it the one place that says how the op computes. Arguments arrive as cheap code
// (a local or a constant), so an emitter may use one several times. Where the JS expression has a
// corner (`x > 0 ? x : 0` maps NaN to 0; Math.max keeps NaN), the lanes do the same.
// test/wasm-elementwise.test.ts fails for an elementwise op of the registry without an entry here.
import type { Attrs } from "../../ir/node.ts";
import type { OpName } from "../../ops/names.ts";
import { EPS } from "../../ops/losses.ts";
import { GELU_C, GELU_K } from "../../ops/masks.ts";
import { get, tee, v, type Code } from "./code.ts";
import type { FuncBuilder } from "./func.ts";
import * as M from "./simd-math.ts";

/**
 * `args`: the operands; `consts`: each operand's value where it is a compile-time constant (pow
 * specializes small constant exponents as the JS target does for `^ 2`).
 */
export type WasmEmit = (
  fb: FuncBuilder,
  args: Code[],
  attrs: Attrs,
  consts: (number | undefined)[],
) => Code;

const alpha = (fb: FuncBuilder, attrs: Attrs) => fb.f32x4(attrs["alpha"] as number);
const positive = (fb: FuncBuilder, x: Code) => v.gt(x, fb.f32x4(0));
/** Math.max(p, EPS): pmax keeps a NaN in its first operand */
const clampEps = (fb: FuncBuilder, p: Code) => v.pmax(p, fb.f32x4(EPS));
const logEps = (fb: FuncBuilder, p: Code) => M.log(fb, clampEps(fb, p));
const oneMinus = (fb: FuncBuilder, p: Code) => v.sub(fb.f32x4(1), p);
/**
 * ln(max(1 - p, EPS)) as ln(1 + (-p)): in f32, 1 - p loses a small p entirely (1 - 1e-8 is 1),
 * which the JS target, computing in f64, keeps
 */
const log1mEps = (fb: FuncBuilder, p: Code) =>
  v.select(fb.f32x4(Math.log(EPS)), M.log1p(fb, v.neg(p)), v.lt(oneMinus(fb, p), fb.f32x4(EPS)));
/**
 * s = (1 + tanh(u)) / 2 = 1 / (1 + e^(-2u)), u = k (x + c x^3): GELU's gate as one exp and one
 * division (tanh's own form costs an expm1, a division and a sign select). e^(-2u) overflowing
 * to +Inf gives s = 0, and 0 gives 1: the limits, never NaN.
 */
const geluGate = (fb: FuncBuilder, x: Code) => {
  const u2 = v.mul(fb.f32x4(-2 * GELU_K), v.add(x, v.mul(fb.f32x4(GELU_C), v.mul(x, v.mul(x, x)))));
  return v.div(fb.f32x4(1), v.add(fb.f32x4(1), M.exp(fb, u2)));
};

/** 1 where `mask`, else 0 */
const indicator = (fb: FuncBuilder, mask: Code) => v.and(mask, fb.f32x4(1));

export const WASM_OPS: Partial<Record<OpName, WasmEmit>> = {
  add: (_, [a, b]) => v.add(a!, b!),
  sub: (_, [a, b]) => v.sub(a!, b!),
  mul: (_, [a, b]) => v.mul(a!, b!),
  div: (_, [a, b]) => v.div(a!, b!),
  neg: (_, [a]) => v.neg(a!),
  pow: (fb, [a, b], _, [, exponent]) => pow(fb, a!, b!, exponent),
  exp: (fb, [x]) => M.exp(fb, x!),
  log: (fb, [x]) => M.log(fb, x!),
  sqrt: (_, [x]) => v.sqrt(x!),
  abs: (_, [x]) => v.abs(x!),
  tanh: (fb, [x]) => M.tanh(fb, x!),
  softplus: (fb, [x]) => M.softplus(fb, x!),
  sigmoid: (fb, [x]) => M.sigmoid(fb, x!),
  // pmax(0, x) = 0 < x ? x : 0, which is `x > 0 ? x : 0` (NaN gives 0)
  relu: (fb, [x]) => v.pmax(fb.f32x4(0), x!),
  leaky_relu: (fb, [x], a) => v.select(x!, v.mul(alpha(fb, a), x!), positive(fb, x!)),
  elu: (fb, [x], a) =>
    v.select(x!, v.mul(alpha(fb, a), M.expm1(fb, v.pmin(x!, fb.f32x4(0)), true)), positive(fb, x!)),
  step: (fb, [x]) => indicator(fb, positive(fb, x!)),
  gt0: (fb, [x]) => indicator(fb, positive(fb, x!)),
  // Math.sign: 1, -1, or x itself (+-0, NaN)
  sign: (fb, [x]) =>
    v.select(fb.f32x4(1), v.select(fb.f32x4(-1), x!, v.lt(x!, fb.f32x4(0))), positive(fb, x!)),
  leaky_deriv: (fb, [x], a) => v.select(fb.f32x4(1), alpha(fb, a), positive(fb, x!)),
  elu_deriv: (fb, [x], a) =>
    v.select(fb.f32x4(1), v.mul(alpha(fb, a), M.exp(fb, x!)), positive(fb, x!)),
  eq: (fb, [a, b]) => indicator(fb, v.eq(a!, b!)),
  // -(y ln p + (1-y) ln(1-p)), the probabilities clamped to [EPS, 1]
  bce: (fb, [p, y]) =>
    v.neg(v.add(v.mul(y!, logEps(fb, p!)), v.mul(oneMinus(fb, y!), log1mEps(fb, p!)))),
  bce_dp: (fb, [p, y]) => v.div(v.sub(p!, y!), clampEps(fb, v.mul(p!, oneMinus(fb, p!)))),
  bce_dy: (fb, [p]) => v.sub(log1mEps(fb, p!), logEps(fb, p!)),
  // y == 0 ? 0 : -y ln p
  xent: (fb, [p, y]) =>
    v.select(fb.f32x4(0), v.neg(v.mul(y!, logEps(fb, p!))), v.eq(y!, fb.f32x4(0))),
  xent_dp: (fb, [p, y]) => v.div(v.neg(y!), clampEps(fb, p!)),
  xent_dy: (fb, [p]) => v.neg(logEps(fb, p!)),
  // max(z, 0) - z y + ln(1 + e^-|z|), the first two terms as z (1 - y) or -z y: one rounding,
  // where max(z, 0) - z y cancels (z = 20, y = 0.999) and f32 would keep little of the difference
  // (at z = +Inf, the JS form itself, to give the same Inf or NaN)
  bce_logits: (fb, [z, y]) => {
    const positivePart = v.select(
      v.sub(z!, v.mul(z!, y!)),
      v.mul(z!, oneMinus(fb, y!)),
      v.eq(z!, fb.f32x4(Infinity)),
    );
    return v.add(
      v.select(positivePart, v.neg(v.mul(z!, y!)), positive(fb, z!)),
      M.log1p(fb, M.exp(fb, v.neg(v.abs(z!)))),
    );
  },
  // gamma ((x - mu) invstd) + beta
  batchnorm: (_, [x, mu, invstd, gamma, beta]) =>
    v.add(v.mul(gamma!, v.mul(v.sub(x!, mu!), invstd!)), beta!),
  layernorm: (_, [x, mu, invstd, gamma, beta]) =>
    v.add(v.mul(gamma!, v.mul(v.sub(x!, mu!), invstd!)), beta!),
  // 0.5 x (1 + t) = x s, t = tanh(k (x + c x^3)), s = (1 + t) / 2
  gelu: (fb, [x]) => v.mul(x!, geluGate(fb, x!)),
  // 0.5 (1 + t) + 0.5 x (1 - t^2) k (1 + 3 c x^2) = s + 2 x s (1 - s) k (1 + 3 c x^2)
  // (s kept in a local: the first operand sets it, the second reads it)
  gelu_deriv: (fb, [x]) => {
    const s = fb.local("gelu_s", "v128");
    const k = v.mul(fb.f32x4(3 * GELU_C), v.mul(x!, x!));
    const slope = v.mul(fb.f32x4(2 * GELU_K), v.add(fb.f32x4(1), k));
    return v.add(
      tee(s, geluGate(fb, x!)),
      v.mul(v.mul(x!, v.mul(get(s), v.sub(fb.f32x4(1), get(s)))), slope),
    );
  },
  // data movement: the loads' strides already broadcast and reshape
  expand: (_, [x]) => x!,
  reshape: (_, [x]) => x!,
};

/**
 * a^b with Math.pow's rules: small integer and 1/2 exponents known at compile time become
 * multiplications and sqrt; otherwise e^(b ln|a|), with the sign of an odd integer power of a
 * negative base, NaN for a negative finite base and a fractional power, and 1 for b = 0.
 */
function pow(fb: FuncBuilder, a: Code, b: Code, exponent: number | undefined): Code {
  if (exponent === 1) return a;
  if (exponent === 2) return v.mul(a, a);
  if (exponent === 3) return v.mul(v.mul(a, a), a);
  if (exponent === -1) return v.div(fb.f32x4(1), a);
  if (exponent === -2) return v.div(fb.f32x4(1), v.mul(a, a));
  // Math.pow(a, 0.5) is sqrt(a) but for -0 (gives 0) and -Infinity (gives Infinity)
  if (exponent === 0.5)
    return v.select(
      fb.f32x4(Infinity),
      v.sqrt(v.add(a, fb.f32x4(0))),
      v.eq(a, fb.f32x4(-Infinity)),
    );
  const magnitude = M.exp(fb, v.mul(b, M.log(fb, v.abs(a))));
  const isInt = v.eq(v.nearest(b), b);
  const half = v.mul(b, fb.f32x4(0.5));
  const odd = v.and(isInt, v.ne(v.nearest(half), half));
  // the sign bit of a (so -0 and -Infinity count) where b is an odd integer
  const signed = v.select(a, magnitude, v.and(odd, fb.i32x4(-0x80000000)));
  const negFinite = v.and(v.lt(a, fb.f32x4(0)), v.gt(a, fb.f32x4(-Infinity)));
  const nan = v.and(negFinite, v.not(isInt));
  return v.select(fb.f32x4(1), v.select(fb.f32x4(NaN), signed, nan), v.eq(b, fb.f32x4(0)));
}
