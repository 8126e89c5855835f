import { oneFile, parse, stringOpt, UsageError } from "../args.ts";
import { defineCommand, out } from "../command.ts";
import { compileFile, compileFlags, compileFlagsHelp } from "../common.ts";
import { prepareOutputs, refuseOverwrites, writeOutputs } from "../../train/outputs.ts";

const usage = `usage: nnc compile FILE.nn -o OUT.js [options]

Writes OUT.js, an ES module with no imports (createModel, meta), and OUT.d.ts beside it, both or
neither (through temporary files; a link is followed, a pipe written through, a device or a
folder refused before any work). \`-o -\` writes the module to standard output instead.

${compileFlagsHelp}
  --emit js|wat    js: the module (default); wat: the WebAssembly text of the wasm target's
                   kernels, each function commented with the .nn lines it computes
  -o, --out FILE   where to write the module (never over FILE.nn)`;

export const compileCommand = defineCommand({
  name: "compile",
  summary: "compile a model to a JavaScript module and its .d.ts",
  usage,
  options: { ...compileFlags, out: { type: "string", short: "o" }, emit: { type: "string" } },
  async run(argv) {
    const p = parse(argv, this.options, usage);
    const file = oneFile(p, usage);
    const target = stringOpt(p, "out");
    if (!target)
      throw new UsageError(`missing -o OUT.js (or -o - for standard output)\n\n${usage}`);
    const emit = stringOpt(p, "emit") ?? "js";
    if (emit !== "js" && emit !== "wat")
      throw new UsageError(`--emit must be js or wat, got ${emit}`);
    const dtsPath = target.replace(/\.(m?js)$/, "") + ".d.ts";
    const source = { path: file, what: "the model's source" };
    const outputs =
      emit === "wat"
        ? [{ path: target, what: "the WebAssembly text" }]
        : [
            { path: target, what: "the module" },
            { path: dtsPath, what: "its declarations" },
          ];
    if (target !== "-") {
      refuseOverwrites(outputs, [source]);
      prepareOutputs(outputs);
    }
    const compiled = compileFile(p, file, emit === "wat" ? { target: "wasm" } : {});
    if (emit === "wat" && compiled.target !== "wasm")
      throw new UsageError(`--emit wat needs the wasm target: ${compiled.targetNote ?? ""}`);
    const note = (text: string) => (target === "-" ? process.stderr.write(text + "\n") : out(text));
    if (compiled.targetNote && emit === "js")
      await note(`note: the module is JavaScript: ${compiled.targetNote}`);
    const main = emit === "wat" ? compiled.wat() : compiled.js;
    if (target === "-") {
      await out(main);
      return 0;
    }
    const texts = [main, compiled.dts];
    writeOutputs(outputs.map((o, i) => ({ ...o, data: texts[i]! })));
    const { model } = compiled;
    if (emit === "wat") {
      await out(`wrote ${target} (model ${model.name}, WebAssembly text)`);
      return 0;
    }
    const kind = compiled.target === "wasm" ? ", WebAssembly SIMD kernels" : "";
    const inferenceOnly = model.train.loss
      ? ""
      : `; inference only: it has no \`loss\`, so there is nothing to train and \`forward\` is what it is for`;
    await out(`wrote ${target} and ${dtsPath} (model ${model.name}${kind}${inferenceOnly})`);
    return 0;
  },
});
