import { oneFile, parse, stringOpt, UsageError } from "../args.ts";
import { defineCommand, out } from "../command.ts";
import { compileFile, compileFlags, compileFlagsHelp, writeOutput } from "../common.ts";

const usage = `usage: nnc compile FILE.nn -o OUT.js [options]

Writes OUT.js, an ES module with no imports (createModel, meta), and OUT.d.ts beside it.

${compileFlagsHelp}
  --emit js|wat    js: the module (default); wat: the WebAssembly text of the wasm target's
                   kernels, each function commented with the .nn lines it computes
  -o, --out FILE   where to write the module`;

export const compileCommand = defineCommand({
  name: "compile",
  summary: "compile a model to a JavaScript module and its .d.ts",
  usage,
  options: { ...compileFlags, out: { type: "string", short: "o" }, emit: { type: "string" } },
  async run(argv) {
    const p = parse(argv, this.options, usage);
    const file = oneFile(p, usage);
    const target = stringOpt(p, "out");
    if (!target) throw new UsageError(`missing -o OUT.js\n\n${usage}`);
    const emit = stringOpt(p, "emit") ?? "js";
    if (emit !== "js" && emit !== "wat")
      throw new UsageError(`--emit must be js or wat, got ${emit}`);
    const compiled = compileFile(p, file, emit === "wat" ? { target: "wasm" } : {});
    if (compiled.targetNote) await out(`note: the module is JavaScript: ${compiled.targetNote}`);
    if (emit === "wat") {
      if (compiled.target !== "wasm") throw new UsageError(`--emit wat needs the wasm target`);
      writeOutput(target, compiled.wat(), "the WebAssembly text");
      await out(`wrote ${target} (model ${compiled.model.name}, WebAssembly text)`);
      return 0;
    }
    const dtsPath = target.replace(/\.(m?js)$/, "") + ".d.ts";
    writeOutput(target, compiled.js, "the module");
    writeOutput(dtsPath, compiled.dts, "the declarations");
    const kind = compiled.target === "wasm" ? ", WebAssembly SIMD kernels" : "";
    await out(`wrote ${target} and ${dtsPath} (model ${compiled.model.name}${kind})`);
    return 0;
  },
});
