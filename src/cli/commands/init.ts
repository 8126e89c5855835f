import { oneFile, parse, stringOpt, UsageError } from "../args.ts";
import { defineCommand, out } from "../command.ts";
import { compileFile } from "../common.ts";
import { numberOpt } from "../training.ts";
import { prepareOutputs, refuseOverwrites, writeOutputs } from "../../train/outputs.ts";
import { weightsToBytes } from "../../train/safetensors.ts";

const usage = `usage: nnc init FILE.nn --save W.safetensors [options]

Writes the model's initial params and state: its initializers drawn from the seed, exactly what
\`nnc train --seed N\` starts from. \`nnc train --load W --seed N\` then trains as \`nnc train
--seed N\` does, bit for bit; the PyTorch export's load_weights(W) and \`train_ddp.py --load W\`
start torch from nnc's very numbers; \`nnc export --format onnx --load W\` writes them.

  --save W.safetensors  where to write them (safetensors, as nnc train --save)
  --seed N              seed of the initializers (default 1, as nnc train's)
  --model NAME          which model of the file (default: the first)
  --dtype f32|f64       the float type (default: f32), as for nnc train`;

export const initCommand = defineCommand({
  name: "init",
  summary: "write a model's initial weights, as nnc train --seed N starts from them",
  usage,
  options: {
    save: { type: "string" },
    seed: { type: "string" },
    model: { type: "string" },
    dtype: { type: "string" },
  },
  async run(argv) {
    const p = parse(argv, this.options, usage);
    const file = oneFile(p, usage);
    const save = stringOpt(p, "save");
    if (save === undefined) throw new UsageError(`--save W.safetensors is required\n\n${usage}`);
    const seed = numberOpt(p, "seed", 1, "int", 0);
    const output = { path: save, what: "the initial weights" };
    refuseOverwrites([output], [{ path: file, what: "the model's source" }]);
    prepareOutputs([output]);
    // the JS target: its initializers are the wasm target's, number for number
    const compiled = compileFile(p, file, { target: "js" });
    const m = compiled.load().createModel({ seed });
    writeOutputs([{ ...output, data: weightsToBytes(compiled.model, m) }]);
    const { params, state } = compiled.model;
    const count = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
    await out(
      `wrote ${save} (model ${compiled.model.name}: ${count(params.length, "param")}` +
        `${state.length > 0 ? ` and ${count(state.length, "state array")}` : ""}, seed ${seed})`,
    );
    return 0;
  },
});
