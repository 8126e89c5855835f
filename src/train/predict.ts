// Predictions: a model's outputs (`forward`, in inference mode) for every row of a data set, in
// batches, as CSV text: a header naming the columns, then one row per example. This module works
// on data in memory (it runs in a browser too); `nnc predict` reads and writes the files.
import { NnError } from "../diagnostics.ts";
import type { ModelIR } from "../ir/model.ts";
import type { GeneratedModel } from "../codegen/index.ts";
import type { Dataset, Table } from "./data.ts";
import { slice } from "./evaluate.ts";

/** An output of the model and the numbers it gives per example (the product of its sizes). */
export interface OutputColumns {
  name: string;
  width: number;
}

/** What `predict` found: every output's numbers, row-major per output, and how many examples. */
export interface Predictions {
  columns: OutputColumns[];
  n: number;
  values: Float64Array[];
}

/**
 * The model's outputs and their widths; NN6005 at the model where an output is not one row per
 * example (`[batch, ...]` with fixed sizes after the batch dimension), or there is none.
 */
export function outputColumns(model: ModelIR): OutputColumns[] {
  const at = model.at ?? { file: model.file, line: 1, col: 1 };
  const fail = (message: string) => new NnError([{ ...at, code: "NN6005", message }], model.source);
  const outputs = model.infer.outputs;
  if (outputs.length === 0)
    throw fail(`the model \`${model.name}\` has no \`output\`: there is nothing to predict`);
  const batch = model.inputs[0]?.shape[0];
  return outputs.map((o) => {
    const [first, ...rest] = o.node.shape;
    if (typeof batch !== "string" || first !== batch || !rest.every((d) => typeof d === "number"))
      throw fail(
        `the output \`${o.name}: [${o.node.shape.join(", ")}]\` is not one row per example: ` +
          `predictions are outputs of shape [${typeof batch === "string" ? batch : "batch"}, ...] ` +
          "with fixed sizes after the batch dimension, as the inputs are",
      );
    return { name: o.name, width: (rest as number[]).reduce((a, b) => a * b, 1) };
  });
}

/** The CSV header: an output's name where it gives one number per example, else `p_0, p_1, ...`. */
export function predictionHeader(columns: readonly OutputColumns[]): string[] {
  return columns.flatMap((c) =>
    c.width === 1 ? [c.name] : Array.from({ length: c.width }, (_, i) => `${c.name}_${i}`),
  );
}

/** `m.forward` on the examples of `data`, `batch` at a time. */
export function predict(
  m: Pick<GeneratedModel, "forward">,
  data: Dataset,
  columns: OutputColumns[],
  batch: number,
): Predictions {
  const values = columns.map((c) => new Float64Array(data.n * c.width));
  for (let from = 0; from < data.n; from += batch) {
    const n = Math.min(batch, data.n - from);
    const outputs = m.forward(slice(data, from, n));
    columns.forEach((c, k) => {
      const v = outputs[c.name];
      if (typeof v !== "object" || v.length !== n * c.width)
        throw new Error(`forward gave \`${c.name}\` ${String(v)}, not ${n * c.width} numbers`);
      values[k]!.set(v, from * c.width);
    });
  }
  return { columns, n: data.n, values };
}

/**
 * The shortest decimal that reads back as `v`: in float32 for an f32 model, so that `0.1f` is
 * written `0.1`, not `0.10000000149011612`; NaN and infinities as JavaScript writes them.
 */
export function formatNumber(v: number, dtype: "f32" | "f64"): string {
  if (dtype === "f64" || !Number.isFinite(v)) return String(v);
  for (let digits = 1; digits < 9; digits++) {
    const shorter = Number(v.toPrecision(digits));
    if (Math.fround(shorter) === v) return String(shorter);
  }
  return String(v);
}

/** The predictions as CSV text, and the first number that is not finite (row and column, 0-based). */
export function predictionsCsv(
  p: Predictions,
  dtype: "f32" | "f64",
): { text: string; nonFinite: number; first?: { row: number; column: string } } {
  const header = predictionHeader(p.columns);
  const lines = [header.join(",")];
  let nonFinite = 0;
  let first: { row: number; column: string } | undefined;
  for (let r = 0; r < p.n; r++) {
    const cells: string[] = [];
    p.columns.forEach((c, k) => {
      for (let j = 0; j < c.width; j++) {
        const v = p.values[k]![r * c.width + j]!;
        if (!Number.isFinite(v) && nonFinite++ === 0)
          first = { row: r, column: header[cells.length]! };
        cells.push(formatNumber(v, dtype));
      }
    });
    lines.push(cells.join(","));
  }
  return { text: lines.join("\n") + "\n", nonFinite, ...(first ? { first } : {}) };
}

/** The pixels of a table of MNIST digits (784 columns, then the label): the inputs alone. */
export function withoutLastColumn(table: Table): Table {
  const columns = table.columns - 1;
  const values = new (table.values instanceof Float32Array ? Float32Array : Float64Array)(
    table.rows * columns,
  );
  for (let r = 0; r < table.rows; r++)
    values.set(table.values.subarray(r * table.columns, r * table.columns + columns), r * columns);
  return { ...table, header: table.header.slice(0, columns), columns, values };
}
