// The goals of the MLP and small-model workloads (the issues before the CNNs), each a ratio taken
// within one run.
import { readFileSync } from "node:fs";
import { compile } from "../src/index.ts";
import type { Result, Target } from "./report.ts";

export function targets(results: Result[]): Target[] {
  const by = (c: string) => results.find((r) => r.contender === c)!;
  const nnc = by("nnc");
  const ratio = (c: string, k: string) => by(c).perCall[k]! / nnc.perCall[k]!;
  return [
    { what: "1. training vs tfjs-cpu", ratio: ratio("tfjs-cpu", "train"), goal: 5, atLeast: true },
    {
      what: "1. training vs tfjs-wasm",
      ratio: ratio("tfjs-wasm", "train"),
      goal: 1.3,
      atLeast: true,
    },
    {
      what: "1. training vs hand-written JS",
      ratio: ratio("hand-written JS", "train"),
      goal: 1,
      atLeast: true,
    },
    {
      what: "3. inference batch 1 vs tfjs-wasm",
      ratio: ratio("tfjs-wasm", "infer1"),
      goal: 0.9,
      atLeast: true,
    },
    {
      what: "4. xor trainStep vs tfjs-cpu",
      ratio: ratio("tfjs-cpu", "xor"),
      goal: 50,
      atLeast: true,
    },
    {
      what: "4. neuron grad vs tfjs-cpu",
      ratio: ratio("tfjs-cpu", "neuron"),
      goal: 50,
      atLeast: true,
    },
    ...wasmTargets(results),
    {
      what: "5. bytes allocated per training step",
      ratio: Math.max(0, nnc.alloc!.bytesPerStep),
      goal: 0,
      atLeast: false,
    },
    {
      what: "5. compile time of models/mnist.nn, warm (ms)",
      ratio: nnc.compileMs!["models/mnist.nn"]!.warm,
      goal: 200,
      atLeast: false,
    },
  ];
}

/** The wasm target's goals, each ratio taken within this run (the default build: dynamic). */
function wasmTargets(results: Result[]): Target[] {
  const by = (c: string) => results.find((r) => r.contender === c)!;
  const wasm = by("nnc-wasm");
  const speedup = (c: string, k: string) => by(c).perCall[k]! / wasm.perCall[k]!;
  const over = (a: Result, b: Result, k: string) => a.perCall[k]! / b.perCall[k]!;
  const goal = (what: string, ratio: number, g: number, atLeast = true): Target => ({
    what,
    ratio,
    goal: g,
    atLeast,
  });
  // "wasm no slower than the JS target, or JS chosen for them automatically"
  const small = (what: string, k: string, file: string): Target => {
    const url = new URL(file, import.meta.url);
    const chosen = compile(readFileSync(url, "utf8"), { file, target: "auto" }).target;
    return {
      ...goal(`${what}, default build vs JS target`, speedup("nnc-dynamic", k), 0.9),
      ...(chosen === "js" ? { met: "yes: auto picks JS" } : {}),
    };
  };
  return [
    goal("1. wasm training vs tfjs-wasm", speedup("tfjs-wasm", "train"), 8),
    goal("2. wasm batchnorm + Adam training vs tfjs-wasm", speedup("tfjs-wasm", "trainBn"), 6),
    goal("3. wasm inference batch 64 vs tfjs-wasm", speedup("tfjs-wasm", "infer64"), 1.2),
    goal(
      "3. wasm inference batch 64 vs ONNX Runtime",
      speedup("onnxruntime-node", "infer64"),
      0.35,
    ),
    goal("3. wasm inference batch 1 vs tfjs-wasm", speedup("tfjs-wasm", "infer1"), 2),
    goal("3. wasm inference batch 1 vs ONNX Runtime", speedup("onnxruntime-node", "infer1"), 1.5),
    small("4. xor trainStep", "xor", "../models/xor.nn"),
    small("4. neuron grad", "neuron", "../models/neuron.nn"),
    ...["train", "trainBn", "infer1"].flatMap((k) => [
      goal(`dynamic over bound, JS, ${k}`, over(by("nnc-dynamic"), by("nnc"), k), 1.2, false),
      goal(`dynamic over bound, wasm, ${k}`, over(wasm, by("nnc-wasm-bound"), k), 1.2, false),
    ]),
    goal(
      "5. compile time of models/mnist.nn to wasm, warm (ms)",
      wasm.compileMs!["models/mnist.nn"]!.warm,
      100,
      false,
    ),
  ];
}
