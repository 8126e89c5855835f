import { oneFile, parse, stringOpt, UsageError } from "../args.ts";
import { defineCommand, out } from "../command.ts";
import { compileFile, compileOptions } from "../common.ts";
import { requireData, requireLoss } from "../training.ts";
import { loadData, textFile } from "../../train/load.ts";
import { loadWeightsAndVocab } from "../../train/files.ts";
import { Evaluator } from "../../train/evaluate.ts";
import { setWeights } from "../../train/trainer.ts";

const usage = `usage: nnc eval FILE.nn --load W.safetensors --data mnist|words|text:FILE|FILE.csv [options]

Loads trained params and state into the model and reports its loss (in inference mode) and
accuracy on held-out data: the 2,000 held-out MNIST digits, the held-out part of words or text
(as nnc train splits it), or every row of a CSV file.

  --load W.safetensors   the weights, as written by nnc train --save (words and text are read
                         with the vocabulary it keeps)
  --data SPEC            the data: mnist, words, text:FILE (as for nnc train), or FILE.csv
  --json                 print one line of JSON: examples, test_loss, test_accuracy
  --model NAME           which model of the file (default: the first)
  --dtype f32|f64        the float type of the generated code (default: f32)`;

export const evalCommand = defineCommand({
  name: "eval",
  summary: "report the loss and accuracy of saved weights on held-out data",
  usage,
  options: {
    load: { type: "string" },
    data: { type: "string" },
    json: { type: "boolean" },
    model: { type: "string" },
    dtype: { type: "string" },
  },
  async run(argv) {
    const p = parse(argv, this.options, usage);
    const file = oneFile(p, usage);
    const data = requireData(p, usage);
    const load = stringOpt(p, "load");
    if (load === undefined) throw new UsageError(`--load W.safetensors is required\n\n${usage}`);
    const compiled = compileFile(p, file);
    requireLoss(compiled.model, "evaluate");
    const dtype = compileOptions(p, file).dtype ?? "f32";
    const { weights, vocab } = loadWeightsAndVocab(load, compiled.model, dtype);
    // a CSV file is evaluated whole: it is the held-out data here; words and text are split as
    // nnc train splits them
    const text = data === "words" || textFile(data) !== undefined;
    const { test } = loadData(data, compiled.model, {
      dtype,
      ...(text ? {} : { holdout: 0 }),
      ...(vocab ? { vocab } : {}),
    });
    const m = compiled.load().createModel({});
    setWeights(m, weights);
    const r = new Evaluator(compiled.model, dtype).evaluate(m, test);
    if (p.values["json"] === true) {
      const num = (v: number | null) => (v === null || !Number.isFinite(v) ? null : v);
      await out(
        JSON.stringify({
          examples: test.n,
          test_loss: num(r.loss),
          test_accuracy: num(r.accuracy),
        }),
      );
      return 0;
    }
    const acc = r.accuracy === null ? "" : `, accuracy ${(100 * r.accuracy).toFixed(2)}%`;
    await out(
      `${compiled.model.name} with ${load} on ${test.source} (${test.n} examples): loss ${r.loss.toFixed(4)}${acc}`,
    );
    return 0;
  },
});
