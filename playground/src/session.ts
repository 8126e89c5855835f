// What the training workers share: compiling a source for training, on the wasm target where the
// browser runs it (else JS), and a seeded order of examples.
import { compile, type Compiled } from "nnc";

export interface SourceSpec {
  source: string;
  file: string;
  model?: string;
  /** `auto`: wasm where the model is large enough to gain and the browser runs it */
  target: "js" | "wasm" | "auto";
}

/** The source compiled for `spec.target`; where its module does not load, for the JS target. */
export function compileForTraining(spec: SourceSpec): Compiled {
  const options = { file: spec.file, ...(spec.model ? { model: spec.model } : {}) };
  const compiled = compile(spec.source, { ...options, target: spec.target });
  if (compiled.target === "js") return compiled;
  try {
    compiled.load(); // compiles the WebAssembly: fails where the browser lacks SIMD
    return compiled;
  } catch (e) {
    const js = compile(spec.source, { ...options, target: "js" });
    const why = e instanceof Error ? e.message : String(e);
    return Object.assign(js, { targetNote: `this browser cannot run the wasm target (${why})` });
  }
}

/** A seeded uniform [0, 1) generator (xorshift32). */
export function seeded(seed: number): () => number {
  let x = (seed ^ 0x9e3779b9) >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 2 ** 32;
  };
}

/** Shuffles in place (Fisher-Yates). */
export function shuffleInPlace(a: Int32Array, rand: () => number): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
}

/** A shape as the sources write it: `scalar`, `[batch, 2]`. */
export const shapeText = (shape: readonly (number | string)[]): string =>
  shape.length === 0 ? "scalar" : `[${shape.join(", ")}]`;

/** The inputs and targets of a model with their shapes: `x: [batch, 2], y: scalar`. */
export const leavesText = (m: Compiled["model"]): string =>
  [...m.inputs, ...m.targets].map((l) => `${l.name}: ${shapeText(l.shape)}`).join(", ");

/** The message of anything thrown. */
export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
