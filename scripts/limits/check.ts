// `nnc check` at the largest param: README's "Limits" bounds its time and memory (at least 4 loss
// evaluations per param whatever its size, and only the probed elements copied). Kept apart from
// cases.ts, whose cases compile; these run the check of issue 21 at the sizes it names.
import { checkGradients } from "../../src/check.ts";
import { compile } from "../../src/compile.ts";
import type { Case, Outcome } from "./cases.ts";

/** `loss = sum(W * x)` with `W: [n, n]` (`= 1`: a loss of about 10^5 at n = 4096). */
export const sumOfProducts = (n: number, init = "") =>
  `model big {\n  input x: [${n}]\n  param W: [${n}, ${n}] ${init}\n  loss = sum(W * x)\n}\n`;

function check(source: string): Outcome {
  const rows = checkGradients(compile(source, { file: "big.nn", dtype: "f64" }));
  const bad = rows.find((r) => !r.ok);
  return bad ? { ok: false, code: "FAIL", message: bad.detail ?? "" } : { ok: true };
}

export const checkCases: Case[] = [
  {
    id: "check-4096",
    input: "`nnc check` of `sum(W * x)`, `W: [4096, 4096] = 1` (a loss of 1.6e5)",
    expect: "ok (the exact gradient passes)",
    run: () => check(sumOfProducts(4096, "= 1")),
  },
  {
    id: "check-16384",
    input: "`nnc check` of `sum(W * x)`, `W: [16384, 16384]` (the largest param)",
    expect: "ok in under 10 s, in memory of W and its gradient (4 GiB in f64) and little more",
    run: () => check(sumOfProducts(16384)),
  },
];
