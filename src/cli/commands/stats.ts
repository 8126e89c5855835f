import { oneFile, parse } from "../args.ts";
import { defineCommand, out } from "../command.ts";
import { compileFile, compileFlags, compileFlagsHelp } from "../common.ts";
import { statsOf } from "../../stats.ts";

const usage = `usage: nnc stats FILE.nn [options]

Prints JSON: for the forward (training) graph, the backward graph and what inference adds, the
nodes per op, loops, buffers and their bytes (named dims at 64 unless bound with --bind); the
code's loops, buffers and buffer bytes before and after planning by liveness; every rewrite that
fired, with its count; and every fusion that was possible but did not fire, with the reason.

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
