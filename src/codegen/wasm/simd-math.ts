// Transcendental functions on f32x4 lanes. WebAssembly has no exp or log instruction, so each is
// a range reduction, a short polynomial and a reconstruction from the exponent bits, in the way of
// Cephes and XNNPACK (the polynomials are our own fits: scripts/fit-wasm-math.ts). Every function
// takes the argument as code and returns code that leaves the result on the stack; temporaries are
// fresh locals of the function being built. Measured accuracy (test/wasm-math.test.ts, a dense
// sweep against Math.* in f64, subnormals, +-0, +-Inf and NaN included) is in README.md.
import { get, i32, i32x4, set, v, type Code } from "./code.ts";
import type { FuncBuilder } from "./func.ts";

const LOG2E = 1.4426950408889634;
/** ln 2 split in two: LN2_HI has 9 significant bits, so n * LN2_HI is exact for |n| < 2^15 */
const LN2_HI = 0.693359375;
const LN2_LO = Math.LN2 - 0.693359375;
/** e^t - 1 = t + t^2 P(t) on [-ln2/2, ln2/2], P's coefficients from t^0 up */
const EXPM1_P = [
  0.5, 0.1666666567325592, 0.041666362434625626, 0.008333389647305012, 0.0013940617209300399,
  0.0001984586997423321,
];
/** ln(1+f) = f - f^2/2 + f^3 R(f) on [sqrt(1/2) - 1, sqrt(2) - 1] */
const LOG_R = [
  0.3333331346511841, -0.25000008940696716, 0.2000211924314499, -0.1666799634695053,
  0.14219552278518677, -0.1240558847784996, 0.11888162046670914, -0.11675652861595154,
  0.06746640801429749,
];
/** the bits of sqrt(1/2) as an f32 */
const SQRT_HALF_BITS = 0x3f3504f3;
const SMALLEST_NORMAL = 2 ** -126;

/** Binds `value` to a fresh v128 local; returns the statement and a reader. */
function bind(fb: FuncBuilder, name: string, value: Code): [Code, Code] {
  const l = fb.local(name, "v128");
  return [set(l, value), get(l)];
}

/** c0 + x (c1 + x (c2 + ...)) by Horner's rule, the coefficients as hoisted constants. */
function horner(fb: FuncBuilder, x: Code, coeffs: readonly number[]): Code {
  let acc: Code = fb.f32x4(coeffs[coeffs.length - 1]!);
  for (let k = coeffs.length - 2; k >= 0; k--) acc = v.add(v.mul(acc, x), fb.f32x4(coeffs[k]!));
  return acc;
}

/** 2^n for i32 lanes n in [-126, 127], built from the exponent bits. */
function pow2(fb: FuncBuilder, n: Code): Code {
  return i32x4.shl(i32x4.add(n, fb.i32x4(127)), i32.const(23));
}

/**
 * The shared reduction of exp and expm1: x = n ln2 + t with |t| <= ln2/2 and q = e^t - 1, and
 * 2^n as two factors s1 s2 (each a normal f32 for every n of the clamped range, so results from
 * 2^-149 up to overflow come out of two multiplications with correct rounding).
 */
function reduce(fb: FuncBuilder, x: Code) {
  // clamp to where e^x is between 0 and +Inf after rounding; pmax/pmin keep a NaN of x
  const [setX, xc] = bind(fb, "exp_x", v.pmin(v.pmax(x, fb.f32x4(-104)), fb.f32x4(88.8)));
  const [setN, n] = bind(fb, "exp_n", v.nearest(v.mul(xc, fb.f32x4(LOG2E))));
  const [setT, t] = bind(
    fb,
    "exp_t",
    v.sub(v.sub(xc, v.mul(n, fb.f32x4(LN2_HI))), v.mul(n, fb.f32x4(LN2_LO))),
  );
  const [setQ, q] = bind(fb, "exp_q", v.add(t, v.mul(v.mul(t, t), horner(fb, t, EXPM1_P))));
  const [setNi, ni] = bind(fb, "exp_ni", i32x4.truncSat(n));
  const half = i32x4.shr_s(ni, i32.const(1));
  const [setS1, s1] = bind(fb, "exp_s1", pow2(fb, half));
  const [setS2, s2] = bind(fb, "exp_s2", pow2(fb, i32x4.sub(ni, half)));
  return { code: [setX, setN, setT, setQ, setNi, setS1, setS2], q, ni, s1, s2 };
}

/** e^x */
export function exp(fb: FuncBuilder, x: Code): Code {
  const r = reduce(fb, x);
  return [r.code, v.mul(v.mul(v.add(r.q, fb.f32x4(1)), r.s1), r.s2)];
}

/**
 * e^x - 1, accurate near 0: 2^n q + (2^n - 1), where 2^n - 1 is exact for n <= 24; beyond that
 * the -1 is below half an ulp and e^x itself is returned.
 */
