// Accuracy, and the labels it and the losses read. One function decides how accuracy is measured
// (`accuracyRule`); one checks, as the data is read, that the targets hold what the model reads
// them as (`checkLabels`), so that a wrong label is an error at its line, not a wrong number.
import type { ModelIR } from "../ir/model.ts";
import type { Field, FloatArray, Table } from "./data.ts";
import { dataError } from "./errors.ts";

/** The name under which the evaluated module returns a metric's prediction that is no output. */
export const metricOutput = "accuracy prediction";

export interface AccuracyRule {
  /** the output of the evaluated module that holds the prediction */
  output: string;
  /** how many of the examples from..from+n are right; `p` holds their predictions from 0 */
  right(p: FloatArray, from: number, n: number): number;
}

type Labels = "binary" | "signs";

/** 0/1 labels, -1/+1 labels, or neither (0/1 wins where all are 1). */
function labelsOf(y: FloatArray): Labels | null {
  let binary = true;
  let signs = true;
  for (let i = 0; i < y.length && (binary || signs); i++) {
    const v = y[i]!;
    if (v !== 0 && v !== 1) binary = false;
    if (v !== -1 && v !== 1) signs = false;
  }
  return binary ? "binary" : signs ? "signs" : null;
}

function isOneHot(y: FloatArray, w: number): boolean {
  for (let r = 0; r < y.length / w; r++) {
    let ones = 0;
    for (let j = 0; j < w; j++) {
      const v = y[r * w + j]!;
      if (v !== 0 && v !== 1) return false;
      ones += v;
    }
    if (ones !== 1) return false;
  }
  return true;
}

function argmax(a: FloatArray, base: number, w: number): number {
  let best = 0;
  for (let j = 1; j < w; j++) if (a[base + j]! > a[base + best]!) best = j;
  return best;
}

/** One output per example: above `t` is the positive class (1 or +1), the rest the other. */
function thresholded(output: string, y: FloatArray, t: number, labels: Labels): AccuracyRule {
  const negative = labels === "signs" ? -1 : 0;
  return {
    output,
    right(p, from, n) {
      let right = 0;
      for (let i = 0; i < n; i++) if ((p[i]! > t ? 1 : negative) === y[from + i]) right++;
      return right;
    },
  };
}

/** k outputs per example: the largest names the class, given one-hot or as an index. */
function argmaxRule(output: string, y: FloatArray, k: number, wy: number): AccuracyRule {
  return {
    output,
    right(p, from, n) {
      let right = 0;
      for (let i = 0; i < n; i++) {
        const truth = wy === 1 ? y[from + i]! : argmax(y, (from + i) * wy, wy);
        if (argmax(p, i * k, k) === truth) right++;
      }
      return right;
    },
  };
}

const widthOf = (shape: readonly (number | string)[]) =>
  shape.slice(1).reduce<number>((a, d) => a * (typeof d === "number" ? d : 1), 1);

/**
 * How accuracy is measured on data whose targets are `fields`, or null where it means nothing.
 * With `metric = accuracy(p, y)`: the argmax of p against y's one-hot row or class index; with
 * one output per example, p > threshold (default 0.5 for 0/1 labels, 0 for -1/+1 labels).
 * Without: the first output shaped like the first target, when that target holds classes:
 * one-hot rows (argmax against argmax), 0/1 labels (the output against 0.5), -1/+1 labels (the
 * output's sign: against 0).
 */
