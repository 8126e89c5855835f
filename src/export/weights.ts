// What both exporters share: the values of a model's params and state (from a weights file, or
// the generated module's seeded initializers), and their errors.
import type { Compiled } from "../compile.ts";
import { NnError, type Code } from "../diagnostics.ts";
import type { ModelIR } from "../ir/model.ts";

/** Every param's and state's values, by `.nn` name. */
export type Weights = ReadonlyMap<string, ArrayLike<number>>;

/** The params and state `createModel({ seed })` starts from: nnc's deterministic init. */
export function seededWeights(compiled: Compiled, seed: number): Weights {
  const m = compiled.load().createModel({ seed });
  return new Map([...Object.entries(m.params), ...Object.entries(m.state)]);
}

/** An export error about the model as a whole, at the top of its file. */
export function exportError(model: ModelIR, code: Code, message: string): NnError {
  return new NnError([{ file: model.file, line: 1, col: 1, code, message }], model.source);
}
