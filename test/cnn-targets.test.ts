// Convolutional networks on every build: the networks of test/cnn-spec.ts (every conv2d option:
// stride, asymmetric and "same" padding, dilation, groups and depthwise; both pools with padding,
// overlap and ties; batchnorm over channels; transpose with a permutation; dense at rank 3 and 4;
// flatten, reshape, global_avg_pool) compiled for the JS target in f64 and f32 and the wasm target
// in f32, fused and unfused. In f64 the loss and the gradients (every param and the input) equal
// central differences of the loss; every build gives the f64 fused build's loss and gradients, to
// 1e-12 in f64 and to 1e-4 of the largest gradient in f32. In the grid networks the data and the
// weights are integers, so f32 sums them exactly and a max pool's window often holds its maximum
// twice: a build that sent the gradient to another maximum than the first would differ by whole
// units. (test/torch-cnn.test.ts checks the f64 build against PyTorch.)
import { describe, expect, it } from "vitest";
import { compile } from "../src/compile.ts";
import { seededWeights } from "../src/export/weights.ts";
import { CLASSES, fixedNets, randomNet, source, type Net } from "./cnn-spec.ts";
import { randomArray, rng } from "./helpers.ts";

const BATCH = 3;
const nets = [
  ...fixedNets,
  ...Array.from({ length: 4 }, (_, i) => randomNet(300 + i, false)),
  randomNet(400, true),
];

type Build = { target: "js" | "wasm"; dtype: "f32" | "f64"; fuse: boolean };
const builds: Build[] = [
  { target: "js", dtype: "f64", fuse: false },
  { target: "js", dtype: "f32", fuse: true },
  { target: "js", dtype: "f32", fuse: false },
  { target: "wasm", dtype: "f32", fuse: true },
  { target: "wasm", dtype: "f32", fuse: false },
];
const label = (b: Build) => `${b.target} ${b.dtype}${b.fuse ? "" : " unfused"}`;

/** The weights, input and one-hot target of `net` (integers in a grid network), in f64. */
function dataOf(net: Net, seed: number) {
  const reference = compile(source(net), { file: "cnn.nn", dtype: "f64", wrt: ["x"] });
  const round = (v: ArrayLike<number>) =>
    Float64Array.from(v, (x) => (net.grid ? Math.round(x) : x));
  const params: Record<string, Float64Array> = {};
  for (const p of reference.model.params)
    params[p.name] = round(seededWeights(reference, seed).get(p.name)!);
  const r = rng(seed);
  const x = round(randomArray(BATCH * net.input.reduce((a, b) => a * b), r, -1.4, 1.4));
  const y = new Float64Array(BATCH * CLASSES);
  for (let n = 0; n < BATCH; n++) y[n * CLASSES + Math.floor(r() * CLASSES)] = 1;
  return { reference, params, x, y };
}

type Grads = Record<string, ArrayLike<number>>;

/** The loss and the gradients of a build from the same params and data. */
function run(net: Net, build: Build, data: ReturnType<typeof dataOf>) {
  const compiled = compile(source(net), { file: "cnn.nn", wrt: ["x"], ...build });
  expect(compiled.target, compiled.targetNote).toBe(build.target);
  const cast = (v: Float64Array) => (build.dtype === "f32" ? Float32Array.from(v) : v);
  const params = Object.fromEntries(Object.entries(data.params).map(([k, v]) => [k, cast(v)]));
  const m = compiled.load().createModel({ params });
  const { loss, grads } = m.grad({ x: cast(data.x), y: cast(data.y) }) as {
    loss: number;
    grads: Grads;
  };
  return {
    loss,
    grads: Object.fromEntries(Object.entries(grads).map(([k, v]) => [k, Array.from(v)])),
  };
}

/** The largest |a - b| over the larger of `scale` and |b|. */
function worst(a: ArrayLike<number>, b: ArrayLike<number>, scale: number): number {
  let w = 0;
  for (let i = 0; i < b.length; i++)
    w = Math.max(w, Math.abs(a[i]! - b[i]!) / Math.max(scale, Math.abs(b[i]!)));
  return w;
}

describe.each(nets.map((net, i) => ({ net, seed: 11 + i, name: net.label })))("$name", (c) => {
  const data = dataOf(c.net, c.seed);
  const expected = run(c.net, { target: "js", dtype: "f64", fuse: true }, data);
  const largest = Math.max(
    ...Object.values(expected.grads).map((g) => Math.max(...Array.from(g, Math.abs))),
  );

  it.skipIf(c.net.grid)("f64: every gradient equals central differences of the loss", () => {
    const m = data.reference.load().createModel({ params: data.params });
    const lossAt = () => m.grad({ x: data.x, y: data.y }).loss as number;
    const h = 1e-5;
    // the model's own params (it copies those it is given), and the input it is fed
    const values = { ...(m.params as Record<string, Float64Array>), x: data.x };
    const pick = rng(c.seed + 1000);
    for (const [name, v] of Object.entries(values)) {
      // a dozen entries of each, picked at random (x and the dense weights are large)
      const at = Array.from({ length: Math.min(v.length, 12) }, () =>
        Math.floor(pick() * v.length),
      );
      const numeric = at.map((j) => {
        const keep = v[j]!;
        v[j] = keep + h;
        const up = lossAt();
        v[j] = keep - h;
        const down = lossAt();
        v[j] = keep;
        return (up - down) / (2 * h);
      });
      const symbolic = at.map((j) => expected.grads[name]![j]!);
      expect(worst(symbolic, numeric, 1e-3 * largest), `d/d${name}`).toBeLessThan(1e-6);
    }
  });

  it.each(builds.map((b) => [label(b), b] as const))(
    "%s: the f64 build's loss and gradients",
    (_label, build) => {
      const got = run(c.net, build, data);
      const tol = build.dtype === "f64" ? 1e-12 : 1e-4;
      expect(worst([got.loss], [expected.loss], 1), "loss").toBeLessThan(tol);
      for (const [name, g] of Object.entries(expected.grads))
        expect(worst(got.grads[name]!, g, largest), `d/d${name}`).toBeLessThan(tol);
    },
  );
});
