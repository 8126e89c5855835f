// What every contender of the sequence workloads shares: the models (models/gpt.nn and
// models/makemore.nn, training at batch 32), their initial weights (nnc's own initialization,
// seed 1), the batches (synthetic: random tokens from a fixed seed, which is all a speed
// measurement needs), and these written as files for the contenders in other processes: a
// safetensors file of weights and tokens for PyTorch, and llm.c's flat parameter order for its C.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { compile } from "../src/index.ts";
import { encodeSafetensors, type Tensor } from "../src/train/safetensors.ts";
import { rng, type Weights } from "./common.ts";
import { BENCH_DIR } from "./lenet.ts";

export const SEQ_BATCH = 32;
export const VOCAB = 27;
/** batches made once, used in turn */
export const SEQ_BATCHES = 16;
/** training steps from the initial weights whose losses every contender reports */
export const SEQ_SANITY_STEPS = 3;

export interface SeqModel {
  key: "gpt" | "makemore";
  file: string;
  /** the input's and the target's names, and their numbers per example */
  input: string;
  target: string;
  context: number;
  targetsPerExample: number;
  /** what one example counts as: GPT trains on every position of its window, makemore on one */
  tokensPerExample: number;
}

export const SEQ_MODELS: SeqModel[] = [
  {
    key: "gpt",
    file: "models/gpt.nn",
    input: "idx",
    target: "next",
    context: 16,
    targetsPerExample: 16,
    tokensPerExample: 16,
  },
  {
    key: "makemore",
    file: "models/makemore.nn",
    input: "ctx",
    target: "next",
    context: 3,
    targetsPerExample: 1,
    tokensPerExample: 1,
  },
];

export function seqModel(key: string): SeqModel {
  const m = SEQ_MODELS.find((x) => x.key === key);
  if (!m) throw new Error(`no sequence workload ${key}`);
  return m;
}

export function seqSource(m: SeqModel): string {
  return readFileSync(new URL(`../${m.file}`, import.meta.url), "utf8");
}

/** The batches: inputs and targets of each, tokens below VOCAB from a fixed seed. */
export function seqBatches(m: SeqModel): { input: Int32Array; target: Int32Array }[] {
  const random = rng(20);
  const tokens = (n: number) => Int32Array.from({ length: n }, () => Math.floor(random() * VOCAB));
  return Array.from({ length: SEQ_BATCHES }, () => ({
    input: tokens(SEQ_BATCH * m.context),
    target: tokens(SEQ_BATCH * m.targetsPerExample),
  }));
}

/** The initial weights: what nnc's `createModel({ seed: 1 })` draws. */
export function seqWeights(m: SeqModel): Weights {
  const model = compile(seqSource(m), { file: m.file, target: "js" })
    .load()
    .createModel({ seed: 1 });
  const params = model.params as Record<string, Float32Array>;
  return Object.fromEntries(Object.entries(params).map(([k, v]) => [k, Float32Array.from(v)]));
}

/**
 * The weights and batches as one safetensors file (weights by nnc's names and layouts, dense W
 * [in, out]; batch k's tokens as `input.k` and `target.k`, floats) for a Python process.
 */
export function writeSeqFile(m: SeqModel): string {
  mkdirSync(BENCH_DIR, { recursive: true });
  const w = seqWeights(m);
  const tensors: Tensor[] = Object.entries(w).map(([name, data]) => ({
    name,
    shape: [data.length],
    data,
  }));
  seqBatches(m).forEach((b, k) => {
    tensors.push({ name: `input.${k}`, shape: [b.input.length], data: Float32Array.from(b.input) });
    tensors.push({
      name: `target.${k}`,
      shape: [b.target.length],
      data: Float32Array.from(b.target),
    });
  });
  const file = new URL(`${m.key}-bench.safetensors`, BENCH_DIR);
  writeFileSync(file, encodeSafetensors(tensors));
  return file.pathname;
}

/** gpt.nn's sizes, as llm.c's GPT2Config names them */
export const GPT = { layers: 4, heads: 4, channels: 64, context: 16, vocab: VOCAB };

/**
 * gpt.nn's initial weights in llm.c's order and layouts (its ParameterTensors: wte, wpe, then
 * each of ln1w, ln1b, qkvw, qkvb, attprojw, attprojb, ln2w, ln2b, fcw, fcb, fcprojw, fcprojb for
 * every layer, then lnfw, lnfb; a weight is [out, in], nnc's dense W is [in, out]), as raw f32,
 * and the batches' tokens as raw i32 (inputs, then targets, of each batch in turn).
 */
export function writeLlmcFiles(dir: string): { params: string; tokens: string } {
  const m = seqModel("gpt");
  const w = seqWeights(m);
  const get = (k: string) => {
    const v = w[k];
    if (!v) throw new Error(`gpt.nn has no param ${k}`);
    return v;
  };
  // W [in, out] as [out, in]
  const t = (k: string, rows: number, cols: number) => {
    const src = get(k);
    const out = new Float32Array(rows * cols);
    for (let i = 0; i < rows; i++)
      for (let o = 0; o < cols; o++) out[o * rows + i] = src[i * cols + o]!;
    return out;
  };
  const C = GPT.channels;
  const att = (l: number) => `x${2 * l + 1}`;
  const mlp = (l: number) => `x${2 * l + 2}`;
  const layers = Array.from({ length: GPT.layers }, (_, l) => l);
  const each = (f: (l: number) => Float32Array[]) => layers.flatMap(f);
  const parts: Float32Array[] = [
    get("wte"),
    get("wpe"),
    ...each((l) => [get(`${att(l)}.layernorm.gamma`)]),
    ...each((l) => [get(`${att(l)}.layernorm.beta`)]),
    ...each((l) => ["q", "k", "v"].map((h) => t(`${att(l)}.attention.${h}.W`, C, C))),
    ...each((l) => ["q", "k", "v"].map((h) => get(`${att(l)}.attention.${h}.b`))),
    ...each((l) => [t(`${att(l)}.attention.W`, C, C)]),
    ...each((l) => [get(`${att(l)}.attention.b`)]),
    ...each((l) => [get(`${mlp(l)}.layernorm.gamma`)]),
    ...each((l) => [get(`${mlp(l)}.layernorm.beta`)]),
    ...each((l) => [t(`${mlp(l)}.mlp.dense0.W`, C, 4 * C)]),
    ...each((l) => [get(`${mlp(l)}.mlp.dense0.b`)]),
    ...each((l) => [t(`${mlp(l)}.mlp.dense1.W`, 4 * C, C)]),
    ...each((l) => [get(`${mlp(l)}.mlp.dense1.b`)]),
    get("z.gamma"),
    get("z.beta"),
  ];
  const n = parts.reduce((a, p) => a + p.length, 0);
  const flat = new Float32Array(n);
  parts.reduce((at, p) => (flat.set(p, at), at + p.length), 0);
  const batches = seqBatches(m);
  const tokens = new Int32Array(batches.length * 2 * SEQ_BATCH * GPT.context);
  batches.forEach((b, k) => {
    tokens.set(b.input, 2 * k * b.input.length);
    tokens.set(b.target, (2 * k + 1) * b.input.length);
  });
  const files = { params: `${dir}/params.f32`, tokens: `${dir}/tokens.i32` };
  writeFileSync(files.params, new Uint8Array(flat.buffer));
  writeFileSync(files.tokens, new Uint8Array(tokens.buffer));
  return files;
}
