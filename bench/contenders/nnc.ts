// nnc: the generated modules, compiled in-process with the batch size bound as a literal (the way
// `nnc compile --bind batch=64` ships a model), or left dynamic (`nnc-dynamic`), or bound but
// compiled with fusion off (`nnc-unfused`, as `nnc compile --no-fuse`); and on the wasm target as
// `nnc train` picks it (`--target auto`: WebAssembly SIMD for the MLPs, JS for the tiny models),
// dynamic (`nnc-wasm`, the default build) and bound (`nnc-wasm-bound`).
import { readFileSync } from "node:fs";
import { compile } from "../../src/index.ts";
import type { Weights } from "../common.ts";
import { LENET_FILE, lenetSource } from "../lenet.ts";
import type { Contender, LenetTrainer, Trainer } from "./contender.ts";

interface Model {
  params: Record<string, Float32Array>;
  forward(feed: Record<string, unknown>): Record<string, Float32Array>;
  grad(feed: Record<string, unknown>): unknown;
  trainStep(feed: Record<string, unknown>): number;
}
type Exports = { createModel(options: Record<string, unknown>): Model };

export function source(file: string): string {
  return readFileSync(new URL(file, import.meta.url), "utf8");
}

async function loadModel(
  file: string,
  batch: number | null,
  fuse: boolean,
  target: "js" | "auto",
): Promise<Exports> {
  const bind: Record<string, number> = batch === null ? {} : { batch };
  const compiled = compile(source(file), { file, dtype: "f32", bind, fuse, target });
  return (await compiled.load()) as unknown as Exports;
}

function copy(w: Weights): Weights {
  return Object.fromEntries(Object.entries(w).map(([k, v]) => [k, Float32Array.from(v)]));
}

function trainer(m: Model, rename: Record<string, string> = {}): Trainer {
  const feed: Record<string, Float32Array> = { x: new Float32Array(0), y: new Float32Array(0) };
  return {
    step(x, y) {
      feed.x = x;
      feed.y = y;
      m.trainStep(feed);
    },
    grad(x, y) {
      feed.x = x;
      feed.y = y;
      m.grad(feed);
    },
    weights: () =>
      Object.fromEntries(Object.entries(m.params).map(([k, v]) => [rename[k] ?? k, v.slice()])),
  };
}

export const VARIANTS = [
  "nnc",
  "nnc-dynamic",
  "nnc-unfused",
  "nnc-wasm",
  "nnc-wasm-bound",
] as const;
export type Variant = (typeof VARIANTS)[number];

/**
 * LeNet on `nnc` (the JS target, batch bound) and `nnc-wasm` (the wasm target, the default build:
 * batch dynamic). Where the wasm target cannot run the model yet, compile falls back to JS and
 * says why: that goes into the contender's notes.
 */
function lenet(variant: Variant): Pick<Contender, "lenet" | "lenetInfer" | "lenetNotes"> {
  if (variant !== "nnc" && variant !== "nnc-wasm") return {};
  const notes: string[] = [];
  const load = async (batch: number) => {
    const target = variant === "nnc" ? "js" : "wasm";
    const bind: Record<string, number> = variant === "nnc" ? { batch } : {};
    const compiled = compile(lenetSource(), { file: LENET_FILE, dtype: "f32", bind, target });
    const note = `ran on the ${compiled.target} target: ${compiled.targetNote ?? "compile chose it"}`;
    if (compiled.target !== target && !notes.includes(note)) notes.push(note);
    return (await compiled.load()) as unknown as Exports;
  };
  return {
    lenetNotes: notes,
    async lenet(init, batch): Promise<LenetTrainer> {
      const m = (await load(batch)).createModel({ params: copy(init), batch });
      const feed: Record<string, Float32Array> = { x: new Float32Array(0), y: new Float32Array(0) };
      const step = (x: Float32Array, y: Float32Array) => {
        feed.x = x;
        feed.y = y;
        return m.trainStep(feed);
      };
      return { step, stepWithLoss: step };
    },
    async lenetInfer(w, batch) {
      const m = (await load(batch)).createModel({ params: copy(w), batch });
      const feed: Record<string, Float32Array> = { x: new Float32Array(0) };
      return (x) => {
        feed.x = x;
        return m.forward(feed)["p"];
      };
    },
  };
}

export function nnc(variant: Variant): Contender {
  const dynamic = variant === "nnc-dynamic" || variant === "nnc-wasm";
  const fuse = variant !== "nnc-unfused";
  // the wasm contenders compile as `nnc train` does: wasm where the model gains from it
  const target = variant.startsWith("nnc-wasm") ? "auto" : "js";
  const bound = (batch: number) => (dynamic ? null : batch);
  const load = (file: string, batch: number | null) => loadModel(file, batch, fuse, target);
  return {
    name: variant,
    ...lenet(variant),
    async mlp(init, batch) {
      const mod = await load("../models/mlp.nn", bound(batch));
      return trainer(mod.createModel({ params: copy(init), batch }));
    },
    async mlpBn(init, batch) {
      const mod = await load("../models/mlp_bn.nn", bound(batch));
      return trainer(mod.createModel({ params: copy(init), batch }), {
        "h.dense.W": "h.W",
        "h.dense.b": "h.b",
      });
    },
    async infer(w, batch) {
      const mod = await load("../models/mlp.nn", bound(batch));
      const m = mod.createModel({ params: copy(w), batch });
      const feed: Record<string, Float32Array> = { x: new Float32Array(0) };
      return (x) => {
        feed.x = x;
        return m.forward(feed)["p"];
      };
    },
    async xor(init) {
      const mod = await load("../../models/xor.nn", bound(4));
      const m = mod.createModel({ params: copy(init), batch: 4 });
      const feed: Record<string, Float32Array> = { x: new Float32Array(0), y: new Float32Array(0) };
      return (x, y) => {
        feed.x = x;
        feed.y = y;
        m.trainStep(feed);
      };
    },
    async neuron() {
      const mod = await load("../../models/neuron.nn", null);
      const m = mod.createModel({});
      const feed = { x0: -1, x1: -2 };
      return () => m.grad(feed);
    },
  };
}
