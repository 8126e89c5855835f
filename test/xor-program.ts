// One program for every place the library must run (a browser realm, a project that installed the
// package): it compiles models/xor.nn from a string, trains it, round-trips the trained weights and
// compiles a bad source; `expectXorResult` checks what it reports.
import { readFileSync } from "node:fs";
import { expect } from "vitest";

export const xorSource = readFileSync(new URL("../models/xor.nn", import.meta.url), "utf8");
export const xorCsv = "x1,x2,y\n0,0,0\n0,1,1\n1,0,1\n1,1,0\n";
/** one error: an unknown function at line 3, column 7 */
const badSource = "model m {\n  input x: [2]\n  h = sigmod(x)\n  output h\n}";

/**
 * JavaScript that needs `compile`, `NnError` and `Trainer` in scope, builds `data` (a Dataset for
 * the model `c`) with `data`, and the weights' round trip `back` (a Map) with `roundTrip`; it ends
 * with the expression `result`.
 */
export function xorProgram(parts: { data: string; roundTrip: string }): string {
  return `
const c = compile(${JSON.stringify(xorSource)}, { file: "xor.nn" });
const data = ${parts.data};
const trainer = new Trainer(c, data, data, { epochs: 300, batch: 4, seed: 1 });
const trained = trainer.run().epochs.at(-1);
const p = Array.from(trainer.model.forward({ x: [0, 0, 0, 1, 1, 0, 1, 1] }).p);
const back = ${parts.roundTrip};
const same = [...back].every(([k, v]) => v.every((x, i) => x === trainer.model.params[k][i]));
let error = null;
try {
  compile(${JSON.stringify(badSource)}, { file: "bad.nn" });
} catch (e) {
  error = { nn: e instanceof NnError, diagnostics: e.diagnostics };
}
const result = { trained, p, same, names: [...back.keys()], error };
result;
`;
}

export interface XorResult {
  trained: { testLoss: number; testAccuracy: number | null };
  p: number[];
  same: boolean;
  names: string[];
  error: unknown;
}

export function expectXorResult(r: XorResult): void {
  expect(r.trained.testLoss).toBeLessThan(0.05);
  expect(r.trained.testAccuracy).toBe(1);
  expect(r.p.map(Math.round)).toEqual([0, 1, 1, 0]);
  expect(r.names).toEqual(["h.W", "h.b", "p.W", "p.b"]);
  expect(r.same).toBe(true);
  expect(r.error).toEqual({
    nn: true,
    diagnostics: [expect.objectContaining({ file: "bad.nn", line: 3, col: 7, code: "NN2003" })],
  });
}
