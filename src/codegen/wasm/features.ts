// What the engine running the module supports, asked the only reliable way: does it validate a
// tiny module that uses the feature? Relaxed SIMD (fused multiply-add in the matrix product) is on
// in current browsers and needs a flag in Node 20 (--experimental-wasm-relaxed-simd); where it is
// missing, the kernels use the plain f32x4.mul + f32x4.add they are generated with by default.
import { get, op, type Code } from "./code.ts";
import { encode } from "./encode.ts";
import type { Module } from "./module.ts";

/** A module whose one function is f32x4.relaxed_madd(a, b, c). */
export function relaxedProbe(): Module {
  const params = ["a", "b", "c"].map((name) => ({ name, type: "v128" as const }));
  const body: Code = op("f32x4.relaxed_madd", ...params.map(get));
  return {
    memory: { min: 0 },
    imports: [],
    funcs: [{ name: "madd", params, results: ["v128"], locals: [], body }],
  };
}

let relaxed: boolean | undefined;

/** Whether this engine runs relaxed SIMD (asked once). */
export function hasRelaxedSimd(): boolean {
  relaxed ??= WebAssembly.validate(encode(relaxedProbe()));
  return relaxed;
}
