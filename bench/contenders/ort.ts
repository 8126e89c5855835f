// ONNX Runtime (onnxruntime-node, CPU execution provider) for inference, one intra-op thread like
// every other contender: the MLP as an ONNX graph (Gemm, Relu, Gemm, Softmax) built here from the
// same weights, and LeNet as `nnc export --format onnx` writes it, with the shared weights.
import { mkdirSync, writeFileSync } from "node:fs";
import onnxProto, { type onnx as Onnx } from "onnx-proto";
import * as ort from "onnxruntime-node";
import type { Weights } from "../common.ts";
import { compile, NnError } from "../../src/index.ts";
import { exportOnnx } from "../../src/export/onnx.ts";
import { LENET_FILE, lenetSource } from "../lenet.ts";
import { Skip, type Contender } from "./contender.ts";

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

/** LeNet through nnc's ONNX export, or a Skip saying why the export cannot write it yet. */
export function lenetOnnx(w: Weights): Uint8Array {
  const compiled = compile(lenetSource(), { file: LENET_FILE, dtype: "f32" });
  try {
    return exportOnnx(compiled.model, compiled.grads, { weights: new Map(Object.entries(w)) });
  } catch (e) {
    if (!(e instanceof NnError)) throw e;
    const ops = [...new Set(e.diagnostics.map((d) => d.message))].join("; ");
    throw new Skip(`skipped: \`nnc export --format onnx\` cannot write lenet yet (${ops})`);
  }
}

async function session(bytes: Uint8Array, file: string, batch: number) {
  const dir = new URL("../../build/bench/", import.meta.url);
  mkdirSync(dir, { recursive: true });
  writeFileSync(new URL(file, dir), bytes);
  const s = await ort.InferenceSession.create(bytes, {
    executionProviders: ["cpu"],
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    graphOptimizationLevel: "all",
  });
  return async (x: Float32Array) => {
    const out = await s.run({ x: new ort.Tensor("float32", x, [batch, 784]) });
    return out["p"]!.data;
  };
}

export const onnxRuntime: Contender = {
  name: "onnxruntime-node",
  inferIsAsync: true,
  infer: async (w, batch) => session(mlpOnnx(w), "mlp.onnx", batch),
  lenetInfer: async (w, batch) => session(lenetOnnx(w), "lenet.onnx", batch),
};
