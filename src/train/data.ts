// Data for training: a table of numbers (from a CSV file or the MNIST digits), fitted to a model's
// inputs and targets. Columns fill the inputs and then the targets in declaration order, each by
// its width (the product of its sizes after the batch dimension); a one-hot target may instead be
// given as one column holding the class index.
import type { Leaf, ModelIR } from "../ir/model.ts";
import { cellError, dataError } from "./errors.ts";
import { allows, checkMetricTargets, targetRule } from "./labels.ts";

export type FloatArray = Float32Array | Float64Array;

/** Rows of numbers, row-major; `lines[r]` is the source line of row r (for error messages). */
export interface Table {
  file: string;
  header: string[];
  columns: number;
  rows: number;
  values: FloatArray;
  lines: Int32Array;
  /** where cell (row r, column j) is in the file, and its line, for error messages */
  cell?(r: number, j: number): { line: number; col: number; text: string };
}

/** One input or target of the model, filled for every example. */
export interface Field {
  name: string;
  role: "input" | "target";
  width: number;
  shape: readonly (number | string)[];
  data: FloatArray;
}

export interface Dataset {
  /** where it came from, for messages: `mnist (train)`, `data/xor.csv` */
  source: string;
  n: number;
  fields: Field[];
}

export interface Slot {
  leaf: Leaf;
  role: "input" | "target";
  width: number;
}

/** The inputs and targets of `model`, with their widths; an error if one has no batch dim. */
export function slots(model: ModelIR, file: string): Slot[] {
  const leaves = [
    ...model.inputs.map((leaf) => ({ leaf, role: "input" as const })),
    ...model.targets.map((leaf) => ({ leaf, role: "target" as const })),
  ];
  const batchDim = leaves[0]?.leaf.shape[0];
  return leaves.map(({ leaf, role }) => {
    const [first, ...rest] = leaf.shape;
    const ok =
      typeof first === "string" && first === batchDim && rest.every((d) => typeof d === "number");
    if (!ok)
      throw dataError(
        "NN6005",
        { file, line: 1, col: 1 },
        `\`${leaf.name}: [${leaf.shape.join(", ")}]\` cannot be filled from rows of data: ` +
          `training needs every input and target to be [${typeof batchDim === "string" ? batchDim : "batch"}, ...] ` +
          `with fixed sizes after the batch dimension`,
      );
    return { leaf, role, width: (rest as number[]).reduce((a, b) => a * b, 1) };
  });
}

/** What the model takes, for messages: `x (784 columns), then y (10, or 1 class column)`. */
export function describeColumns(ss: Slot[]): string {
  return ss
    .map((s) =>
      s.role === "target" && s.width > 1
        ? `${s.leaf.name} (${s.width} columns, or 1 class column)`
        : `${s.leaf.name} (${s.width} column${s.width === 1 ? "" : "s"})`,
    )
    .join(", then ");
}

/** The widths of a table that fits: every slot's columns, or one class column for a one-hot target. */
export function widths(ss: Slot[]): { full: number; compact: number } {
  const full = ss.reduce((a, s) => a + s.width, 0);
  const compact = ss.reduce((a, s) => a + (s.role === "target" && s.width > 1 ? 1 : s.width), 0);
  return { full, compact };
}

/** NN6003's message where the data has `columns` columns and the model takes others. */
export function columnsMessage(model: ModelIR, ss: Slot[], columns: string): string {
  const { full, compact } = widths(ss);
  return (
    `the model \`${model.name}\` takes ${full === compact ? full : `${full} (or ${compact})`} ` +
    `columns: ${describeColumns(ss)}; the data has ${columns}`
  );
}

/** Fits `table` to the model's inputs and targets (`compiled.model`): a Dataset for a Trainer. */
export function fit(table: Table, model: ModelIR, source = table.file): Dataset {
  const ss = slots(model, table.file);
  const { full, compact } = widths(ss);
  const asClass = table.columns !== full && table.columns === compact;
  if (table.columns !== full && !asClass)
    throw dataError(
      "NN6003",
      { file: table.file, line: 1, col: 1 },
      columnsMessage(model, ss, String(table.columns)),
    );
  const Array_ = table.values instanceof Float32Array ? Float32Array : Float64Array;
  const fields: Field[] = [];
  const firstColumn = new Map<string, number>();
  let col = 0;
  for (const s of ss) {
    firstColumn.set(s.leaf.name, col);
    const data = new Array_(table.rows * s.width);
    const asIndex = asClass && s.role === "target" && s.width > 1;
    const rule = s.role === "target" ? targetRule(model, s.leaf.name, asIndex ? s.width : 0) : null;
    for (let r = 0; r < table.rows; r++)
      for (let j = 0; j < (asIndex ? 1 : s.width); j++) {
        const v = table.values[r * table.columns + col + j]!;
        if (rule && !allows(rule, v))
          throw cellError(table, r, col + j, rule.code, rule.why(String(v)));
        if (asIndex) data[r * s.width + v] = 1;
        else data[r * s.width + j] = v;
      }
    col += asIndex ? 1 : s.width;
    fields.push({ name: s.leaf.name, role: s.role, width: s.width, shape: s.leaf.shape, data });
  }
  checkMetricTargets(model, fields, table, firstColumn);
  return { source, n: table.rows, fields };
}

/**
 * Fits `table` to the model's inputs alone, for predictions: its columns are the inputs', or the
 * inputs' and then the targets' as `fit` reads them (the targets' are left unread).
 */
export function fitInputs(table: Table, model: ModelIR, source = table.file): Dataset {
  const ss = slots(model, table.file);
  const inputs = ss.filter((s) => s.role === "input");
  const own = widths(inputs).full;
  const { full, compact } = widths(ss);
  if (table.columns !== own && table.columns !== full && table.columns !== compact) {
    const all = full === compact ? `${full}` : `${full} (or ${compact})`;
    const more = own === full ? "" : `, or ${all} with the targets' after them (left unread)`;
    throw dataError(
      "NN6003",
      { file: table.file, line: 1, col: 1 },
      `the model \`${model.name}\` takes ${own} input column${own === 1 ? "" : "s"}: ` +
        `${describeColumns(inputs)}${more}; the data has ${table.columns}`,
    );
  }
  const Array_ = table.values instanceof Float32Array ? Float32Array : Float64Array;
  let col = 0;
  const fields = inputs.map((s): Field => {
    const data = new Array_(table.rows * s.width);
    for (let r = 0; r < table.rows; r++)
      data.set(
        table.values.subarray(r * table.columns + col, r * table.columns + col + s.width),
        r * s.width,
      );
    col += s.width;
    return { name: s.leaf.name, role: s.role, width: s.width, shape: s.leaf.shape, data };
  });
  return { source, n: table.rows, fields };
}

/** The examples `order[from..to)` of `data`, as a new dataset. */
export function subset(
  data: Dataset,
  order: ArrayLike<number>,
  from: number,
  to: number,
  source: string,
): Dataset {
  const n = Math.max(0, to - from);
  const fields = data.fields.map((f) => {
    const out = new (f.data instanceof Float32Array ? Float32Array : Float64Array)(n * f.width);
    for (let i = 0; i < n; i++) {
      const r = order[from + i]!;
      out.set(f.data.subarray(r * f.width, (r + 1) * f.width), i * f.width);
    }
    return { ...f, data: out };
  });
  return { source, n, fields };
}
