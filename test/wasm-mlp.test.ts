// The kernels composed into a whole training step (bench/wasm-mlp.ts: workload 1, the MNIST MLP
// with SGD, as the wasm emitter will schedule it) train as the JS target does: the same losses
// and the same weights after 10 steps, within f32 tolerance.
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { compile } from "../src/index.ts";
import { PARAMS, wasmMlp } from "../bench/wasm-mlp.ts";
import { maxRelError, uniform, SLOW } from "./wasm-helpers.ts";

interface Model {
  params: Record<string, Float32Array>;
  trainStep(feed: Record<string, Float32Array>): number;
}

describe("the MNIST MLP from wasm kernels", { timeout: SLOW }, () => {
  it("trains as the JS target does: 10 SGD steps, the same losses and weights", async () => {
    const source = readFileSync(new URL("../bench/models/mlp.nn", import.meta.url), "utf8");
    const mod = (await compile(source, { file: "mlp.nn", dtype: "f32" }).load()) as unknown as {
      createModel(o: object): Model;
    };
    const init = Object.fromEntries(
      Object.entries(PARAMS).map(([k, n], i) => [k, uniform(n, i + 1, -0.1, 0.1)]),
    );
    const batch = 33;
    const js = mod.createModel({ params: init });
    const wasm = wasmMlp(init, batch, 0.1);
    for (let step = 0; step < 10; step++) {
      const x = uniform(batch * 784, 100 + step, 0, 1);
      const y = new Float32Array(batch * 10);
      for (let i = 0; i < batch; i++) y[i * 10 + ((i * 7 + step) % 10)] = 1;
      const want = js.trainStep({ x, y });
      const got = wasm.step(x, y);
      expect(Math.abs(got - want) / Math.abs(want), `loss at step ${step}`).toBeLessThan(1e-5);
    }
    for (const k of Object.keys(PARAMS) as (keyof typeof PARAMS)[]) {
      const e = maxRelError(wasm.params[k], js.params[k]!);
      expect(e.worst, `${k}[${e.at}]`).toBeLessThan(1e-5);
    }
  });
});
