// The kernels along lines (reductions, softmax, softmax + cross-entropy and its gradient,
// batchnorm's statistics and input gradient) against the ops' reference evaluations (src/ops) or
// plain f64 code, on random data of odd sizes, with the sizes as literals and as params read at
// run time.
import { describe, expect, it } from "vitest";
import * as W from "../src/codegen/wasm/index.ts";
import { registry } from "../src/ops/index.ts";
import { instantiate, uniform } from "./wasm-helpers.ts";
import { expectClose } from "./wasm-expect.ts";
import { batchnormDxSpec } from "./wasm-fixtures.ts";

const ptrs = (...names: string[]): W.KernelParam[] => names.map((name) => ({ name, type: "ptr" }));
const SIZE: W.KernelParam = { name: "size", type: "size" };
/** the layouts [outer, n, inner] each line kernel is tried on */
const LAYOUTS: [number, number, number][] = [
  [1, 1, 1],
  [3, 10, 1],
  [5, 7, 1],
  [2, 33, 1],
  [1, 9, 5],
  [2, 5, 3],
  [3, 4, 17],
  [1, 64, 128],
];
/** the layout as sizes: literals, or with n read from the `size` param at index `at` */
function layout([o, n, i]: number[], dynamic: boolean, at: number): [W.Size, W.Size, W.Size] {
  return [o!, dynamic ? W.dyn(at) : n!, i!];
}
const env = { leaf: () => new Float64Array(0), dim: () => 0 };
const tensor = (data: ArrayLike<number>, shape: number[]) => ({
  data: Float64Array.from(data),
  shape,
});

/** one test per layout and sizing; `run` gets the kernel maker and checks it */
function eachLayout(
  title: string,
  run: (shape: [number, number, number], make: (at: number) => [W.Size, W.Size, W.Size]) => void,
) {
  const rows = LAYOUTS.flatMap((l) => [false, true].map((d) => [l.join("x"), d, l] as const));
  it.each(rows)(`${title}, [outer, n, inner] = %s, n read at run time: %s`, (_, dynamic, l) =>
    run(l, (at) => layout(l, dynamic, at)),
  );
}

describe("reductions along an axis", () => {
  for (const op of ["sum", "mean", "max"] as const)
    eachLayout(op, ([O, N, I], make) => {
      const [outer, n, inner] = make(3);
      const k = W.reduceKernel({
        name: "r",
        op,
        params: [...ptrs("x", "_", "out"), SIZE],
        outer,
        n,
        inner,
        x: 0,
        out: 2,
      });
      const inst = instantiate([k], 16);
      const x = uniform(O * N * I, O + N + I, -2, 2);
      const X = inst.put(x);
      const out = inst.alloc(O * I);
      inst.fns["r"]!(X, 0, out, N);
      const want = registry[op].evaluate(
        [tensor(x, [O, N, I])],
        { axes: [1], keep: false },
        [O, I],
        env,
        null as never,
      );
      expectClose(inst.f32(out, O * I), want);
    });
});

describe("softmax and log_softmax", () => {
  for (const op of ["softmax", "log_softmax"] as const)
    eachLayout(op, ([O, N, I], make) => {
      const [outer, n, inner] = make(2);
      const k = W.softmaxKernel({
        name: "s",
        op,
        params: [...ptrs("x", "out"), SIZE],
        outer,
        n,
        inner,
        x: 0,
        out: 1,
      });
      const inst = instantiate([k], 16);
      // logits up to +-30: e^30 would overflow a naive sum of exponentials in f32
      const x = uniform(O * N * I, N * 7 + I, -30, 30);
      const out = inst.alloc(x.length);
      inst.fns["s"]!(inst.put(x), out, N);
      const want = registry[op].evaluate(
        [tensor(x, [O, N, I])],
        { axis: 1 },
        [O, N, I],
        env,
        null as never,
      );
      expectClose(inst.f32(out, x.length), want, 1e-5);
    });
});

/** one-hot targets along the axis */
function oneHot(O: number, N: number, I: number): Float32Array {
  const y = new Float32Array(O * N * I);
  const pick = uniform(O * I, 3, 0, N);
  for (let o = 0; o < O; o++)
    for (let i = 0; i < I; i++) y[(o * N + Math.floor(pick[o * I + i]!)) * I + i] = 1;
  return y;
}

