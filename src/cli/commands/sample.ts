import { oneFile, parse, stringOpt, UsageError } from "../args.ts";
import { defineCommand, out } from "../command.ts";
import { compileFile, compileOptions } from "../common.ts";
import { numberOpt } from "../training.ts";
import { loadWeightsAndVocab } from "../../train/files.ts";
import { dataError } from "../../train/errors.ts";
import { checkVocabFits, sequenceStyle } from "../../train/text.ts";
import { sample } from "../../sample.ts";

const usage = `usage: nnc sample FILE.nn --load W.safetensors [options]

Prints new words of a trained model of characters, one per line: each starts after the delimiter
and draws one character at a time from the model's distribution (inference mode) until the
delimiter comes again. The vocabulary is the one the weights file keeps (nnc train --data words
or text:FILE --save W). A model trained on raw text (no delimiter) gives --length characters.

  --load W.safetensors  the trained weights, with their vocabulary
  --count N             how many samples (default 20)
  --temperature T       1 draws from the model's distribution, lower from a sharper one, 0 takes
                        the most likely character every time (default 1)
  --seed N              seed of the draws (default 1): the same seed, the same words
  --length N            characters at most per sample (default 100)
  --model NAME          which model of the file (default: the first)
  --dtype f32|f64       the float type of the generated code (default: f32)`;

export const sampleCommand = defineCommand({
  name: "sample",
  summary: "print new words drawn from a trained model of characters",
  usage,
  options: {
    load: { type: "string" },
    count: { type: "string" },
    temperature: { type: "string" },
    seed: { type: "string" },
    length: { type: "string" },
    model: { type: "string" },
    dtype: { type: "string" },
  },
  async run(argv) {
    const p = parse(argv, this.options, usage);
    const file = oneFile(p, usage);
    const load = stringOpt(p, "load");
    if (load === undefined) throw new UsageError(`--load W.safetensors is required\n\n${usage}`);
    const options = {
      count: numberOpt(p, "count", 20, "int", 1, 100_001),
      temperature: numberOpt(p, "temperature", 1, "real", 0),
      seed: numberOpt(p, "seed", 1, "int", 0, 2 ** 32),
      maxLength: numberOpt(p, "length", 100, "int", 1, 100_001),
    };
    const compiled = compileFile(p, file, { target: "js" });
    const style = sequenceStyle(compiled.model, "nnc sample draws characters");
    const dtype = compileOptions(p, file).dtype ?? "f32";
    const { weights, vocab } = loadWeightsAndVocab(load, compiled.model, dtype);
    if (vocab === null)
      throw dataError(
        "NN6204",
        { file: load, line: 1, col: 1 },
        "these weights keep no vocabulary (nnc init writes none, nor does training on numbers): " +
          `train them on characters first, e.g. nnc train ${file} --data words --save W.safetensors`,
      );
    checkVocabFits(compiled.model, style, vocab, load);
    const m = compiled.load().createModel({ weights, batch: options.count });
    await out(sample(m, vocab, options).join("\n"));
    return 0;
  },
});
