import { oneFile, parse, parseAssignments, stringOpt } from "../args.ts";
import { defineCommand, out } from "../command.ts";
import { compileFile, compileFlags, compileFlagsHelp } from "../common.ts";
import { unifiedDiff } from "../diff.ts";
import { formatDerivation } from "../../codegen/index.ts";
import type { Compiled } from "../../compile.ts";
import { interpret } from "../../ir/interpret.ts";
import { traceValues } from "../../trace.ts";

const usage = `usage: nnc grad FILE.nn [options]

Prints the backward pass the compiler derived, as the code that runs: each statement under the
\`.nn\` line of the forward operation it differentiates, with its math in \`.nn\` notation.

${compileFlagsHelp}
  --forward        show the forward pass's statements too
  --kernels        show the bodies of the kernels the code calls
  --math           print the derivation as \`.nn\` equations instead, one a line; equations that
                   repeat with other names (a model's layers) once, as
                   \`for (X, Y) in (h1, h2), (h2, h3):\` over the names each repetition takes
  --at NAME=V,...  with --math: each equation's value too, as \`nnc trace\` computes it (f64),
                   every repetition printed out
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
    at: { type: "string" },
    diff: { type: "boolean" },
  },
  async run(argv) {
    const p = parse(argv, this.options, usage);
    const file = oneFile(p, usage);
    const view = { forward: p.values["forward"] === true, kernels: p.values["kernels"] === true };
    if (p.values["math"] === true) {
      const at = stringOpt(p, "at");
      const compiled = compileFile(p, file, at === undefined ? {} : { dtype: "f64" });
      await out(math(compiled, at === undefined ? null : parseAssignments(at, "--at")).join("\n"));
      return 0;
    }
    if (p.values["diff"] === true) {
      // the whole function: fusion changes the forward pass too
      const whole = { ...view, forward: true };
      const unfused = compileFile(p, file, { fuse: false }).gradCode(whole);
      const fused = compileFile(p, file, { fuse: true }).gradCode(whole);
      const diff = unifiedDiff(unfused, fused, [`${file} (--no-fuse)`, `${file} (fused)`]);
      await out(diff === "" ? "no difference: nothing to fuse" : diff);
      return 0;
    }
    await out(compileFile(p, file).gradCode(view));
    return 0;
  },
});

/** The derivation; with `at`, each equation's value in f64, as in a backprop diagram. */
export function math(compiled: Compiled, at: Map<string, number> | null): string[] {
  const rows = compiled.derivation;
  if (at === null) return formatDerivation(rows);
  const { values, dims } = traceValues(compiled, at, 1);
  const nodes = rows.flatMap((r) => (r.node ? [r.node] : []));
  const computed = interpret(nodes, { values, dims });
  const show = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(4));
  return formatDerivation(rows, (n) => {
    if (n === null) return "1";
    const t = computed.get(n)!;
    const shown = Array.from(t.data.slice(0, 3), show).join(", ");
    return t.data.length === 1 ? shown : `[${shown}${t.data.length > 3 ? ", ..." : ""}]`;
  });
}
