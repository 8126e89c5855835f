// The front end: `.nn` source -> syntax tree -> ModelIR. Every user error is an NnError.
import { NnError } from "../diagnostics.ts";
import type { ModelIR } from "../ir/model.ts";
import type { Program } from "./ast.ts";
import { lowerProgram, type LowerOptions } from "./lower.ts";
import { parseProgram } from "./syntax.ts";

export type * from "./ast.ts";
export { parseProgram };

/** The names of the models a file defines, in order. */
export function modelNames(source: string, file: string): string[] {
  return parseProgram(source, file)
    .decls.filter((d) => d.kind === "model")
    .map((d) => d.name.name);
}

/** Lowers one model of a file (the first unless `model` names one); throws NnError listing all errors. */
export function lower(source: string, opts: LowerOptions): ModelIR {
  const program: Program = parseProgram(source, opts.file);
  try {
    return lowerProgram(program, opts);
  } catch (e) {
    if (e instanceof NnError) throw e;
    // a failure of the compiler itself: still an NnError, so callers see one kind of exception
    const message = `internal error while lowering: ${e instanceof Error ? e.message : String(e)}`;
    throw new NnError([{ file: opts.file, line: 1, col: 1, code: "NN9000", message }], source, {
      cause: e,
    });
  }
}
