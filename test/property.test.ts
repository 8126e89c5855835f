// Property: random small valid models compile, and their generated gradients agree with finite
// differences of their generated loss.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compile } from "../src/index.ts";
import { checkGradients } from "../src/check.ts";
import { losses, source, step, type Step } from "./random-models.ts";

describe("random models", () => {
  it("compile, and their gradients match finite differences", () => {
    fc.assert(
      fc.property(
        fc.array(step, { minLength: 1, maxLength: 6 }),
        fc.constantFrom(...losses),
        fc.integer({ min: 1, max: 1000 }),
        (steps, loss, seed) => {
          const src = source(steps as Step[], loss);
          const compiled = compile(src, { file: "random.nn", dtype: "f64" });
          const rows = checkGradients(compiled, { seed, samples: 6 });
          for (const r of rows) expect(r.worst, `${r.name} in\n${src}`).toBeLessThan(1e-4);
        },
      ),
      { numRuns: 40 },
    );
    // 40 compilations: seconds on a busy machine, more than vitest's default 5 s
  }, 60_000);
});
