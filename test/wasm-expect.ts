// The assertion the kernel tests share (apart from wasm-helpers.ts, which the child process of
// the relaxed-SIMD test imports outside vitest).
import { expect } from "vitest";
import { maxRelError } from "./wasm-helpers.ts";

/** every element within `tol` of `want`, relative (an absolute floor of 1 near zero) */
export function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, tol = 2e-6): void {
  const e = maxRelError(got, want);
  expect(e.worst, `element ${e.at}: got ${got[e.at]}, want ${want[e.at]}`).toBeLessThanOrEqual(tol);
}
