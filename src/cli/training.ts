// What `nnc train` and `nnc eval` share: numeric flags, the data flag, a model that has a loss,
// and the files they read.
import { NnError } from "../diagnostics.ts";
import type { ModelIR } from "../ir/model.ts";
import { stringOpt, UsageError, type Parsed } from "./args.ts";
import type { NamedFile } from "../train/outputs.ts";
import { textFile } from "../train/load.ts";

/** A numeric flag: an integer at least `min`, or any number in [min, max) (above `min` if `open`). */
export function numberOpt(
  p: Parsed,
  name: string,
  fallback: number,
  kind: "int" | "real",
  min: number,
  max = Infinity,
  open = false,
): number {
  const text = stringOpt(p, name);
  if (text === undefined) return fallback;
  const v = Number(text);
  const ok =
    text.trim() !== "" &&
    Number.isFinite(v) &&
    (kind === "real" || Number.isInteger(v)) &&
    (open ? v > min : v >= min) &&
    v < max;
  if (!ok) {
    const range =
      max !== Infinity
        ? `from ${min} up to ${max}`
        : open
          ? `greater than ${min}`
          : `of at least ${min}`;
    throw new UsageError(
      `--${name} expects ${kind === "int" ? "an integer" : "a finite number"} ${range}, got \`${text}\``,
    );
  }
  return v;
}

export function requireData(p: Parsed, usageText: string): string {
  const data = stringOpt(p, "data");
  if (data === undefined)
    throw new UsageError(`--data mnist|words|text:FILE|FILE.csv is required\n\n${usageText}`);
  return data;
}

/** NN2009 at the model's name when it has no loss: there is nothing to train or evaluate. */
export function requireLoss(model: ModelIR, doing: string): void {
  if (model.train.loss) return;
  const at = model.at ?? { file: model.file, line: 1, col: 1 };
  throw new NnError(
    [
      {
        ...at,
        code: "NN2009",
        message:
          `the model \`${model.name}\` has no \`loss\`, so there is nothing to ${doing}; ` +
          "add `loss = ...` (a model without one is for inference: `nnc compile` it)",
      },
    ],
    model.source,
  );
}

/** The files a training or evaluation run reads, for the check that no output is one of them. */
export function inputFiles(file: string, p: Parsed): NamedFile[] {
  const data = stringOpt(p, "data");
  const test = stringOpt(p, "test");
  const load = stringOpt(p, "load");
  return [
    { path: file, what: "the model's source" },
    ...(data !== undefined && data !== "mnist" && data !== "words"
      ? [{ path: textFile(data) ?? data, what: "the --data file" }]
      : []),
    ...(test !== undefined ? [{ path: test, what: "the --test file" }] : []),
    ...(load !== undefined ? [{ path: load, what: "the --load weights" }] : []),
  ];
}
