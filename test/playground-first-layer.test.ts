// The MNIST tab's picture of a convolutional network's first layer, apart from the browser: which
// nodes hold its filters and its feature maps, the colours that paint them, and the worker's
// session giving LeNet's trained filters and the maps they make of a digit.
// (The page itself: playground/e2e/lenet.spec.ts.)
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { activations, compile, graphData } from "../src/index.ts";
import { mnist } from "../src/node.ts";
import { decodeDigits, encodeDigits } from "../playground/src/digits.ts";
import {
  diverging,
  firstConv,
  layerName,
  mapsCaption,
  range,
  rgbaOf,
  sequential,
} from "../playground/src/first-layer.ts";
import { MnistSession } from "../playground/src/mnist-session.ts";

const read = (path: string) => readFileSync(path, "utf8");

describe("the first layer", () => {
  const lenet = compile(read("models/lenet.nn"), { file: "models/lenet.nn" });

  it("is the first convolution, its kernel, and its maps after the bias and relu", () => {
    const fromGraph = firstConv(graphData(lenet).nodes)!;
    expect(fromGraph.weight.name).toBe("c1.W");
    expect(fromGraph.ops).toEqual(["conv2d", "add", "relu"]);
    expect(fromGraph.next).toBe("max_pool2d");
    expect(fromGraph.maps.shape).toBe("[batch, 6, 28, 28]");
    expect(layerName(fromGraph.weight.name!)).toBe("c1");
    expect(mapsCaption(fromGraph, [28, 28])).toBe("after relu, 28 x 28, before max_pool2d");
    // the inference graph's nodes (what `activations` gives) lead to the same node
    const m = lenet.load().createModel({ seed: 1 });
    const nodes = activations(lenet, { x: new Float32Array(784) }, m);
    expect(firstConv(nodes)!.maps.id).toBe(fromGraph.maps.id);
    expect(firstConv(nodes)!.maps.shape).toEqual([1, 6, 28, 28]);
  });

  it("is no layer for a model without a convolution", () => {
    expect(firstConv(graphData(compile(read("models/mnist.nn"))).nodes)).toBeNull();
  });

  it("stops at the convolution where no per-element op follows it alone", () => {
    const bare =
      "model m {\n  input x: [batch, 784]\n  img = reshape(x, [batch, 1, 28, 28])\n" +
      "  c = img |> conv2d(2, kernel: 3, bias: false)\n  output c\n}\n";
    const found = firstConv(graphData(compile(bare)).nodes)!;
    expect(found.ops).toEqual(["conv2d"]);
    expect(found.next).toBeUndefined();
    expect(mapsCaption(found, [26, 26])).toBe("after the convolution, 26 x 26");
  });
});

describe("the colours", () => {
  it("paint maps in viridis and weights from blue through white to orange", () => {
    expect(sequential(0)).toEqual([68, 1, 84]);
    expect(sequential(0.5)).toEqual([33, 145, 140]);
    expect(sequential(1)).toEqual([253, 231, 37]);
    expect(sequential(NaN)).toEqual([68, 1, 84]);
    expect(diverging(-1)).toEqual([8, 119, 189]);
    expect(diverging(0)).toEqual([255, 255, 255]);
    expect(diverging(1)).toEqual([245, 147, 34]);
    expect(diverging(0.5)).toEqual([250, 201, 145]);
    expect(diverging(7)).toEqual(diverging(1));
    const rgba = rgbaOf([9, -1, 1, 9], 1, 2, diverging);
    expect(Array.from(rgba)).toEqual([8, 119, 189, 255, 245, 147, 34, 255]);
    expect(range([5, -2, 3, 9], 1, 2)).toEqual([-2, 3]);
  });
});

/** relu(conv2d(image, W, padding: 2) + b) for one 28 x 28 image, by its definition. */
function firstMaps(image: ArrayLike<number>, W: ArrayLike<number>, b: ArrayLike<number>) {
  const out = new Float64Array(6 * 28 * 28);
  for (let o = 0; o < 6; o++)
    for (let i = 0; i < 28; i++)
      for (let j = 0; j < 28; j++) {
        let s = b[o]!;
        for (let p = 0; p < 5; p++)
          for (let q = 0; q < 5; q++) {
            const [r, c] = [i + p - 2, j + q - 2];
            if (r >= 0 && r < 28 && c >= 0 && c < 28)
              s += image[r * 28 + c]! * W[o * 25 + p * 5 + q]!;
          }
        out[(o * 28 + i) * 28 + j] = Math.max(0, s);
      }
  return out;
}

describe("LeNet in the worker's session", () => {
  it("gives its trained filters and the maps they make of a digit", () => {
    const tables = decodeDigits(encodeDigits(mnist({ train: 600, test: 200 })));
    const setup = { source: read("models/lenet.nn"), file: "lenet.nn", target: "auto" as const };
    const s = new MnistSession({ ...setup, epochs: 1, batch: 32, seed: 1, digits: 64 }, tables);
    expect(s.trainer.stepsPerEpoch).toBe(2);
    const initial = Float32Array.from(s.trainer.model.params["c1.W"]!);
    s.run(
      () => {},
      () => {},
    );
    const layer = s.firstLayer()!;
    expect(layer).toMatchObject({ layer: "c1", weight: "c1.W", shape: [6, 1, 5, 5] });
    expect(layer.ops).toEqual(["conv2d", "add", "relu"]);
    expect(layer.filters).toEqual(Float32Array.from(s.trainer.model.params["c1.W"]!));
    // trained: two Adam steps moved every weight
    expect(layer.filters.every((v, i) => v !== initial[i])).toBe(true);
    const { image, label } = s.testDigit(3);
    expect(label).toBe(tables.test.values[3 * 785 + 784]);
    expect(s.testDigit(2003).image).toEqual(image);
    const maps = s.maps(image)!;
    expect(maps.shape).toEqual([6, 28, 28]);
    const expected = firstMaps(image, layer.filters, s.trainer.model.params["c1.b"]!);
    let worst = 0;
    maps.values.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - expected[i]!))));
    expect(worst).toBeLessThan(1e-5);
    expect(maps.values.some((v) => v > 0)).toBe(true);
  });
});
