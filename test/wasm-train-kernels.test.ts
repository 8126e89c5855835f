// The kernels of training: dropout masks, which must be the JS target's for the same seed, and
// the optimizer updates, which must follow the JS target's formulas, over several steps.
import { describe, expect, it } from "vitest";
import * as W from "../src/codegen/wasm/index.ts";
import { instantiate, uniform } from "./wasm-helpers.ts";
import { expectClose } from "./wasm-expect.ts";

const ptrs = (...names: string[]): W.KernelParam[] => names.map((name) => ({ name, type: "ptr" }));
const SIZE: W.KernelParam = { name: "size", type: "size" };

/** the JS target's generator (src/codegen/runtime.ts), state and all */
function jsRandom(seed: number) {
  let rngState = seed >>> 0;
  return {
    random() {
      rngState = (rngState + 0x6d2b79f5) | 0;
      let t = Math.imul(rngState ^ (rngState >>> 15), 1 | rngState);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
    state: () => rngState,
  };
}

describe("dropout masks are the JS target's, for the same seed", () => {
  it.each([
    [0.1, 1, 1],
    [0.2, 7, 42],
    [0.5, 33, 0],
    [0.1, 50176, 123456789],
    [0, 9, 5],
    [0.999, 17, 77],
    [1 - 2 ** -33, 8, 3],
  ])("rate %s, %d elements, seed %d", (rate, n, seed) => {
    const k = W.dropoutKernel({
      name: "m",
      params: [...ptrs("mask"), SIZE, { name: "state", type: "i32" }],
      out: 0,
      n: W.dyn(1),
      state: 2,
      rate,
    });
    const inst = instantiate([k], 4);
    const mask = inst.alloc(n);
    const js = jsRandom(seed);
    // the state after a few draws, as the model's generator would be mid-training
    for (let i = 0; i < 3; i++) js.random();
    const state = inst.fns["m"]!(mask, n, js.state() | 0);
    const want = Array.from({ length: n }, () =>
      Math.fround(js.random() < rate ? 0 : 1 / (1 - rate)),
    );
    expect(Array.from(inst.f32(mask, n))).toEqual(want);
    expect(state | 0).toBe(js.state() | 0);
  });
});

/** The JS target's update formulas (src/codegen/js/optim.ts), f64 arithmetic on f32 arrays. */
function jsStep(
  rule: W.OptimizerRule,
  value: Float32Array,
  grad: Float32Array,
  state: Float32Array[],
  lr: number,
  c1: number,
  c2: number,
) {
  const wd = rule.decay ?? 0;
  for (let i = 0; i < value.length; i++) {
    // coupled decay joins the gradient; adamw's is decoupled, applied to the value first
    const gi = grad[i]! + (rule.kind === "adamw" ? 0 : wd * value[i]!);
    if (rule.kind === "adamw") value[i]! -= lr * wd * value[i]!;
    if (rule.kind === "sgd" && rule.momentum === 0) value[i]! -= lr * gi;
    else if (rule.kind === "sgd") {
      const v = state[0]!;
      v[i] = rule.momentum * v[i]! - lr * gi;
      value[i]! += v[i]!;
    } else if (rule.kind === "rmsprop") {
      const s = state[0]!;
      s[i] = rule.rho * s[i]! + (1 - rule.rho) * gi * gi;
      value[i]! -= (lr * gi) / (Math.sqrt(s[i]!) + rule.eps);
    } else {
      const [m, v] = state as [Float32Array, Float32Array];
      m[i] = rule.beta1 * m[i]! + (1 - rule.beta1) * gi;
      v[i] = rule.beta2 * v[i]! + (1 - rule.beta2) * gi * gi;
      value[i]! -= (lr * (m[i]! / c1)) / (Math.sqrt(v[i]! / c2) + rule.eps);
    }
  }
}

describe("optimizer updates agree with the JS target's formulas over 10 steps", () => {
  const RULES: [string, W.OptimizerRule][] = [
    ["sgd", { kind: "sgd", momentum: 0 }],
    ["momentum", { kind: "sgd", momentum: 0.9 }],
    ["rmsprop", { kind: "rmsprop", rho: 0.9, eps: 1e-8 }],
    ["adam", { kind: "adam", beta1: 0.9, beta2: 0.999, eps: 1e-8 }],
    ["sgd with weight decay", { kind: "sgd", momentum: 0, decay: 0.1 }],
    ["momentum with weight decay", { kind: "sgd", momentum: 0.9, decay: 0.1 }],
    ["rmsprop with weight decay", { kind: "rmsprop", rho: 0.9, eps: 1e-8, decay: 0.1 }],
    ["adam with weight decay", { kind: "adam", beta1: 0.9, beta2: 0.999, eps: 1e-8, decay: 0.1 }],
    ["adamw", { kind: "adamw", beta1: 0.9, beta2: 0.999, eps: 1e-8, decay: 0.1 }],
  ];
  const adam = (rule: W.OptimizerRule) => rule.kind === "adam" || rule.kind === "adamw";
  it.each(RULES.flatMap(([name, rule]) => [1, 5, 17, 128].map((n) => [name, n, rule] as const)))(
    "%s over %d elements",
    (name, n, rule) => {
      for (const dynamic of [false, true]) {
        const spec = { name: "u", rule, n: dynamic ? ("param" as const) : n };
        const params = W.optimizerParams(spec);
        const inst = instantiate([W.optimizerKernel(spec) as W.Func], 4);
        const value = uniform(n, 1, -1, 1);
        const stateCount = params.filter((p) => p.type === "ptr").length - 2;
        const jsValue = Float32Array.from(value);
        const jsState = Array.from({ length: stateCount }, () => new Float32Array(n));
        const V = inst.put(value);
        const S = jsState.map(() => inst.alloc(n));
        for (let step = 1; step <= 10; step++) {
          const grad = uniform(n, 100 + step, -1, 1);
          const lr = 0.01 / step;
          const [c1, c2] =
            rule.kind === "adam" || rule.kind === "adamw"
              ? [1 - rule.beta1 ** step, 1 - rule.beta2 ** step]
              : [1, 1];
          const scalars = adam(rule) ? [lr, c1, c2] : [lr];
          inst.fns["u"]!(V, inst.put(grad), ...S, ...scalars, ...(dynamic ? [n] : []));
          jsStep(rule, jsValue, grad, jsState, lr, c1, c2);
        }
        expectClose(inst.f32(V, n), jsValue, 1e-6);
        S.forEach((s, k) => expectClose(inst.f32(s, n), jsState[k]!, 1e-5));
      }
    },
  );
});