describe("softmax + cross-entropy", () => {
  eachLayout("loss per line", ([O, N, I], make) => {
    const [outer, n, inner] = make(3);
    const k = W.softmaxXentKernel({
      name: "l",
      params: [...ptrs("z", "y", "out"), SIZE],
      outer,
      n,
      inner,
      z: 0,
      y: 1,
      out: 2,
    });
    const inst = instantiate([k], 16);
    const z = uniform(O * N * I, 11, -40, 40);
    const y = oneHot(O, N, I);
    const out = inst.alloc(O * I);
    inst.fns["l"]!(inst.put(z), inst.put(y), out, N);
    const want = registry.softmax_xent.evaluate(
      [tensor(z, [O, N, I]), tensor(y, [O, N, I])],
      { axis: 1 },
      [O, I],
      env,
      null as never,
    );
    expectClose(inst.f32(out, O * I), want, 1e-5);
  });

  for (const perLine of [false, true])
    eachLayout(
      `gradient g (softmax(z) sum(y) - y), g ${perLine ? "per line" : "one f32"}`,
      ([O, N, I], make) => {
        const params: W.KernelParam[] = [
          ...ptrs("z", "y", "dz"),
          perLine ? { name: "g", type: "ptr" } : { name: "g", type: "f32" },
          SIZE,
        ];
        const [outer, n, inner] = make(4);
        const k = W.softmaxXentGradKernel({
          name: "d",
          params,
          outer,
          n,
          inner,
          z: 0,
          y: 1,
          dz: 2,
          g: 3,
          gPerLine: perLine,
        });
        const inst = instantiate([k], 16);
        const z = uniform(O * N * I, 12, -20, 20);
        // soft targets: sum(y) is not 1, so the sum(y) factor is tested too
        const y = uniform(O * N * I, 13, 0, 1);
        const g = perLine ? uniform(O * I, 14, -1, 1) : Float32Array.of(1 / 64);
        const dz = inst.alloc(z.length);
        inst.fns["d"]!(inst.put(z), inst.put(y), dz, perLine ? inst.put(g) : g[0]!, N);
        const p = registry.softmax.evaluate(
          [tensor(z, [O, N, I])],
          { axis: 1 },
          [O, N, I],
          env,
          null as never,
        );
        const want = new Float64Array(z.length);
        for (let o = 0; o < O; o++)
          for (let i = 0; i < I; i++) {
            let sy = 0;
            for (let j = 0; j < N; j++) sy += y[(o * N + j) * I + i]!;
            const gl = perLine ? g[o * I + i]! : g[0]!;
            for (let j = 0; j < N; j++) {
              const e = (o * N + j) * I + i;
              want[e] = gl * (p[e]! * sy - y[e]!);
            }
          }
        expectClose(inst.f32(dz, z.length), want, 1e-5);
      },
    );
});

describe("batchnorm", () => {
  const SHAPES: [number, number][] = [
    [2, 1],
    [9, 7],
    [64, 128],
    [5, 3],
    [33, 17],
  ];
  it.each(SHAPES.flatMap((s) => [false, true].map((d) => [...s, d] as const)))(
    "batch statistics of [%d, %d], N read at run time: %s",
    (N, C, dynamic) => {
      const k = W.batchStatsKernel({
        name: "b",
        params: [...ptrs("x", "mean", "var", "invstd"), SIZE],
        outer: 1,
        n: dynamic ? W.dyn(4) : N,
        inner: C,
        x: 0,
        mean: 1,
        variance: 2,
        invstd: 3,
        eps: 1e-5,
      });
      const inst = instantiate([k], 16);
      const x = uniform(N * C, N + C, -3, 5);
      const [mean, vr, invstd] = [inst.alloc(C), inst.alloc(C), inst.alloc(C)];
      inst.fns["b"]!(inst.put(x), mean, vr, invstd, N);
      const mu = Array.from(
        { length: C },
        (_, j) => x.filter((_, e) => e % C === j).reduce((a, b) => a + b, 0) / N,
      );
      const va = mu.map(
        (m, j) => x.filter((_, e) => e % C === j).reduce((a, b) => a + (b - m) ** 2, 0) / N,
      );
      expectClose(inst.f32(mean, C), mu, 1e-5);
      expectClose(inst.f32(vr, C), va, 1e-5);
      expectClose(
        inst.f32(invstd, C),
        va.map((s) => 1 / Math.sqrt(s + 1e-5)),
        1e-5,
      );
    },
  );

  it.each(SHAPES.flatMap((s) => [false, true].map((b) => [...s, b] as const)))(
    "input gradient (closed form) of [%d, %d], gamma one number: %s",
    (N, C, scalarGamma) => {
      const k = W.batchnormDxKernel(batchnormDxSpec(C, scalarGamma));
      const inst = instantiate([k], 16);
      const dy = uniform(N * C, 1, -1, 1);
      const x = uniform(N * C, 2, -2, 2);
      const mu = uniform(C, 3, -0.5, 0.5);
      const invstd = uniform(C, 4, 0.5, 2);
      const gamma = scalarGamma ? Float32Array.of(1.5) : uniform(C, 5, -2, 2);
      const [dx, dgamma, dbeta] = [inst.alloc(N * C), inst.alloc(C), inst.alloc(C)];
      inst.fns["bn_dx"]!(
        inst.put(dy),
        inst.put(x),
        inst.put(mu),
        inst.put(invstd),
        inst.put(gamma),
        dx,
        dgamma,
        dbeta,
        N,
      );
      const inputs = [
        tensor(dy, [N, C]),
        tensor(x, [N, C]),
        tensor(mu, [C]),
        tensor(invstd, [C]),
        tensor(gamma, [gamma.length]),
      ];
      const want = registry.batchnorm_dx.evaluate(inputs, {}, [N, C], env, null as never);
      expectClose(inst.f32(dx, N * C), want, 1e-5);
      const col = (f: (e: number) => number) =>
        Array.from({ length: C }, (_, j) =>
          Array.from({ length: N }, (_, i) => f(i * C + j)).reduce((a, b) => a + b, 0),
        );
      expectClose(
        inst.f32(dbeta, C),
        col((e) => dy[e]!),
        1e-5,
      );
      expectClose(
        inst.f32(dgamma, C),
        col((e) => dy[e]! * (x[e]! - mu[e % C]!) * invstd[e % C]!),
        1e-5,
      );
    },
  );
});

