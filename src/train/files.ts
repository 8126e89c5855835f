// The trainer's file system side (node only): reading CSV files and reading and writing weight
// files. The parsing and encoding stay in csv.ts and safetensors.ts, which work on text and bytes.
import { readFileSync, writeFileSync } from "node:fs";
import type { ModelIR } from "../ir/model.ts";
import { parseCsv } from "./csv.ts";
import type { FloatArray, Table } from "./data.ts";
import { dataError } from "./errors.ts";
import { weightsFromBytes, weightsToBytes } from "./safetensors.ts";

type Weighted = Parameters<typeof weightsToBytes>[1];

/** Why a file could not be read, as the user should read it; `kind` is what it should be. */
function readFailure(e: unknown, kind: string): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return "no such file";
  if (code === "EISDIR") return `is a directory, not ${kind}`;
  return `cannot read the file (${(e as Error).message})`;
}

export function readCsv(file: string): Table {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw dataError("NN6001", { file, line: 1, col: 1 }, readFailure(e, "a CSV file"));
  }
  return parseCsv(text, file);
}

/** Writes a model's params and state to a safetensors file. */
export function saveWeights(file: string, ir: ModelIR, m: Weighted): void {
  const bytes = weightsToBytes(ir, m);
  try {
    writeFileSync(file, bytes);
  } catch (e) {
    throw dataError(
      "NN6101",
      { file, line: 1, col: 1 },
      `cannot write the weights (${(e as Error).message})`,
    );
  }
}

/** Reads a weights file and checks that its names and shapes are the model's params and state. */
export function loadWeights(file: string, ir: ModelIR): Map<string, FloatArray> {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw dataError("NN6101", { file, line: 1, col: 1 }, readFailure(e, "a weights file"));
  }
  return weightsFromBytes(bytes, file, ir);
}
