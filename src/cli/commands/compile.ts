import { oneFile, parse, stringOpt, UsageError } from "../args.ts";
import { defineCommand, out } from "../command.ts";
import { compileFile, compileFlags, compileFlagsHelp, writeOutput } from "../common.ts";
import { formatJs, formatTs } from "../format.ts";

const usage = `usage: nnc compile FILE.nn -o OUT.js [options]

Writes OUT.js, an ES module with no imports (createModel, meta), and OUT.d.ts beside it.

${compileFlagsHelp}
  -o, --out FILE   where to write the module`;

export const compileCommand = defineCommand({
  name: "compile",
  summary: "compile a model to a JavaScript module and its .d.ts",
  usage,
  options: { ...compileFlags, out: { type: "string", short: "o" } },
  async run(argv) {
    const p = parse(argv, this.options, usage);
    const file = oneFile(p, usage);
    const target = stringOpt(p, "out");
    if (!target) throw new UsageError(`missing -o OUT.js\n\n${usage}`);
    const compiled = compileFile(p, file);
    const dtsPath = target.replace(/\.(m?js)$/, "") + ".d.ts";
    writeOutput(target, await formatJs(compiled.js), "the module");
    writeOutput(dtsPath, await formatTs(compiled.dts), "the declarations");
    await out(`wrote ${target} and ${dtsPath} (model ${compiled.model.name})`);
    return 0;
  },
});
