import { oneFile, parse } from "../args.ts";
import { defineCommand, out } from "../command.ts";
import { compileFile, compileFlags, compileFlagsHelp } from "../common.ts";
import { formatJs } from "../format.ts";
import { unifiedDiff } from "../diff.ts";

const usage = `usage: nnc grad FILE.nn [options]

Prints the generated gradient function: the backward pass as plain JavaScript.

${compileFlagsHelp}
  --diff           print a unified diff of the unfused (--no-fuse) against the fused code`;

export const gradCommand = defineCommand({
  name: "grad",
  summary: "print the generated gradient code",
  usage,
  options: { ...compileFlags, diff: { type: "boolean" } },
  async run(argv) {
    const p = parse(argv, this.options, usage);
    const file = oneFile(p, usage);
    if (p.values["diff"] === true) {
      const unfused = await formatJs(compileFile(p, file, { fuse: false }).gradSource);
      const fused = await formatJs(compileFile(p, file, { fuse: true }).gradSource);
      const diff = unifiedDiff(unfused, fused, [`${file} (--no-fuse)`, `${file} (fused)`]);
      await out(diff === "" ? "no difference: nothing to fuse" : diff);
      return 0;
    }
    const compiled = compileFile(p, file);
    await out(await formatJs(compiled.gradSource));
    return 0;
  },
});
