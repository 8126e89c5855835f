import { oneFile, parse, stringOpt, UsageError } from "../args.ts";
import { defineCommand, out } from "../command.ts";
import { compileFile, compileFlags, compileFlagsHelp } from "../common.ts";
import { formatJs, formatTs } from "../format.ts";
import { refuseOverwrites, writeOutputs } from "../outputs.ts";

const usage = `usage: nnc compile FILE.nn -o OUT.js [options]

Writes OUT.js, an ES module with no imports (createModel, meta), and OUT.d.ts beside it, both or
neither (through temporary files). \`-o -\` writes the module to standard output instead.

${compileFlagsHelp}
  -o, --out FILE   where to write the module (never over FILE.nn)`;

export const compileCommand = defineCommand({
  name: "compile",
  summary: "compile a model to a JavaScript module and its .d.ts",
  usage,
  options: { ...compileFlags, out: { type: "string", short: "o" } },
  async run(argv) {
    const p = parse(argv, this.options, usage);
    const file = oneFile(p, usage);
    const target = stringOpt(p, "out");
    if (!target)
      throw new UsageError(`missing -o OUT.js (or -o - for standard output)\n\n${usage}`);
    const dtsPath = target.replace(/\.(m?js)$/, "") + ".d.ts";
    const source = { path: file, what: "the model's source" };
    const outputs = [
      { path: target, what: "the module" },
      { path: dtsPath, what: "its declarations" },
    ];
    if (target !== "-") refuseOverwrites(outputs, [source]);
    const compiled = compileFile(p, file);
    if (target === "-") {
      await out(await formatJs(compiled.js));
      return 0;
    }
    const [js, dts] = [await formatJs(compiled.js), await formatTs(compiled.dts)];
    writeOutputs([
      { ...outputs[0]!, data: js },
      { ...outputs[1]!, data: dts },
    ]);
    const { model } = compiled;
    const inferenceOnly = model.train.loss
      ? ""
      : `; inference only: it has no \`loss\`, so there is nothing to train and \`forward\` is what it is for`;
    await out(`wrote ${target} and ${dtsPath} (model ${model.name}${inferenceOnly})`);
    return 0;
  },
});
