import { oneFile, parse, stringOpt, UsageError } from "../args.ts";
import { defineCommand, out } from "../command.ts";
import { compileFile, compileFlags, compileFlagsHelp } from "../common.ts";
import { printDot, printText, type Labeled } from "../../ir/print.ts";
import type { Compiled } from "../../compile.ts";

const usage = `usage: nnc graph FILE.nn [--backward] [--format text|dot] [options]

Prints the IR: the inference graph, the training graph, and with --backward the gradients.

${compileFlagsHelp}
  --backward       include the backward graph (the gradient of the loss)
  --format F       text (default) or dot (Graphviz)`;

export const graphCommand = defineCommand({
  name: "graph",
  summary: "print the forward (and backward) IR",
  usage,
  options: { ...compileFlags, backward: { type: "boolean" }, format: { type: "string" } },
  async run(argv) {
    const p = parse(argv, this.options, usage);
    const format = stringOpt(p, "format") ?? "text";
    if (format !== "text" && format !== "dot")
      throw new UsageError(`--format must be text or dot, got ${format}`);
    const compiled = compileFile(p, oneFile(p, usage));
    await out(graphText(compiled, { backward: p.values["backward"] === true, format }));
    return 0;
  },
});

/** What `nnc graph` prints: the inference graph, the training graph and, asked, the gradients. */
export function graphText(
  { model, grads }: Compiled,
  options: { backward: boolean; format: "text" | "dot" },
): string {
  const sections: [string, Labeled[]][] = [
    [
      `${model.name}: forward (inference)`,
      model.infer.outputs.map((o) => ({ label: o.name, node: o.node })),
    ],
  ];
  if (model.train.loss) {
    const train = [
      ...model.train.outputs.map((o) => ({ label: o.name, node: o.node })),
      { label: "loss", node: model.train.loss },
      ...model.train.stateUpdates.map((s) => ({ label: `state ${s.name}`, node: s.node })),
    ];
    sections.push([`${model.name}: forward (training)`, train]);
    if (options.backward)
      sections.push([
        `${model.name}: backward`,
        [...train, ...grads.map((g) => ({ label: `d ${g.name}`, node: g.node }))],
      ]);
  }
  const print = options.format === "dot" ? printDot : printText;
  return sections.map(([title, roots]) => print(title, roots)).join("\n\n");
}
