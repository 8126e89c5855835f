// What engines accept of a WebAssembly module: the limits of the JS API specification ("Limits"),
// which V8, SpiderMonkey and JavaScriptCore all enforce. A module past any of them fails to compile
// wherever it loads ("param count of 1001 exceeds internal limit of 1000"), so the encoder checks
// them as it writes a module and throws WasmTooLarge, saying which one a model passes; the model
// is then written for the JS target (codegen/index.ts). The schedule keeps kernels far below them
// (a fused expression holds at most 256 nodes); these are the last line, for what no one foresaw.
import type { Module } from "./module.ts";

export const WASM_LIMITS = {
  functions: 1_000_000,
  exports: 100_000,
  params: 1_000,
  /** params and locals of one function */
  locals: 50_000,
  bodyBytes: 7_654_321,
  moduleBytes: 1_073_741_824,
} as const;

const count = (n: number) => n.toLocaleString("en-US");

/** A module that engines would refuse: which limit it passes. */
export class WasmTooLarge extends Error {}

function past(what: string, n: number, limit: number, unit = ""): void {
  if (n > limit) throw new WasmTooLarge(`${what}: ${count(n)}${unit}, more than ${count(limit)}`);
}

/** Throws WasmTooLarge where the module's functions, exports, params or locals pass a limit. */
export function checkCounts(m: Module): void {
  const L = WASM_LIMITS;
  past("functions", m.imports.length + m.funcs.length, L.functions);
  past("exports", m.funcs.filter((f) => f.export !== undefined).length, L.exports);
  for (const f of m.funcs) {
    past(`params of ${f.name}`, f.params.length, L.params);
    past(`locals of ${f.name}`, f.params.length + f.locals.length, L.locals);
  }
}

/** Throws WasmTooLarge where `bytes` of `what` pass `limit`. */
export function checkBytes(what: string, bytes: number, limit: number): void {
  past(what, bytes, limit, " bytes");
}
