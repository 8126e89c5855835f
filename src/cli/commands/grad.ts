import { oneFile, parse } from "../args.ts";
import { defineCommand, out } from "../command.ts";
import { compileFile, compileFlags, compileFlagsHelp } from "../common.ts";
import { formatJs } from "../format.ts";
import { unifiedDiff } from "../diff.ts";

const usage = `usage: nnc grad FILE.nn [options]

Prints the backward pass the compiler derived, as the code that runs: each statement under the
\`.nn\` line of the forward operation it differentiates, with its math in \`.nn\` notation.

${compileFlagsHelp}
  --forward        show the forward pass's statements too
  --kernels        show the bodies of the kernels the code calls
  --math           print the derivation as \`.nn\` equations instead, one a line
  --diff           print a unified diff of the unfused (--no-fuse) against the fused code`;

export const gradCommand = defineCommand({
  name: "grad",
  summary: "print the generated gradient code (or its math with --math)",
  usage,
  options: {
    ...compileFlags,
    forward: { type: "boolean" },
    kernels: { type: "boolean" },
    math: { type: "boolean" },
    diff: { type: "boolean" },
  },
  async run(argv) {
    const p = parse(argv, this.options, usage);
    const file = oneFile(p, usage);
    const view = { forward: p.values["forward"] === true, kernels: p.values["kernels"] === true };
    if (p.values["math"] === true) {
      await out(compileFile(p, file).derivation.join("\n"));
      return 0;
    }
    if (p.values["diff"] === true) {
      // the whole function: fusion changes the forward pass too
      const whole = { ...view, forward: true };
      const unfused = await formatJs(compileFile(p, file, { fuse: false }).gradCode(whole));
      const fused = await formatJs(compileFile(p, file, { fuse: true }).gradCode(whole));
      const diff = unifiedDiff(unfused, fused, [`${file} (--no-fuse)`, `${file} (fused)`]);
      await out(diff === "" ? "no difference: nothing to fuse" : diff);
      return 0;
    }
    await out(await formatJs(compileFile(p, file).gradCode(view)));
    return 0;
  },
});
