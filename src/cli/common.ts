// What several commands share: reading a source file and turning common flags into compile options.
import { compile, type CompileOptions, type Compiled } from "../compile.ts";
import { parseAssignments, stringOpt, UsageError, type Options, type Parsed } from "./args.ts";
import { readRegularFile } from "../train/file-access.ts";

export const compileFlags: Options = {
  model: { type: "string" },
  dtype: { type: "string" },
  "no-fuse": { type: "boolean" },
  wrt: { type: "string" },
  bind: { type: "string" },
  plain: { type: "boolean" },
  target: { type: "string" },
};

export const compileFlagsHelp = `  --model NAME     which model of the file (default: the first)
  --dtype f32|f64  the float type of the generated code (default: f32)
  --wrt NAMES|all  also differentiate these inputs/targets (comma-separated)
  --bind D=N,...   bake named dimensions into the code (batch=64)
  --no-fuse        turn off fusion (sigmoid, batchnorm, softmax+cross-entropy, sigmoid+bce)
  --plain          plain loops instead of register-blocked kernels, for reading (same results)
  --target T       js (readable JavaScript kernels), wasm (WebAssembly SIMD kernels, the same
                   module API) or auto (wasm where it runs every kernel and gains, else js)`;

export function readSource(file: string): string {
  const bytes = readRegularFile(file, "source", (code, message) =>
    code === "ENOENT"
      ? new UsageError(`${file}: no such file`)
      : new UsageError(`${file}: cannot read (${message})`),
  );
  return bytes.toString("utf8");
}

export function compileOptions(p: Parsed, file: string): CompileOptions {
  const dtype = stringOpt(p, "dtype") ?? "f32";
  if (dtype !== "f32" && dtype !== "f64")
    throw new UsageError(`--dtype must be f32 or f64, got ${dtype}`);
  const wrt = stringOpt(p, "wrt");
  const bind = stringOpt(p, "bind");
  const model = stringOpt(p, "model");
  const target = stringOpt(p, "target");
  if (target !== undefined && target !== "js" && target !== "wasm" && target !== "auto")
    throw new UsageError(`--target must be js, wasm or auto, got ${target}`);
  return {
    file,
    dtype,
    ...(model ? { model } : {}),
    ...(p.values["no-fuse"] === true ? { fuse: false } : {}),
    ...(p.values["plain"] === true ? { plain: true } : {}),
    ...(target ? { target } : {}),
    ...(wrt ? { wrt: wrt === "all" ? "all" : wrt.split(",").map((s) => s.trim()) } : {}),
    ...(bind ? { bind: parseAssignments(bind, "--bind") } : {}),
  };
}

export function compileFile(
  p: Parsed,
  file: string,
  extra: Partial<CompileOptions> = {},
): Compiled {
  return compile(readSource(file), { ...compileOptions(p, file), ...extra });
}
