// ONNX Runtime (onnxruntime-node, CPU execution provider) for inference: the MLP as an ONNX graph
// (Gemm, Relu, Gemm, Softmax) built here from the same weights, one intra-op thread like every
// other contender.
import { mkdirSync, writeFileSync } from "node:fs";
import onnxProto, { type onnx as Onnx } from "onnx-proto";
import * as ort from "onnxruntime-node";
import type { Weights } from "../common.ts";
import type { Contender } from "./contender.ts";

// onnx-proto is a CommonJS module: its namespace arrives as the default export
const { onnx } = onnxProto;

function tensor(name: string, dims: number[], data: Float32Array): Onnx.ITensorProto {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
  return { name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: bytes };
}

function valueInfo(name: string, dims: (number | string)[]): Onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: {
          dim: dims.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })),
        },
      },
    },
  };
}

/** The MLP 784-128(relu)-10 softmax as an ONNX model (opset 13). */
export function mlpOnnx(w: Weights): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: "nnc-bench",
    opsetImport: [{ domain: "", version: 13 }],
    graph: {
      name: "mlp",
      input: [valueInfo("x", ["batch", 784])],
      output: [valueInfo("p", ["batch", 10])],
      initializer: [
        tensor("h.W", [784, 128], w["h.W"]!),
        tensor("h.b", [128], w["h.b"]!),
        tensor("z.W", [128, 10], w["z.W"]!),
        tensor("z.b", [10], w["z.b"]!),
      ],
      node: [
        { opType: "Gemm", input: ["x", "h.W", "h.b"], output: ["a"], name: "dense1" },
        { opType: "Relu", input: ["a"], output: ["h"], name: "relu" },
        { opType: "Gemm", input: ["h", "z.W", "z.b"], output: ["z"], name: "dense2" },
        {
          opType: "Softmax",
          input: ["z"],
          output: ["p"],
          name: "softmax",
          attribute: [{ name: "axis", type: onnx.AttributeProto.AttributeType.INT, i: 1 }],
        },
      ],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

export const onnxRuntime: Contender = {
  name: "onnxruntime-node",
  inferIsAsync: true,
  async infer(w, batch) {
    const bytes = mlpOnnx(w);
    const dir = new URL("../../build/bench/", import.meta.url);
    mkdirSync(dir, { recursive: true });
    writeFileSync(new URL("mlp.onnx", dir), bytes);
    const session = await ort.InferenceSession.create(bytes, {
      executionProviders: ["cpu"],
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      graphOptimizationLevel: "all",
    });
    return async (x) => {
      const out = await session.run({ x: new ort.Tensor("float32", x, [batch, 784]) });
      return out["p"]!.data;
    };
  },
};
