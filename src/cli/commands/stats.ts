import { oneFile, parse } from "../args.ts";
import { defineCommand, out } from "../command.ts";
import { compileFile, compileFlags, compileFlagsHelp } from "../common.ts";
import { statsOf } from "../../stats.ts";

const usage = `usage: nnc stats FILE.nn [options]

Prints JSON: node counts per op of the forward (training) and backward graphs, and the loops
and buffers of the generated code.

${compileFlagsHelp}`;

export const statsCommand = defineCommand({
  name: "stats",
  summary: "JSON counts of nodes, loops and buffers",
  usage,
  options: compileFlags,
  async run(argv) {
    const p = parse(argv, this.options, usage);
    await out(JSON.stringify(statsOf(compileFile(p, oneFile(p, usage))), null, 2));
    return 0;
  },
});
