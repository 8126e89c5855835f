// Accuracy, and the labels it and the losses read. One function decides how accuracy is measured
// (`accuracyRule`); one decides what each cell of a target may hold (`targetRule`: a class index,
// or the labels a loss reads), and one checks the metric's targets as a whole
// (`checkMetricTargets`), so that a wrong label is an error at its line and column, not a wrong
// number.
import type { ModelIR } from "../ir/model.ts";
import type { Field, FloatArray, Table } from "./data.ts";
import { cellError } from "./errors.ts";

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
 * The values a cell of a target may hold, and why one is refused: data, so that train_ddp.py checks
 * its data by the same rules (src/export/ddp-data.ts writes them in Python).
 */
export interface TargetRule {
  /** NN6007 for a class index out of range, NN6050 for a label a loss cannot read */
  code: "NN6007" | "NN6050";
  /** the integers from 0 to `classes` - 1, or the labels `values` */
  allowed: { classes: number } | { values: readonly number[] };
  /** the message's rest after `column 3 (y) `, of the value refused as String(v) writes it */
  why(v: string): string;
}

/** Whether a cell may hold `v` under `rule`. */
export function allows(rule: TargetRule, v: number): boolean {
  const a = rule.allowed;
  return "classes" in a ? Number.isInteger(v) && v >= 0 && v < a.classes : a.values.includes(v);
}

/** How to turn the other convention of two classes into these labels. */
const conversions: Record<string, string> = {
  "-1,1": "0/1 labels y become 2 * y - 1",
  "0,1": "-1/+1 labels y become (y + 1) / 2",
};

/** Labels as they are spoken of: -1 and +1, but 0 and 1. */
const spoken = (values: readonly number[]) =>
  values.map((v) => (v > 0 && values.some((u) => u < 0) ? `+${v}` : `${v}`));

/**
 * What each cell of the target `name` may hold, or null where any number will do: a one-hot
 * target given as one column of class indices (`classes` > 0) holds integers from 0 to
 * classes - 1; a target that a loss reads as labels (`bce`: 0 or 1, `hinge`: -1 or +1, recorded
 * when the model is lowered) holds one of them. The one place that decides what a target may hold.
 */
export function targetRule(model: ModelIR, name: string, classes = 0): TargetRule | null {
  if (classes > 0)
    return {
      code: "NN6007",
      allowed: { classes },
      why: (k) => `holds the class of \`${name}\`, an integer from 0 to ${classes - 1}; got ${k}`,
    };
  const rule = model.labels?.find((l) => l.target === name);
  if (!rule) return null;
  const values = rule.values;
  const conversion = conversions[values.join(",")];
  return {
    code: "NN6050",
    allowed: { values },
    why: (v) =>
      `is ${v}, but \`${name}\` is read by \`${rule.by}\` (line ${rule.origin.line}) as labels ` +
      `${spoken(values).join(" or ")}; write the two classes as ${spoken(values).join(" and ")}` +
      (conversion ? ` (${conversion})` : ""),
  };
}

/**
 * Checks, row by row, the targets of `metric = accuracy(...)`: classes the metric can compare
 * with (one-hot rows, class indices below the number of outputs, or one kind of two-class
 * labels). `columns` gives each field's first column (0-based).
 */
export function checkMetricTargets(
  model: ModelIR,
  fields: Field[],
  table: Table,
  columns: Map<string, number>,
): void {
  const check = metricCheck(model);
  const y = check && fields.find((f) => f.name === check.target);
  if (!check || !y) return;
  const problem = metricProblem(y, check);
  if (!problem) return;
  const col = columns.get(y.name) ?? 0;
  throw cellError(table, problem.row, col, "NN6050", `${problem.message}${check.where}`);
}

/**
 * What `metric = accuracy(...)` asks of its target, as data (train_ddp.py checks by it too): the
 * target, the prediction's width `k`, and the messages of each way a row can fail it, each
 * followed by `where`.
 */
export interface MetricCheck {
  target: string;
  k: number;
  notOneHot: string;
  notIndex(v: string): string;
  notLabel(v: string): string;
  mixed: string;
  where: string;
}

/** The model's metric check, or null without a metric. */
export function metricCheck(model: ModelIR): MetricCheck | null {
  const metric = model.metric;
  if (!metric) return null;
  const k = widthOf(metric.prediction.shape);
  return {
    target: metric.target,
    k,
    notOneHot: `holds a row of \`${metric.target}\` that is not one-hot (one 1, the rest 0)`,
    notIndex: (v) => `is ${v}, not a class index from 0 to ${k - 1}`,
    notLabel: (v) => `is ${v}; accuracy needs labels 0/1 or -1/+1`,
    mixed: "is -1 where other rows are 0: use 0/1 labels or -1/+1 labels, not both",
    where: ` (\`metric = accuracy(...)\`, line ${metric.origin.line})`,
  };
}

/** The first row whose target is not a class the metric can compare with, and why. */
function metricProblem(y: Field, check: MetricCheck): { row: number; message: string } | null {
  const { k } = check;
  const w = y.width;
  for (let r = 0; r < y.data.length / w; r++) {
    const row = y.data.subarray(r * w, (r + 1) * w);
    if (w > 1 && !isOneHot(row, w)) return { row: r, message: check.notOneHot };
    const v = row[0]!;
    if (w === 1 && k > 1 && !(Number.isInteger(v) && v >= 0 && v < k))
      return { row: r, message: check.notIndex(String(v)) };
  }
  if (w > 1 || k > 1) return null;
  const first = (ok: (v: number) => boolean) => y.data.findIndex((v) => !ok(v));
  const outside = first((v) => v === 0 || v === 1 || v === -1);
  if (outside >= 0) return { row: outside, message: check.notLabel(String(y.data[outside])) };
  const mixed = y.data.includes(0) ? first((v) => v !== -1) : -1;
  if (mixed >= 0) return { row: mixed, message: check.mixed };
  return null;
}
