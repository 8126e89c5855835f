import { oneFile, parse, stringOpt } from "../args.ts";
import { defineCommand, out } from "../command.ts";
import { compileFile, compileFlags, compileFlagsHelp } from "../common.ts";
import { checkGradients, type CheckRow } from "../../check.ts";
import { DIRECTION_ELEMENTS } from "../../check-probes.ts";

const usage = `usage: nnc check FILE.nn [options]

Compares the generated gradient with central finite differences of the generated loss, in f64,
on seeded random data (named dims of size 3): up to 40 elements of each param one by one, and
3 random directions (each over up to 65,536 of its elements). A difference passes within 1e-4
relative error, or within what the differences can resolve given the loss's rounding. A large
model gets fewer loss evaluations (at least 4 per param: one direction), so that the check takes
seconds. Exit code 1 on a mismatch, naming the element or direction furthest off.

${compileFlagsHelp}
  --seed N         seed for params and data (default 1)`;

export const checkCommand = defineCommand({
  name: "check",
  summary: "compare symbolic gradients with finite differences",
  usage,
  options: { ...compileFlags, seed: { type: "string" } },
  async run(argv) {
    const p = parse(argv, this.options, usage);
    const compiled = compileFile(p, oneFile(p, usage), { dtype: "f64" });
    const rows = checkGradients(compiled, { seed: Number(stringOpt(p, "seed") ?? "1") });
    if (rows.length === 0) {
      const why = compiled.model.train.loss
        ? "has no params, and --wrt names no inputs"
        : "has no loss";
      await out(`model ${compiled.model.name} ${why}: nothing to check`);
      return 0;
    }
    const lines = rows.map((r) =>
      r.skipped
        ? `  skip  ${r.name}: ${r.skipped}`
        : `  ${r.ok ? "ok  " : "FAIL"}  ${r.name}: ${compared(r)}, worst relative error ${r.worst.toExponential(2)}` +
          (r.detail ? `\n        ${r.detail}` : ""),
    );
    const bad = rows.filter((r) => !r.ok).length;
    await out(
      [
        `model ${compiled.model.name}: gradient check against central differences (f64)`,
        ...lines,
        bad === 0 ? "all gradients match" : `${bad} gradient(s) do not match`,
      ].join("\n"),
    );
    return bad === 0 ? 0 : 1;
  },
});

/** `40 of 100,352 elements and 3 random directions (over 65,536 of them each)`. */
function compared(r: CheckRow): string {
  const n = (v: number) => v.toLocaleString("en-US");
  const plural = (v: number, word: string) => `${n(v)} ${word}${v === 1 ? "" : "s"}`;
  const over = Math.min(r.size, DIRECTION_ELEMENTS);
  const each = r.directions > 1 ? " each" : "";
  const directions = plural(r.directions, "random direction");
  if (r.checked === 0)
    return `${directions} (over ${n(over)} of ${plural(r.size, "element")}${each})`;
  const elements =
    r.checked < r.size
      ? `${n(r.checked)} of ${plural(r.size, "element")}`
      : plural(r.checked, "element");
  return (
    `${elements} and ${directions}` + (over < r.size ? ` (over ${n(over)} of them${each})` : "")
  );
}
