// The ONNX protobuf messages, through onnx-proto (the ONNX .proto compiled by protobufjs): typed
// helpers for the few message shapes the exporter writes, and the final encoding.
import onnxProto, { type onnx as Onnx } from "onnx-proto";
import { onnxDoc } from "../codegen/text.ts";

// onnx-proto is a CommonJS module: its namespace arrives as the default export
const { onnx } = onnxProto;

export type NodeProto = Onnx.INodeProto;
export type TensorProto = Onnx.ITensorProto;
export type ValueInfoProto = Onnx.IValueInfoProto;
export type AttributeProto = Onnx.IAttributeProto;
export type GraphProto = Onnx.IGraphProto;

export type ElemType = "f32" | "f64";
export type Dims = readonly (number | string)[];

/** The opset every exported graph imports (Softmax along one axis, Where, Shape with start/end). */
export const OPSET = 17;
/** IR version 8 is the one that goes with opset 17. */
const IR_VERSION = 8;

export const DataType = onnx.TensorProto.DataType;
const AttributeType = onnx.AttributeProto.AttributeType;

export function elemTypeOf(t: ElemType): number {
  return t === "f32" ? DataType.FLOAT : DataType.DOUBLE;
}

/** A float tensor (f32 or f64) as raw little-endian bytes. */
export function floatTensor(
  name: string,
  dims: readonly number[],
  values: ArrayLike<number>,
  type: ElemType,
): TensorProto {
  // the values as they are where they already have the type (a param's array may be 1 GiB)
  const Type = type === "f32" ? Float32Array : Float64Array;
  const data = values instanceof Type ? values : Type.from(values);
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return { name, dims: [...dims], dataType: elemTypeOf(type), rawData: bytes };
}

export function int64Tensor(name: string, dims: readonly number[], values: number[]): TensorProto {
  return { name, dims: [...dims], dataType: DataType.INT64, int64Data: values };
}

export function boolTensor(
  name: string,
  value: boolean | readonly boolean[],
  dims: readonly number[] = [],
): TensorProto {
  const values = typeof value === "boolean" ? [value] : value;
  return { name, dims: [...dims], dataType: DataType.BOOL, int32Data: values.map((v) => +v) };
}

/** A graph input's or output's type: the graph's float type, or int64 (indices, classes). */
export type ValueType = ElemType | "i64";

export function valueInfo(name: string, dims: Dims, type: ValueType): ValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: type === "i64" ? DataType.INT64 : elemTypeOf(type),
        shape: {
          dim: dims.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })),
        },
      },
    },
  };
}

export type AttrValue =
  number | number[] | { int: number } | { ints: number[] } | { str: string } | TensorProto;

/** An attribute: a number is a float, `{int}`/`{ints}` are integers, `{str}` a string, an object a tensor. */
export function attribute(name: string, v: AttrValue): AttributeProto {
  if (typeof v === "number") return { name, type: AttributeType.FLOAT, f: v };
  if (Array.isArray(v)) return { name, type: AttributeType.FLOATS, floats: v };
  if ("int" in v) return { name, type: AttributeType.INT, i: v.int };
  if ("ints" in v) return { name, type: AttributeType.INTS, ints: v.ints };
  if ("str" in v) return { name, type: AttributeType.STRING, s: new TextEncoder().encode(v.str) };
  return { name, type: AttributeType.TENSOR, t: v };
}

/** The model: the graph, a description, and metadata as key-value strings. */
export function encodeModel(
  graph: GraphProto,
  docString: string,
  metadata: Readonly<Record<string, string>> = {},
): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: IR_VERSION,
    producerName: "nnc",
    producerVersion: "0.1.0",
    docString: onnxDoc(docString),
    opsetImport: [{ domain: "", version: OPSET }],
    graph,
    metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
  });
  return onnx.ModelProto.encode(model).finish();
}

/** Reads an encoded model back (for tests and tools that inspect what was written). */
export function decodeModel(bytes: Uint8Array): Onnx.ModelProto {
  return onnx.ModelProto.decode(bytes);
}

export function encodeDecoded(model: Onnx.ModelProto): Uint8Array {
  return onnx.ModelProto.encode(model).finish();
}
