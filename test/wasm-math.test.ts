// The f32x4 transcendental functions against Math.* in f64: the error in f32 ulps over a sweep of
// f32 bit patterns (every 8191st, so every binade, both signs, subnormals, Inf and NaN), plus the
// edge cases by name. The bounds are those measured over every 61st bit pattern (70 million
// values; README.md); a regression past them fails here.
import { describe, expect, it } from "vitest";
import { FuncBuilder } from "../src/codegen/wasm/func.ts";
import { get, i32, v, type Code } from "../src/codegen/wasm/code.ts";
import * as M from "../src/codegen/wasm/simd-math.ts";
import { instantiate, ulpError, SLOW } from "./wasm-helpers.ts";

type Emit = (fb: FuncBuilder, x: Code) => Code;

const softplusRef = (x: number) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));

const FUNCTIONS: [string, Emit, (x: number) => number, number][] = [
  ["exp", M.exp, Math.exp, 1.0],
  ["expm1", (fb, x) => M.expm1(fb, x), Math.expm1, 1.5],
  ["log", M.log, Math.log, 0.9],
  ["log1p", M.log1p, Math.log1p, 2.4],
  ["sigmoid", M.sigmoid, (x) => 1 / (1 + Math.exp(-x)), 2.4],
  ["tanh", M.tanh, Math.tanh, 2.5],
  ["softplus", M.softplus, softplusRef, 2.6],
];

/** map(x, y, n): y[i] = f(x[i]) for n a multiple of 4 */
function mapKernel(name: string, f: Emit) {
  const fb = new FuncBuilder(name, [
    { name: "x", type: "i32" },
    { name: "y", type: "i32" },
    { name: "n", type: "i32" },
  ]);
  const i = fb.local("i", "i32");
  const at = (p: string) => i32.add(get(fb.param(p)), i32.shl(get(i), i32.const(2)));
  fb.emit(
    fb.forUp(i, i32.const(0), get(fb.param("n")), 4, v.store(at("y"), f(fb, v.load(at("x"))))),
  );
  return fb.finish();
}

const f32 = Math.fround;
const TINY = f32(1e-30);
const EDGES = [
  0,
  -0,
  Infinity,
  -Infinity,
  NaN,
  2 ** -149,
  -(2 ** -149),
  2 ** -126 - 2 ** -149,
  2 ** -126,
  -(2 ** -126),
  1,
  -1,
  f32(1 + 2 ** -23),
  f32(1 - 2 ** -24),
  3.4028234663852886e38,
  -3.4028234663852886e38,
  88.72283,
  88.72284,
  88.8,
  89,
  -87.33655,
  -103.97208,
  -103.98,
  -104,
  -105,
  f32(Math.LN2 / 2),
  f32(-Math.LN2 / 2),
  1e-8,
  -1e-8,
  1e-30,
  0.5,
  2,
  9,
  -9,
  20,
  -20,
  1e10,
  -1e10,
  f32(Math.SQRT2),
  f32(Math.SQRT1_2),
].map(f32);

const N = 1 << 19;
const STRIDE = 8191;
const inst = instantiate(
  FUNCTIONS.map(([name, emit]) => mapKernel(name, emit)),
  2 * ((N * 8) / 65536) + 2,
);
const X = inst.alloc(N);
const Y = inst.alloc(N);

/** max ulp error of `name` over `values` (any count; padded to lanes of 4) */
function worstOver(name: string, ref: (x: number) => number, values: Iterable<number>) {
  const xs = inst.f32(X, N);
  const ys = inst.f32(Y, N);
  let worst = { ulps: 0, x: 0, got: 0 };
  let n = 0;
  const flush = () => {
    while (n % 4) xs[n++] = 0;
    inst.fns[name]!(X, Y, n);
    for (let k = 0; k < n; k++) {
      const e = ulpError(ys[k]!, ref(xs[k]!));
      if (!(e <= worst.ulps)) worst = { ulps: e, x: xs[k]!, got: ys[k]! };
    }
    n = 0;
  };
  for (const x of values) {
    xs[n++] = x;
    if (n === N) flush();
  }
  flush();
  return worst;
}

function* sweep(): Generator<number> {
  const view = new DataView(new ArrayBuffer(4));
  for (let bits = 0; bits < 2 ** 32; bits += STRIDE) {
    view.setUint32(0, bits);
    yield view.getFloat32(0);
  }
}

describe("f32x4 math against Math.* in f64", { timeout: SLOW }, () => {
  it.each(FUNCTIONS)(
    "%s is within its ulp bound over the sweep and the edges",
    (name, _, ref, bound) => {
      const worst = worstOver(name, ref, [...EDGES, ...sweep()]);
      expect(
        worst.ulps,
        `worst at x = ${worst.x}: got ${worst.got}, want ${ref(worst.x)}`,
      ).toBeLessThanOrEqual(bound);
    },
  );

  it.each([
    ["exp", -Infinity, 0],
    ["exp", Infinity, Infinity],
    ["exp", 89, Infinity],
    ["exp", -105, 0],
    ["exp", 0, 1],
    ["expm1", -Infinity, -1],
    ["expm1", Infinity, Infinity],
    ["expm1", TINY, TINY],
    ["log", 0, -Infinity],
    ["log", -0, -Infinity],
    ["log", -1, NaN],
    ["log", -Infinity, NaN],
    ["log", Infinity, Infinity],
    ["log", 1, 0],
    ["log1p", -1, -Infinity],
    ["log1p", -2, NaN],
    ["log1p", Infinity, Infinity],
    ["log1p", TINY, TINY],
    ["sigmoid", Infinity, 1],
    ["sigmoid", -Infinity, 0],
    ["sigmoid", 0, 0.5],
    ["tanh", Infinity, 1],
    ["tanh", -Infinity, -1],
    ["tanh", TINY, TINY],
    ["softplus", Infinity, Infinity],
    ["softplus", -Infinity, 0],
    ["softplus", NaN, NaN],
    ["tanh", NaN, NaN],
    ["sigmoid", NaN, NaN],
  ] as const)("%s(%s) is %s", (name, x, want) => {
    const xs = inst.f32(X, 4);
    xs.fill(x);
    inst.fns[name]!(X, Y, 4);
    expect(Array.from(inst.f32(Y, 4))).toEqual([want, want, want, want]);
  });
});
