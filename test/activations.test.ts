// activations(compiled, feed, weights): every value of the inference graph for one feed, from a
// model's own params, as the playground reads a trained LeNet's feature maps.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { activations, compile } from "../src/index.ts";

const tiny = `model tiny {
  input  x: [batch, 9]
  target y: [batch, 4]
  img = reshape(x, [batch, 1, 3, 3])
  c = img |> conv2d(1, kernel: 2) |> relu
  loss = mean(mse(flatten(c), y))
  output c
  optimizer = sgd(lr: 0.1)
}`;

describe("activations", () => {
  it("gives every node's value, the ones the source leaves unnamed too", () => {
    const compiled = compile(tiny, { file: "tiny.nn" });
    // x = 1..9 as a 3 x 3 image; W = [[1, 0], [0, -1]] (x[i][j] - x[i+1][j+1]) and b = 2.5
    const x = Float32Array.from({ length: 9 }, (_, i) => i + 1);
    const params = { "c.W": [1, 0, 0, -1], "c.b": [2.5] };
    const nodes = activations(compiled, { x }, { params });
    const conv = nodes.find((n) => n.op === "conv2d")!;
    // each window: x[i][j] - x[i+1][j+1] = -4
    expect(conv.shape).toEqual([1, 1, 2, 2]);
    expect(Array.from(conv.value)).toEqual([-4, -4, -4, -4]);
    const relu = nodes.find((n) => n.op === "relu")!;
    expect(relu.inputs).toEqual([nodes.find((n) => n.name === "c_pre")!.id]);
    expect(Array.from(relu.value)).toEqual([0, 0, 0, 0]);
    const withBias = activations(compiled, { x }, { params: { ...params, "c.b": [4.5] } });
    expect(Array.from(withBias.find((n) => n.op === "relu")!.value)).toEqual([0.5, 0.5, 0.5, 0.5]);
    expect(nodes.find((n) => n.op === "param" && n.name === "c.W")!.shape).toEqual([1, 1, 2, 2]);
  });

  it("reads the batch from the feed, and its outputs are forward's", () => {
    const source = readFileSync("models/lenet.nn", "utf8");
    const compiled = compile(source, { file: "models/lenet.nn" });
    const m = compiled.load().createModel({ seed: 1 });
    const x = Float32Array.from({ length: 3 * 784 }, (_, i) => ((i * 7919) % 255) / 255);
    const nodes = activations(compiled, { x }, m);
    const relu = nodes.find((n) => n.op === "relu")!;
    expect(relu.shape).toEqual([3, 6, 28, 28]);
    expect(nodes.find((n) => n.name === "c1")!.shape).toEqual([3, 6, 14, 14]);
    const p = nodes.at(-1)!;
    expect(p.name).toBe("p");
    const forward = m.forward({ x })["p"] as Float32Array;
    expect(p.value).toHaveLength(30);
    p.value.forEach((v, i) => expect(v).toBeCloseTo(forward[i]!, 5));
  });

  it("says what is missing or of the wrong size", () => {
    const compiled = compile(tiny, { file: "tiny.nn" });
    const x = new Float32Array(9);
    expect(() => activations(compiled, { x }, { params: { "c.W": [1, 0, 0, 1] } })).toThrow(
      "activations needs the param `c.b`",
    );
    expect(() => activations(compiled, {}, { params: {} })).toThrow("needs the input `x`");
    const params = { "c.W": [1, 0, 0, 1], "c.b": [0] };
    expect(() => activations(compiled, { x: new Float32Array(10) }, { params })).toThrow(
      "`x` needs a multiple of 9 values, got 10",
    );
  });
});
