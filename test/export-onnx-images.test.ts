// Which ONNX ops a convolutional network exports as (that the graphs compute what nnc does is
// export-onnx.test.ts's and export-ops.test.ts's part): ONNX's own image ops in a float graph, so
// that a runtime runs (and fuses) them as it does any CNN's, and Gather and MatMul in a double
// graph, for which ONNX Runtime has no Conv, ConvTranspose or AveragePool kernel.
import { describe, expect, it } from "vitest";
import { compile } from "../src/compile.ts";
import { exportOnnx } from "../src/export/onnx.ts";
import { decodeModel } from "../src/export/onnx-proto.ts";
import { seededWeights } from "../src/export/weights.ts";
import { imagesCase } from "./export-helpers.ts";

const compiled = compile(imagesCase.source, { file: imagesCase.file });
const weights = seededWeights(compiled, 1);

/** The graph's nodes as `OpType` strings, and the node of each op type. */
function exported(dtype: "f32" | "f64", training = false) {
  const bytes = exportOnnx(compiled.model, compiled.grads, { weights, dtype, training });
  const nodes = decodeModel(bytes).graph!.node!;
  const types = nodes.map((n) => n.opType!);
  const attrs = (type: string) =>
    Object.fromEntries(
      nodes
        .find((n) => n.opType === type)!
        .attribute!.map((a) => [a.name!, a.ints?.length ? a.ints.map(Number) : Number(a.i)]),
    );
  return { types, nodes, attrs };
}

const count = (types: string[], type: string) => types.filter((t) => t === type).length;

describe("a convolutional network as ONNX", () => {
  it("infers with Conv, BatchNormalization, AveragePool, MaxPool and ReduceMean (float)", () => {
    const { types, attrs } = exported("f32");
    expect(count(types, "Conv")).toBe(2);
    expect(count(types, "BatchNormalization")).toBe(1);
    // batchnorm folded whole: none of its elementwise steps is left
    expect(types).not.toContain("Sqrt");
    expect(attrs("AveragePool")).toMatchObject({ count_include_pad: 0, pads: [1, 1, 1, 1] });
    expect(attrs("MaxPool")).toMatchObject({ kernel_shape: [3, 3], strides: [2, 2] });
    // "same" with an even kernel: the extra row and column at the end
    expect(attrs("Conv")).toMatchObject({ pads: [0, 0, 1, 1], strides: [2, 2], group: 1 });
    expect(types).toEqual(expect.arrayContaining(["ReduceMean", "Transpose", "MatMul", "Gemm"]));
  });

  it("trains with ConvTranspose, a Conv for the weights and a scatter-add at MaxPool's indices", () => {
    const { types, nodes } = exported("f32", true);
    expect(count(types, "ConvTranspose")).toBe(1);
    // the forward's two, and one weight gradient each
    expect(count(types, "Conv")).toBe(4);
    const pools = nodes.filter((n) => n.opType === "MaxPool");
    expect(pools.map((n) => n.output!.length).sort()).toEqual([1, 2]);
    expect(types).toContain("ScatterElements");
  });

  it("writes Gather and MatMul where ONNX Runtime has no double kernel", () => {
    for (const training of [false, true]) {
      const { types } = exported("f64", training);
      for (const t of ["ConvTranspose", "AveragePool", "Conv"]) expect(types).not.toContain(t);
      expect(types).toEqual(expect.arrayContaining(["Gather", "MatMul", "MaxPool"]));
    }
  });
});
