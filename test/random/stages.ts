// Every view of a compiled model that a command prints, so that no command can end in NN9000 on a
// model that compiles: `nnc grad` (the code, with the forward pass and the kernels, and --math),
// `nnc graph` (text and dot), `nnc stats`, `--emit wat`, the playground's graph data; and, for a
// chosen configuration, `nnc trace`, `nnc check` and `nnc export`.
import type { Compiled } from "../../src/compile.ts";
import { formatDerivation } from "../../src/codegen/index.ts";
import { graphText } from "../../src/cli/commands/graph.ts";
import { math } from "../../src/cli/commands/grad.ts";
import { graphData } from "../../src/graph.ts";
import { statsOf } from "../../src/stats.ts";
import { traceModel } from "../../src/trace.ts";
import { checkGradients } from "../../src/check.ts";
import { NnError } from "../../src/diagnostics.ts";
import { exportOnnx } from "../../src/export/onnx.ts";
import { exportTorch } from "../../src/export/torch.ts";
import { seededWeights } from "../../src/export/weights.ts";
import type { Reference } from "./reference.ts";

/**
 * Each view's text, by name; an exception propagates to the caller, which reports it. The wasm
 * target's text is long to print: it is printed when `wat` says.
 */
export function views(compiled: Compiled, o: { wat: boolean }): Record<string, string> {
  return {
    js: compiled.js,
    dts: compiled.dts,
    grad: compiled.gradCode(),
    "grad --forward --kernels": compiled.gradCode({ forward: true, kernels: true }),
    "grad --math": formatDerivation(compiled.derivation).join("\n"),
    "graph --backward": graphText(compiled, { backward: true, format: "text" }),
    "graph --format dot": graphText(compiled, { backward: true, format: "dot" }),
    stats: JSON.stringify(statsOf(compiled)),
    wat: o.wat ? compiled.wat() : "",
    "graph data": JSON.stringify(graphData(compiled, { backward: true })),
  };
}

/**
 * `nnc trace` and `nnc grad --math --at` at the reference's first values, `nnc check`, and
 * `nnc export` to ONNX (inference and training) and PyTorch. An export may refuse a model with a
 * coded error (no output to export), never with another exception.
 */
export function valueViews(compiled: Compiled, ref: Reference): Record<string, string> {
  const at = new Map<string, number>();
  for (const [name, v] of Object.entries(ref.feed)) at.set(name, typeof v === "number" ? v : v[0]!);
  const { model, grads } = compiled;
  return {
    trace: traceModel(compiled, at, 1),
    "grad --math --at": math(compiled, at).join("\n"),
    check: JSON.stringify(checkGradients(compiled, { seed: 2, samples: 4 })),
    torch: exported(() => exportTorch(model)),
    onnx: exported(() => exportOnnx(model, grads, { weights: seededWeights(compiled, 1) })),
    "onnx --training": exported(() => exportOnnx(model, grads, { training: true })),
  };
}

function exported(f: () => string | Uint8Array): string {
  try {
    return String(f().length);
  } catch (e) {
    if (e instanceof NnError && e.diagnostics.every((d) => d.code !== "NN9000")) return e.message;
    throw e;
  }
}
