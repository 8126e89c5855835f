import { oneFile, parse, stringOpt, UsageError } from "../args.ts";
import { defineCommand, out } from "../command.ts";
import { compileFile, compileOptions } from "../common.ts";
import { inputFiles, numberOpt, requireData } from "../training.ts";
import { prepareOutputs, refuseOverwrites, writeOutputs } from "../../train/outputs.ts";
import { loadWeightsAndVocab, readCsv } from "../../train/files.ts";
import { loadData, textFile } from "../../train/load.ts";
import type { Vocab } from "../../train/text.ts";
import { fitInputs, type Dataset } from "../../train/data.ts";
import { mnist } from "../../train/mnist.ts";
import { F32_MAX } from "../../train/safetensors.ts";
import type { ModelIR } from "../../ir/model.ts";
import { outputColumns, predict, predictionsCsv, withoutLastColumn } from "../../train/predict.ts";

const usage = `usage: nnc predict FILE.nn --load W.safetensors --data FILE.csv|mnist [-o OUT.csv] [options]

Runs the model's forward pass (inference mode: batchnorm's running statistics, no dropout) on
every row of the data and writes its outputs as CSV: a header row naming the columns (an output's
name where it gives one number per example, p_0, p_1, ... for an output p of more), then one row
per example, in the data's order.

  --load W.safetensors   the weights (nnc train --save, nnc init)
  --data FILE.csv|mnist|words|text:FILE
                         FILE.csv: a header row, then the inputs' columns as nnc train reads
                         them; the targets' columns may follow, and are left unread.
                         mnist: the 2,000 held-out digits of nnc train --data mnist.
                         words, text:FILE: the held-out contexts or windows of nnc train, read
                         with the vocabulary the weights keep
  -o, --out OUT.csv      where to write the predictions (default: standard output)
  --batch N              examples per forward call (default 256; the numbers do not depend on it)
  --model NAME           which model of the file (default: the first)
  --dtype f32|f64        the float type of the generated code (default: f32)
  --target js|wasm|auto  where the kernels run (default auto, as for nnc train)

No output is ever written over an input (the model, --data, --load).`;

export const predictCommand = defineCommand({
  name: "predict",
  summary: "write a model's outputs for every row of a CSV file (or MNIST), with saved weights",
  usage,
  options: {
    load: { type: "string" },
    data: { type: "string" },
    out: { type: "string", short: "o" },
    batch: { type: "string" },
    model: { type: "string" },
    dtype: { type: "string" },
    target: { type: "string" },
  },
  async run(argv) {
    const p = parse(argv, this.options, usage);
    const file = oneFile(p, usage);
    const spec = requireData(p, usage);
    const load = stringOpt(p, "load");
    if (load === undefined) throw new UsageError(`--load W.safetensors is required\n\n${usage}`);
    const batch = numberOpt(p, "batch", 256, "int", 1);
    const path = stringOpt(p, "out");
    const output = path === undefined ? [] : [{ path, what: "the predictions (-o)" }];
    refuseOverwrites(output, inputFiles(file, p));
    prepareOutputs(output);
    const compiled = compileFile(p, file, stringOpt(p, "target") ? {} : { target: "auto" });
    const dtype = compileOptions(p, file).dtype ?? "f32";
    const columns = outputColumns(compiled.model);
    const { weights, vocab } = loadWeightsAndVocab(load, compiled.model, dtype);
    const data = predictionData(spec, compiled.model, dtype, vocab);
    const m = compiled.load().createModel({ weights, batch: Math.min(batch, data.n) });
    const csv = predictionsCsv(predict(m, data, columns, batch), dtype);
    if (csv.first)
      process.stderr.write(
        `nnc: note: ${csv.nonFinite} of the predictions ${csv.nonFinite === 1 ? "is" : "are"} ` +
          `not finite, the first in row ${csv.first.row + 1} (${csv.first.column})\n`,
      );
    if (path === undefined) {
      await out(csv.text);
      return 0;
    }
    writeOutputs(output.map((o) => ({ ...o, data: csv.text })));
    const names = columns
      .map((c) => (c.width === 1 ? c.name : `${c.name}_0..${c.name}_${c.width - 1}`))
      .join(", ");
    await out(`wrote ${path} (${data.n} rows of ${names}, from ${data.source})`);
    return 0;
  },
});

/** The rows to predict: a CSV file's, or MNIST's held-out digits, fitted to the model's inputs. */
function predictionData(
  spec: string,
  model: ModelIR,
  dtype: "f32" | "f64",
  vocab: Vocab | null,
): Dataset {
  if (spec === "words" || textFile(spec) !== undefined) {
    const { test } = loadData(spec, model, { dtype, ...(vocab ? { vocab } : {}) });
    return { ...test, fields: test.fields.filter((f) => f.role === "input") };
  }
  if (spec === "mnist")
    return fitInputs(withoutLastColumn(mnist().test), model, "mnist (held out)");
  const limit = dtype === "f64" ? Infinity : F32_MAX;
  return fitInputs(readCsv(spec, { limit }), model, spec);
}
