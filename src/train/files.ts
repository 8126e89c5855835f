// The trainer's file system side (node only): reading CSV files and reading and writing weight
// files. The parsing and encoding stay in csv.ts and safetensors.ts, which work on text and bytes.
// Files are read through file-access.ts (only regular files within a size limit) and written through
// outputs.ts (whole or not at all, never over a device or a link).
import type { ModelIR } from "../ir/model.ts";
import { csvMessages, parseCsv, type CsvOptions } from "./csv.ts";
import type { FloatArray, Table } from "./data.ts";
import { dataError } from "./errors.ts";
import { readRegularFile } from "./file-access.ts";
import { writeOutputs } from "./outputs.ts";
import { decodeMetadata, weightsFromBytes, weightsToBytes } from "./safetensors.ts";
import { vocabFromMetadata, type Vocab } from "./text.ts";

type Weighted = Parameters<typeof weightsToBytes>[1];

export function readCsv(file: string, options: CsvOptions = {}): Table {
  const bytes = readRegularFile(file, "csv", (code, message) =>
    dataError(
      "NN6001",
      { file, line: 1, col: 1 },
      code === "ENOENT" ? csvMessages.noSuchFile : csvMessages.unreadable(message),
    ),
  );
  return parseCsv(bytes.toString("utf8"), file, options);
}

/**
 * Writes a model's params and state to a safetensors file, whole or not at all, by outputs.ts's
 * rules (NN5002 for a device or a folder, NN5005 for a file that cannot be made).
 */
export function saveWeights(file: string, ir: ModelIR, m: Weighted): void {
  writeOutputs([{ path: file, what: "the weights", data: weightsToBytes(ir, m) }]);
}

/**
 * Reads a weights file and checks that its names and shapes are the model's params and state, and
 * that every value is finite and (for an f32 model, `dtype` "f32") within float32's range.
 */
export function loadWeights(
  file: string,
  ir: ModelIR,
  dtype: "f32" | "f64" = "f64",
): Map<string, FloatArray> {
  return weightsFromBytes(readWeightsFile(file), file, ir, dtype);
}

/**
 * loadWeights, and the vocabulary kept in the file's metadata (null where it has none: weights of
 * nnc init, or of a model trained on numbers).
 */
export function loadWeightsAndVocab(
  file: string,
  ir: ModelIR,
  dtype: "f32" | "f64" = "f64",
): { weights: Map<string, FloatArray>; vocab: Vocab | null } {
  const bytes = readWeightsFile(file);
  const weights = weightsFromBytes(bytes, file, ir, dtype);
  return { weights, vocab: vocabFromMetadata(decodeMetadata(bytes)) };
}

function readWeightsFile(file: string): Buffer {
  return readRegularFile(file, "weights", (code, message) =>
    dataError(
      "NN6101",
      { file, line: 1, col: 1 },
      code === "ENOENT" ? "no such file" : `cannot read the weights (${message})`,
    ),
  );
}