export function expm1(fb: FuncBuilder, x: Code, nonPositive = false): Code {
  const r = reduce(fb, x);
  const [setS, s] = bind(fb, "expm1_s", v.mul(r.s1, r.s2));
  const small = v.add(v.mul(s, r.q), v.sub(s, fb.f32x4(1)));
  if (nonPositive) return [r.code, setS, small];
  const big = v.mul(v.mul(v.add(r.q, fb.f32x4(1)), r.s1), r.s2);
  return [r.code, setS, v.select(big, small, i32x4.gt_s(r.ni, fb.i32x4(24)))];
}

/**
 * ln x: x = 2^e m with m in [sqrt(1/2), sqrt(2)) read from the bits (subnormals scaled by 2^23
 * first), then ln x = e ln2 + ln(1 + f), f = m - 1 (exact). Zero gives -Inf, negatives NaN,
 * +Inf and NaN themselves.
 */
export function log(fb: FuncBuilder, x: Code): Code {
  const [setX, xv] = bind(fb, "log_x", x);
  const [setSub, sub] = bind(fb, "log_sub", v.lt(xv, fb.f32x4(SMALLEST_NORMAL)));
  const scaled = v.select(v.mul(xv, fb.f32x4(2 ** 23)), xv, sub);
  const [setB, b] = bind(fb, "log_bits", i32x4.sub(scaled, fb.i32x4(SQRT_HALF_BITS)));
  const e = i32x4.sub(i32x4.shr_s(b, i32.const(23)), v.and(sub, fb.i32x4(23)));
  const [setE, ef] = bind(fb, "log_e", i32x4.convert(e));
  const m = i32x4.add(v.and(b, fb.i32x4(0x7fffff)), fb.i32x4(SQRT_HALF_BITS));
  const [setF, f] = bind(fb, "log_f", v.sub(m, fb.f32x4(1)));
  const [setF2, f2] = bind(fb, "log_f2", v.mul(f, f));
  // ln(1+f) = f + f^2 (f R(f) - 1/2)
  const lnm = v.add(f, v.mul(f2, v.sub(v.mul(f, horner(fb, f, LOG_R)), fb.f32x4(0.5))));
  const y = v.add(v.mul(ef, fb.f32x4(LN2_HI)), v.add(lnm, v.mul(ef, fb.f32x4(LN2_LO))));
  const [setY, yv] = bind(fb, "log_y", y);
  const infOrNan = v.not(v.lt(xv, fb.f32x4(Infinity)));
  const fixed = v.select(
    fb.f32x4(NaN),
    v.select(fb.f32x4(-Infinity), v.select(xv, yv, infOrNan), v.eq(xv, fb.f32x4(0))),
    v.lt(xv, fb.f32x4(0)),
  );
  return [setX, setSub, setB, setE, setF, setF2, setY, fixed];
}

/**
 * ln(1 + x), accurate near 0 (Goldberg's trick): with u = 1 + x rounded, ln(1+x) = ln(u) x / (u-1),
 * and x itself where u - 1 is 0.
 */
export function log1p(fb: FuncBuilder, x: Code): Code {
  const [setX, xv] = bind(fb, "log1p_x", x);
  const [setU, u] = bind(fb, "log1p_u", v.add(xv, fb.f32x4(1)));
  const [setD, d] = bind(fb, "log1p_d", v.sub(u, fb.f32x4(1)));
  const y = v.mul(log(fb, u), v.div(xv, d));
  const keepX = v.or(v.eq(d, fb.f32x4(0)), v.eq(xv, fb.f32x4(Infinity)));
  return [setX, setU, setD, v.select(xv, y, keepX)];
}

/** sigmoid(x) = 1 / (1 + e^-x), computed from e = e^-|x| so that nothing overflows. */
export function sigmoid(fb: FuncBuilder, x: Code): Code {
  const [setX, xv] = bind(fb, "sig_x", x);
  const [setE, e] = bind(fb, "sig_e", exp(fb, v.neg(v.abs(xv))));
  const [setF, f] = bind(fb, "sig_f", v.div(e, v.add(e, fb.f32x4(1))));
  return [setX, setE, setF, v.select(v.sub(fb.f32x4(1), f), f, v.gt(xv, fb.f32x4(0)))];
}

/** tanh(x) = sign(x) (-e / (e + 2)) with e = expm1(-2|x|) in (-1, 0]: no overflow, exact near 0. */
export function tanh(fb: FuncBuilder, x: Code): Code {
  const [setX, xv] = bind(fb, "tanh_x", x);
  const [setE, e] = bind(fb, "tanh_e", expm1(fb, v.mul(v.abs(xv), fb.f32x4(-2)), true));
  const t = v.div(v.neg(e), v.add(e, fb.f32x4(2)));
  // the sign bit from x, the rest from t (t >= 0)
  return [setX, setE, v.select(xv, t, fb.i32x4(-0x80000000))];
}

/** softplus(x) = ln(1 + e^x) = max(x, 0) + ln(1 + e^-|x|), as the JS target computes it. */
export function softplus(fb: FuncBuilder, x: Code): Code {
  const [setX, xv] = bind(fb, "softplus_x", x);
  return [setX, v.add(v.pmax(xv, fb.f32x4(0)), log1p(fb, exp(fb, v.neg(v.abs(xv)))))];
}