export function accuracyRule(model: ModelIR, fields: Field[]): AccuracyRule | null {
  const metric = model.metric;
  if (metric) {
    const y = fields.find((f) => f.name === metric.target);
    if (!y) return null;
    const output =
      model.infer.outputs.find((o) => o.node === metric.prediction)?.name ?? metricOutput;
    const k = widthOf(metric.prediction.shape);
    if (k > 1) return argmaxRule(output, y.data, k, y.width);
    const labels = labelsOf(y.data);
    if (!labels) return null;
    return thresholded(output, y.data, metric.threshold ?? (labels === "signs" ? 0 : 0.5), labels);
  }
  const y = fields.find((f) => f.role === "target");
  const leaf = model.targets[0];
  if (!y || !leaf || y.name !== leaf.name) return null;
  const same = (a: readonly unknown[]) =>
    a.length === leaf.shape.length && a.every((d, i) => d === leaf.shape[i]);
  const output = model.infer.outputs.find((o) => same(o.node.shape))?.name;
  if (output === undefined) return null;
  if (y.width > 1)
    return isOneHot(y.data, y.width) ? argmaxRule(output, y.data, y.width, y.width) : null;
  const declared = model.labels?.some((l) => l.target === y.name && l.values.includes(-1));
  const labels = declared ? "signs" : labelsOf(y.data);
  if (!labels) return null;
  return thresholded(output, y.data, labels === "signs" ? 0 : 0.5, labels);
}

/**
 * Checks, row by row, the targets the model reads as labels: those of a hinge loss must be -1 or
 * +1, and the metric's must be classes (one-hot rows, class indices below the number of outputs,
 * or one kind of two-class labels). `columns` gives each field's first column (0-based).
 */
export function checkLabels(
  model: ModelIR,
  fields: Field[],
  table: Table,
  columns: Map<string, number>,
): void {
  const at = (field: Field, row: number, message: string) => {
    const col = columns.get(field.name) ?? 0;
    return dataError(
      "NN6050",
      { file: table.file, line: table.lines[row] ?? 1, col: 1 },
      `column ${col + 1} (${table.header[col] ?? field.name}) ${message}`,
    );
  };
  for (const rule of model.labels ?? []) {
    const y = fields.find((f) => f.name === rule.target);
    if (!y) continue;
    const bad = y.data.findIndex((v) => !rule.values.includes(v));
    if (bad >= 0)
      throw at(
        y,
        Math.floor(bad / y.width),
        `is ${y.data[bad]}, but \`${rule.target}\` is read by \`${rule.by}\` (line ${rule.origin.line}) as labels ${rule.values.map((v) => (v > 0 ? `+${v}` : `${v}`)).join(" or ")}; ` +
          "write the two classes as -1 and +1 (0/1 labels y become 2 * y - 1)",
      );
  }
  const metric = model.metric;
  const y = metric && fields.find((f) => f.name === metric.target);
  if (!metric || !y) return;
  const problem = metricProblem(y, widthOf(metric.prediction.shape));
  if (problem)
    throw at(
      y,
      problem.row,
      `${problem.message} (\`metric = accuracy(...)\`, line ${metric.origin.line})`,
    );
}

/** The first row whose target is not a class the metric can compare with, and why. */
function metricProblem(y: Field, k: number): { row: number; message: string } | null {
  const w = y.width;
  for (let r = 0; r < y.data.length / w; r++) {
    const row = y.data.subarray(r * w, (r + 1) * w);
    if (w > 1 && !isOneHot(row, w))
      return {
        row: r,
        message: `holds a row of \`${y.name}\` that is not one-hot (one 1, the rest 0)`,
      };
    const v = row[0]!;
    if (w === 1 && k > 1 && !(Number.isInteger(v) && v >= 0 && v < k))
      return { row: r, message: `is ${v}, not a class index from 0 to ${k - 1}` };
  }
  if (w > 1 || k > 1) return null;
  const first = (ok: (v: number) => boolean) => y.data.findIndex((v) => !ok(v));
  const outside = first((v) => v === 0 || v === 1 || v === -1);
  if (outside >= 0)
    return { row: outside, message: `is ${y.data[outside]}; accuracy needs labels 0/1 or -1/+1` };
  const mixed = y.data.includes(0) ? first((v) => v !== -1) : -1;
  if (mixed >= 0)
    return {
      row: mixed,
      message: "is -1 where other rows are 0: use 0/1 labels or -1/+1 labels, not both",
    };
  return null;
}
