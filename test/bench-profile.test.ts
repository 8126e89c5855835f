// The bench's kernel profile (bench/instrument.ts) times every kernel call of a training step and
// changes nothing it computes: on both targets, the instrumented module's losses are the plain
// module's, and every call site gets a time.
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { compile } from "../src/index.ts";
import { loadModule } from "../src/codegen/index.ts";
import { clock, instrument } from "../bench/instrument.ts";

interface Model {
  trainStep(feed: Record<string, Float32Array>): number;
}

const source = readFileSync(new URL("../bench/models/mlp.nn", import.meta.url), "utf8");
const g = globalThis as { $nncProfile?: Float64Array; $nncClock?: () => number };

describe("the kernel profile's instrumented module", () => {
  for (const target of ["js", "wasm"] as const)
    it(`computes what the plain one does, and times each call (${target} target)`, () => {
      const compiled = compile(source, { file: "mlp.nn", dtype: "f32", target });
      const { js, sites } = instrument(compiled.js);
      expect(sites.map((s) => s.call.replace(/^\$k\./, "$")).slice(0, 2)).toEqual([
        expect.stringMatching(/^\$matmul_nn_bias_relu_/),
        expect.stringMatching(/^\$matmul_nn_bias_/),
      ]);
      expect(sites[0]!.what).toBe("h = relu(x @ h.W + h.b)");
      g.$nncProfile = new Float64Array(sites.length).fill(-1);
      g.$nncClock = clock;
      const make = (text: string) =>
        (loadModule(text) as unknown as { createModel(o: object): Model }).createModel({
          seed: 1,
        });
      const [timed, plain] = [make(js), make(compiled.js)];
      const x = Float32Array.from({ length: 4 * 784 }, (_, i) => (i % 13) / 13);
      const y = new Float32Array(40).map((_, i) => (i % 11 === 0 ? 1 : 0));
      for (let s = 0; s < 3; s++) expect(timed.trainStep({ x, y })).toBe(plain.trainStep({ x, y }));
      expect([...g.$nncProfile].every((t) => t >= 0)).toBe(true);
    });
});

describe("the kernel profile of LeNet on the wasm target", () => {
  it("times its convolutions, whose calls span several lines", () => {
    const lenet = readFileSync(new URL("../bench/models/lenet.nn", import.meta.url), "utf8");
    const compiled = compile(lenet, { file: "lenet.nn", dtype: "f32", target: "wasm" });
    const { js, sites } = instrument(compiled.js);
    const convs = sites.filter((s) => s.call.startsWith("$k.conv2d"));
    expect(convs.length).toBe(5);
    g.$nncProfile = new Float64Array(sites.length).fill(-1);
    g.$nncClock = clock;
    const make = (text: string) =>
      (loadModule(text) as unknown as { createModel(o: object): Model }).createModel({});
    const [timed, plain] = [make(js), make(compiled.js)];
    const x = Float32Array.from({ length: 2 * 784 }, (_, i) => (i % 13) / 13);
    const y = Float32Array.from({ length: 20 }, (_, i) => (i % 11 === 0 ? 1 : 0));
    for (let s = 0; s < 2; s++) expect(timed.trainStep({ x, y })).toBe(plain.trainStep({ x, y }));
    expect([...g.$nncProfile].every((t) => t >= 0)).toBe(true);
  });
});
