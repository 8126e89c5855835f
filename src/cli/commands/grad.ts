import { oneFile, parse } from "../args.ts";
import { defineCommand, out } from "../command.ts";
import { compileFile, compileFlags, compileFlagsHelp } from "../common.ts";
import { formatJs } from "../format.ts";

const usage = `usage: nnc grad FILE.nn [options]

Prints the generated gradient function: the backward pass as plain JavaScript.

${compileFlagsHelp}`;

export const gradCommand = defineCommand({
  name: "grad",
  summary: "print the generated gradient code",
  usage,
  options: compileFlags,
  async run(argv) {
    const p = parse(argv, this.options, usage);
    const compiled = compileFile(p, oneFile(p, usage));
    await out(await formatJs(compiled.gradSource));
    return 0;
  },
});
