// Weight files in the safetensors format, as the Python library writes and reads them: an 8-byte
// little-endian header length N, then N bytes of JSON (`{"name": {"dtype": "F32", "shape": [784,
// 128], "data_offsets": [begin, end]}, "__metadata__": {...}}`, padded with spaces to a multiple
// of 8), then the tensors' raw little-endian bytes, back to back, offsets relative to the data.
// nnc stores a model's params and its state (batchnorm running statistics) in one file. This module
// works on bytes (it runs in a browser too); src/train/files.ts reads and writes the files.
import type { ModelIR } from "../ir/model.ts";
import type { FloatArray } from "./data.ts";
import { dataError } from "./errors.ts";
import { record } from "../ir/keys.ts";

/** A named tensor of a weights file. */
export interface Tensor {
  name: string;
  shape: number[];
  data: FloatArray;
}

const dtypes = { F32: 4, F64: 8 } as const;
type Dtype = keyof typeof dtypes;
/** the Python library refuses headers larger than this */
const maxHeader = 100_000_000;

/** The format's own key in the header; no tensor may have this name. */
export const METADATA = "__metadata__";

/** The bytes of a safetensors file holding `tensors` (F32 or F64, as their arrays are). */
export function encodeSafetensors(
  tensors: Tensor[],
  metadata: Record<string, string> = {},
): Uint8Array {
  // tensor names are the user's: a header without a prototype keeps `__proto__` as a name
  const header = record<unknown>();
  if (Object.keys(metadata).length > 0) header[METADATA] = record(Object.entries(metadata));
  let offset = 0;
  for (const t of tensors) {
    if (t.name === METADATA || Object.hasOwn(header, t.name))
      throw new Error(
        `cannot write a tensor named ${JSON.stringify(t.name)} twice or as ${METADATA}`,
      );
    const dtype: Dtype = t.data instanceof Float32Array ? "F32" : "F64";
    const end = offset + t.data.length * dtypes[dtype];
    header[t.name] = { dtype, shape: t.shape, data_offsets: [offset, end] };
    offset = end;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerBytes = new Uint8Array(json.length + ((8 - (json.length % 8)) % 8)).fill(0x20);
  headerBytes.set(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const t of tensors) {
    const f32 = t.data instanceof Float32Array;
    for (let i = 0; i < t.data.length; i++, at += f32 ? 4 : 8)
      if (f32) view.setFloat32(at, t.data[i]!, true);
      else view.setFloat64(at, t.data[i]!, true);
  }
  return out;
}

/** Reads every tensor of a safetensors file; any defect is an error naming the file. */
export function decodeSafetensors(bytes: Uint8Array, file: string): Map<string, Tensor> {
  const fail = (message: string) => dataError("NN6101", { file, line: 1, col: 1 }, message);
  if (bytes.length < 8) throw fail(`${bytes.length} bytes is too short for a safetensors file`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  if (n > maxHeader || 8 + n > bytes.length)
    throw fail(
      `the header length ${n} does not fit in the file's ${bytes.length} bytes: not a safetensors file`,
    );
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    throw fail(`the header is not JSON (${(e as Error).message}): not a safetensors file`);
  }
  if (header === null || typeof header !== "object" || Array.isArray(header))
    throw fail("the header is not a JSON object");
  const dataStart = 8 + n;
  const dataLength = bytes.length - dataStart;
  const out = new Map<string, Tensor>();
  const spans: [number, number][] = [];
  for (const [name, info] of Object.entries(header as Record<string, unknown>)) {
    if (name === METADATA) continue;
    if (info === null || typeof info !== "object")
      throw fail(`tensor \`${name}\` is not described`);
    const get = (key: string) =>
      Object.hasOwn(info, key) ? (info as Record<string, unknown>)[key] : undefined;
    const [dtype, shape, offsets] = [get("dtype"), get("shape"), get("data_offsets")];
    if (typeof dtype !== "string" || !Object.hasOwn(dtypes, dtype))
      throw fail(`tensor \`${name}\` has dtype ${JSON.stringify(dtype)}; nnc reads F32 and F64`);
    const okShape = Array.isArray(shape) && shape.every((d) => Number.isInteger(d) && d >= 0);
    const okOffsets =
      Array.isArray(offsets) && offsets.length === 2 && offsets.every((d) => Number.isInteger(d));
    if (!okShape || !okOffsets) throw fail(`tensor \`${name}\` needs a shape and two data_offsets`);
    const [begin, end] = offsets as [number, number];
    const size = (shape as number[]).reduce((a, b) => a * b, 1);
    const width = dtypes[dtype as Dtype];
    if (begin < 0 || end > dataLength || end - begin !== size * width)
      throw fail(
        `tensor \`${name}\` (${dtype} [${(shape as number[]).join(", ")}]) has data_offsets ` +
          `[${begin}, ${end}], which do not hold its ${size * width} bytes in the ${dataLength} bytes of data`,
      );
    spans.push([begin, end]);
    const data = dtype === "F32" ? new Float32Array(size) : new Float64Array(size);
    for (let i = 0; i < size; i++) {
      const at = dataStart + begin + i * width;
      data[i] = dtype === "F32" ? view.getFloat32(at, true) : view.getFloat64(at, true);
    }
    out.set(name, { name, shape: shape as number[], data });
  }
  // as the Python library checks: the tensors tile the data, without gaps or overlaps
  spans.sort((a, b) => a[0] - b[0]);
  let next = 0;
  for (const [b, e] of spans) {
    if (b !== next) throw fail("the tensors' data_offsets leave a gap or overlap");
    next = e;
  }
  if (next !== dataLength) throw fail(`${dataLength - next} bytes after the last tensor`);
  return out;
}

/**
 * The string entries of the `__metadata__` of a safetensors file that decodeSafetensors has read
 * (empty where it has none).
 */
export function decodeMetadata(bytes: Uint8Array): Record<string, string> {
  const out = record<string>();
  if (bytes.length < 8) return out;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  let meta: unknown;
  try {
    const header: unknown = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
    if (header !== null && typeof header === "object" && Object.hasOwn(header, METADATA))
      meta = (header as Record<string, unknown>)[METADATA];
  } catch {
    return out;
  }
  if (meta === null || typeof meta !== "object") return out;
  for (const [k, v] of Object.entries(meta)) if (typeof v === "string") out[k] = v;
  return out;
}

interface Weighted {
  params: Record<string, FloatArray>;
  state: Record<string, FloatArray>;
}

/** The params and state of `model`, in declaration order, with their shapes. */
function tensorsOf(ir: ModelIR, m: Weighted): Tensor[] {
  return [
    ...ir.params.map((p) => ({
      name: p.name,
      shape: p.shape as number[],
      data: m.params[p.name]!,
    })),
    ...ir.state.map((s) => ({ name: s.name, shape: s.shape as number[], data: m.state[s.name]! })),
  ];
}

/**
 * A model's params and state as the bytes of a safetensors file; `metadata` joins nnc's own
 * (`format`, `model`) in its `__metadata__` (the vocabulary of a model of characters).
 */
export function weightsToBytes(
  ir: ModelIR,
  m: Weighted,
  metadata: Record<string, string> = {},
): Uint8Array {
  return encodeSafetensors(tensorsOf(ir, m), { ...metadata, format: "nnc", model: ir.name });
}

/**
 * Reads the bytes of a weights file (`file` names it in errors) and checks that its names and
 * shapes are the model's params and state, and that every value is finite and (for an f32 model,
 * `dtype` "f32") within float32's range.
 */
export function weightsFromBytes(
  bytes: Uint8Array,
  file: string,
  ir: ModelIR,
  dtype: "f32" | "f64" = "f64",
): Map<string, FloatArray> {
  const tensors = decodeSafetensors(bytes, file);
  const wanted = [...ir.params, ...ir.state];
  const problems: string[] = [];
  const missing = wanted.filter((l) => !tensors.has(l.name)).map((l) => `\`${l.name}\``);
  if (missing.length > 0) problems.push(`the file has no ${missing.join(", ")}`);
  const known = new Set(wanted.map((l) => l.name));
  const extra = [...tensors.keys()].filter((k) => !known.has(k)).map((k) => `\`${k}\``);
  if (extra.length > 0) problems.push(`the model has no ${extra.join(", ")}`);
  for (const l of wanted) {
    const t = tensors.get(l.name);
    if (t && t.shape.join(",") !== l.shape.join(","))
      problems.push(
        `\`${l.name}\` is [${t.shape.join(", ")}] in the file, [${l.shape.join(", ")}] in the model`,
      );
  }
  if (problems.length > 0)
    throw dataError(
      "NN6102",
      { file, line: 1, col: 1 },
      `these weights do not fit the model \`${ir.name}\` (${ir.file}): ${problems.join("; ")}`,
    );
  for (const l of wanted) checkValues(file, tensors.get(l.name)!, dtype);
  return new Map(wanted.map((l) => [l.name, tensors.get(l.name)!.data]));
}

/** The largest finite float32. */
export const F32_MAX = 3.4028234663852886e38;

/** Every value finite, and within float32's range for an f32 model (NN6103, NN6104). */
function checkValues(file: string, t: Tensor, dtype: "f32" | "f64"): void {
  const limit = dtype === "f32" ? F32_MAX : Infinity;
  let first = -1;
  let count = 0;
  for (let i = 0; i < t.data.length; i++) {
    const v = t.data[i]!;
    if (Number.isFinite(v) && Math.abs(v) <= limit) continue;
    if (first < 0) first = i;
    count++;
  }
  if (first < 0) return;
  const v = t.data[first]!;
  const where = `element ${first} of ${t.data.length}${count > 1 ? `, and ${count - 1} more` : ""}`;
  throw Number.isFinite(v)
    ? dataError(
        "NN6104",
        { file, line: 1, col: 1 },
        `\`${t.name}\` holds ${v} (${where}), beyond float32's range (±${F32_MAX.toPrecision(3)}) ` +
          "of this f32 model; compile with --dtype f64 or fix the weights",
      )
    : dataError(
        "NN6103",
        { file, line: 1, col: 1 },
        `\`${t.name}\` holds ${v} (${where}); weights must be finite numbers`,
      );
}