describe("per channel of images: lines in runs (N runs of H W, C H W apart)", () => {
  /** [N, C, H W]: tails in every run, one element per run, one channel */
  const IMAGES: [number, number, number][] = [
    [3, 4, 10],
    [2, 3, 1],
    [5, 1, 7],
    [4, 6, 16],
  ];
  /** the layout, N the size param at `at` where it is read at run time */
  const runsOf = (N: number, C: number, HW: number, dynamic: boolean, at: number) => ({
    outer: C,
    n: HW,
    inner: 1,
    runs: { count: dynamic ? W.dyn(at) : N, stride: C * HW },
  });
  const cases = IMAGES.flatMap((s) => [false, true].map((d) => [...s, d] as const));

  for (const op of ["sum", "mean", "max"] as const)
    it.each(cases)(
      `${op} over N and H W of [%d, %d, %d], N read at run time: %s`,
      (N, C, HW, d) => {
        const k = W.reduceKernel({
          name: "r",
          op,
          params: [...ptrs("x", "_", "out"), SIZE],
          ...runsOf(N, C, HW, d, 3),
          x: 0,
          out: 2,
        });
        const inst = instantiate([k], 16);
        const x = uniform(N * C * HW, N + C + HW, -2, 2);
        const out = inst.alloc(C);
        inst.fns["r"]!(inst.put(x), 0, out, N);
        const want = registry[op].evaluate(
          [tensor(x, [N, C, HW])],
          { axes: [0, 2], keep: false },
          [C],
          env,
          null as never,
        );
        expectClose(inst.f32(out, C), want);
      },
    );

  it.each(cases)(
    "batchnorm's input gradient of [%d, %d, %d], N read at run time: %s",
    (N, C, HW, d) => {
      const k = W.batchnormDxKernel({
        ...batchnormDxSpec(C, false),
        ...runsOf(N, C, HW, d, 8),
      });
      const inst = instantiate([k], 16);
      const shape = [N, C, HW];
      const dy = uniform(N * C * HW, 1, -1, 1);
      const x = uniform(N * C * HW, 2, -2, 2);
      const [mu, invstd, gamma] = [uniform(C, 3, -0.5, 0.5), uniform(C, 4, 0.5, 2), uniform(C, 5)];
      const [dx, dgamma, dbeta] = [inst.alloc(N * C * HW), inst.alloc(C), inst.alloc(C)];
      const args = [dy, x, mu, invstd, gamma].map((a) => inst.put(a));
      inst.fns["bn_dx"]!(...args, dx, dgamma, dbeta, N);
      const stats = (a: Float32Array) => tensor(a, [1, C, 1]);
      const inputs = [tensor(dy, shape), tensor(x, shape), stats(mu), stats(invstd), stats(gamma)];
      const want = registry.batchnorm_dx.evaluate(inputs, {}, shape, env, null as never);
      expectClose(inst.f32(dx, N * C * HW), want, 1e-5);
    },
  );
});
