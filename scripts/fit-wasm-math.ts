// Fits the polynomial coefficients of the wasm SIMD math (src/codegen/wasm/simd-math.ts) and
// prints them: `npx tsx scripts/fit-wasm-math.ts`. Each core is fitted near-minimax by Lawson's
// iteration (weighted least squares, the weights multiplied by the error until they settle on
// the equioscillation points), in f64, then rounded to f32 as the kernels use them.
//
//   expm1 core:  e^t - 1 = t + t^2 P(t),                t in [-ln2/2, ln2/2]
//   log core:    ln(1+f) = f - f^2/2 + f^3 R(f),        f in [sqrt(1/2) - 1, sqrt(2) - 1]

interface Fit {
  name: string;
  lo: number;
  hi: number;
  degree: number;
  /** the function the polynomial approximates */
  target: (x: number) => number;
  /** how much an error in the polynomial counts at x (relative error of the final result) */
  weight: (x: number) => number;
}

/** Solves the (small, symmetric positive definite) system A c = b by Gaussian elimination. */
function solve(A: number[][], b: number[]): number[] {
  const n = b.length;
  const M = A.map((row, i) => [...row, b[i]!]);
  for (let k = 0; k < n; k++) {
    let p = k;
    for (let i = k + 1; i < n; i++) if (Math.abs(M[i]![k]!) > Math.abs(M[p]![k]!)) p = i;
    [M[k], M[p]] = [M[p]!, M[k]!];
    for (let i = k + 1; i < n; i++) {
      const f = M[i]![k]! / M[k]![k]!;
      for (let j = k; j <= n; j++) M[i]![j]! -= f * M[k]![j]!;
    }
  }
  const c = new Array<number>(n).fill(0);
  for (let i = n - 1; i >= 0; i--) {
    let s = M[i]![n]!;
    for (let j = i + 1; j < n; j++) s -= M[i]![j]! * c[j]!;
    c[i] = s / M[i]![i]!;
  }
  return c;
}

/** Coefficients c0..cd of the polynomial in x (scaled to [-1, 1] while fitting). */
function lawson(fit: Fit, points = 4000, rounds = 200): number[] {
  const mid = (fit.lo + fit.hi) / 2;
  const half = (fit.hi - fit.lo) / 2;
  // Chebyshev-distributed points, dense near the ends where the error peaks
  const xs = Array.from(
    { length: points },
    (_, i) => mid + half * Math.cos((Math.PI * (i + 0.5)) / points),
  );
  const ys = xs.map(fit.target);
  const ws = xs.map(fit.weight);
  let lw = new Array<number>(points).fill(1 / points);
  const n = fit.degree + 1;
  let c: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const A = Array.from({ length: n }, () => new Array<number>(n).fill(0));
    const b = new Array<number>(n).fill(0);
    xs.forEach((x, i) => {
      const u = (x - mid) / half;
      const w = lw[i]! * ws[i]! * ws[i]!;
      const pow = Array.from({ length: n }, (_, k) => u ** k);
      for (let r = 0; r < n; r++) {
        b[r]! += w * pow[r]! * ys[i]!;
        for (let s = 0; s < n; s++) A[r]![s]! += w * pow[r]! * pow[s]!;
      }
    });
    c = solve(A, b);
    const errs = xs.map((x, i) => Math.abs(evalScaled(c, (x - mid) / half) - ys[i]!) * ws[i]!);
    const next = lw.map((w, i) => w * errs[i]!);
    const total = next.reduce((a, v) => a + v, 0);
    lw = next.map((w) => w / total);
  }
  return unscale(c, mid, half);
}

function evalScaled(c: number[], u: number): number {
  return c.reduceRight((acc, ck) => acc * u + ck, 0);
}

/** p(u) with u = (x - mid) / half, rewritten as a polynomial in x. */
function unscale(c: number[], mid: number, half: number): number[] {
  const out = new Array<number>(c.length).fill(0);
  // expand sum_k c_k ((x - mid)/half)^k with the binomial theorem
  c.forEach((ck, k) => {
    for (let j = 0; j <= k; j++) out[j]! += (ck * binom(k, j) * (-mid) ** (k - j)) / half ** k;
  });
  return out;
}

function binom(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return r;
}

const fits: Fit[] = [
  {
    name: "expm1 P(t) = (e^t - 1 - t) / t^2",
    lo: -Math.LN2 / 2,
    hi: Math.LN2 / 2,
    degree: 5,
    target: (t) =>
      Math.abs(t) < 1e-4 ? 0.5 + t / 6 + (t * t) / 24 : (Math.expm1(t) - t) / (t * t),
    weight: (t) => (t * t) / Math.abs(Math.expm1(t) || 1e-300),
  },
  {
    name: "log R(f) = (ln(1+f) - f + f^2/2) / f^3",
    lo: Math.SQRT1_2 - 1,
    hi: Math.SQRT2 - 1,
    degree: 8,
    target: (f) =>
      Math.abs(f) < 1e-3 ? 1 / 3 - f / 4 + (f * f) / 5 : (Math.log1p(f) - f + (f * f) / 2) / f ** 3,
    weight: (f) => Math.abs(f ** 3 / (Math.log1p(f) || 1e-300)),
  },
];

for (const fit of fits) {
  const c = lawson(fit);
  let worst = 0;
  for (let i = 0; i <= 100000; i++) {
    const x = fit.lo + ((fit.hi - fit.lo) * i) / 100000;
    const p = c.reduceRight((acc, ck) => acc * x + Math.fround(ck), 0);
    worst = Math.max(worst, Math.abs(p - fit.target(x)) * fit.weight(x));
  }
  console.log(`${fit.name}: max weighted error ${worst.toExponential(2)} (f32 coefficients)`);
  console.log(`  [${c.map((x) => Math.fround(x)).join(", ")}]`);
}
