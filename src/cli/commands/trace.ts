import { oneFile, parse, parseAssignments, stringOpt, UsageError } from "../args.ts";
import { defineCommand, out } from "../command.ts";
import { compileFile, compileFlags } from "../common.ts";
import { traceModel } from "../../trace.ts";

const usage = `usage: nnc trace FILE.nn --at NAME=VALUE,... [options]

Runs one forward and backward pass in f64 and prints every node with its value and its gradient
(the adjoint of the loss with respect to it), as in a backprop diagram; then the params after one
trainStep. The graph is the one you wrote, gate by gate; --fuse shows it after fusion (the sigmoid
gate as one node). Inputs and targets need a value; params start from their initializers unless given.
A tensor input given one number is filled with it; named dims are 1 unless bound with --bind.

  --at NAME=V,...  values of inputs, targets and params
  --model NAME     which model of the file (default: the first)
  --bind D=N,...   sizes of named dimensions (default 1)
  --fuse           trace the fused graph instead of the graph as written
  --seed N         seed for initializing params that --at does not give (default 1)`;

export const traceCommand = defineCommand({
  name: "trace",
  summary: "print every node's value and gradient",
  usage,
  options: {
    model: compileFlags["model"]!,
    bind: compileFlags["bind"]!,
    at: { type: "string" },
    seed: { type: "string" },
    fuse: { type: "boolean" },
  },
  async run(argv) {
    const p = parse(argv, this.options, usage);
    const at = parseAssignments(stringOpt(p, "at") ?? "", "--at");
    const seed = Number(stringOpt(p, "seed") ?? "1");
    if (!Number.isInteger(seed)) throw new UsageError(`--seed must be an integer`);
    const compiled = compileFile(p, oneFile(p, usage), {
      dtype: "f64",
      wrt: "all",
      fuse: p.values["fuse"] === true,
    });
    await out(traceModel(compiled, at, seed));
    return 0;
  },
});
