// Sampling from a model of characters: new words, one character at a time. The generated module
// has no sampler of its own; this one drives its `forward` (inference mode) with `count` samples in
// one batch, and draws each next character from the model's distribution at the last position.
//
//   next     input [batch, k] int, output [batch, V]: the context is the last k characters, padded
//            at the start with the delimiter (makemore's way);
//   shifted  input [batch, T] int, output [batch, T, V]: the characters so far, the delimiter
//            first, from position 0 (the last T of them once there are more), and the
//            distribution read at the last one. The positions after it are padded with the
//            delimiter and, in a causal model (the only kind that learns from targets moved on by
//            one), change nothing: nanoGPT's `generate`, at a fixed T.
//
// A temperature t draws with probabilities p^(1/t), renormalized (softmax(z / t) of logits z);
// t = 0 takes the most likely character. An output whose rows are distributions (a softmax) is
// read as probabilities, any other as logits. Browser-safe: no node import.
import type { FloatArray, InferenceModel } from "./types.ts";
import { mulberry32, type Random } from "./train/rng.ts";
import type { Vocab } from "./train/text.ts";

export type { Vocab } from "./train/text.ts";

export interface SampleOptions {
  /** how many samples (default 20) */
  count?: number;
  /** 1 samples the model's distribution, lower is more likely, 0 the most likely (default 1) */
  temperature?: number;
  /** seed of the draws (default 1): the same seed, the same samples */
  seed?: number;
  /** characters at most per sample (default 100); a sample also ends at the delimiter */
  maxLength?: number;
}

interface Shape {
  input: string;
  output: string;
  kind: "next" | "shifted";
  context: number;
  classes: number;
}

/** Which input and output of the model sampling reads, from its meta. */
function shapeOf(model: InferenceModel, vocab: Vocab): Shape {
  const meta = model.meta;
  const inputs = meta.inputs.filter((i) => i.role === "input");
  const x = inputs[0];
  const k = x?.shape[1];
  const b = x?.shape[0];
  const fail = (why: string) =>
    new Error(
      `sample needs a model of characters: one input [batch, k] int and an output [batch, V] ` +
        `or [batch, k, V] with V at least the vocabulary's ${vocab.chars.length}; ${why}`,
    );
  if (!x || inputs.length !== 1 || x.shape.length !== 2 || typeof k !== "number")
    throw fail(
      `the model \`${meta.name}\` has inputs ${inputs.map((i) => `${i.name}: [${i.shape.join(", ")}]`).join(", ") || "none"}`,
    );
  for (const o of meta.outputs) {
    const V = o.shape.at(-1);
    if (typeof V !== "number" || V < vocab.chars.length || o.shape[0] !== b) continue;
    if (o.shape.length === 2)
      return { input: x.name, output: o.name, kind: "next", context: k, classes: V };
    if (o.shape.length === 3 && o.shape[1] === k)
      return { input: x.name, output: o.name, kind: "shifted", context: k, classes: V };
  }
  throw fail(`no output of \`${meta.name}\` is one`);
}

/** Whether the row p[at .. at + n) is a distribution: no negative entry, summing to 1. */
function isDistribution(p: FloatArray, at: number, n: number): boolean {
  let sum = 0;
  for (let j = 0; j < n; j++) {
    const v = p[at + j]!;
    if (!(v >= 0)) return false;
    sum += v;
  }
  return Math.abs(sum - 1) < 1e-3;
}

/**
 * The index drawn from row `at` of `p` (V entries, of which the first `n` are the vocabulary's) at
 * temperature `t`: as p^(1/t) for probabilities, softmax(z / t) for logits.
 */
export function draw(p: FloatArray, at: number, n: number, t: number, rand: Random): number {
  const probs = isDistribution(p, at, n);
  const score = (j: number) => (probs ? Math.log(p[at + j]!) : p[at + j]!);
  let best = 0;
  for (let j = 1; j < n; j++) if (score(j) > score(best)) best = j;
  if (t === 0) return best;
  const top = score(best);
  let sum = 0;
  for (let j = 0; j < n; j++) sum += Math.exp((score(j) - top) / t);
  let u = rand() * sum;
  for (let j = 0; j < n; j++) {
    u -= Math.exp((score(j) - top) / t);
    if (u < 0) return j;
  }
  return best; // rounding left u at 0 or above: the last draw's share is the top's
}

function checkOptions(o: Required<SampleOptions>): void {
  const ok = (v: number, min: number, int: boolean) =>
    Number.isFinite(v) && v >= min && (!int || Number.isInteger(v));
  if (!ok(o.count, 1, true))
    throw new Error(`sample: count must be an integer of at least 1, got ${o.count}`);
  if (!ok(o.maxLength, 1, true))
    throw new Error(`sample: maxLength must be an integer of at least 1, got ${o.maxLength}`);
  if (!ok(o.temperature, 0, false))
    throw new Error(
      `sample: temperature must be a finite number of at least 0, got ${o.temperature}`,
    );
  if (!ok(o.seed, 0, true))
    throw new Error(`sample: seed must be an integer of at least 0, got ${o.seed}`);
}

/**
 * `count` new samples of `model` (made by a module's createModel, with trained weights) as
 * strings of the vocabulary's characters, each ended by the delimiter (not included) or by
 * `maxLength`. For a vocabulary without a delimiter (raw text), every sample starts after a
 * newline where the vocabulary has one (else after its first character) and runs `maxLength`.
 */
export function sample(model: InferenceModel, vocab: Vocab, options: SampleOptions = {}): string[] {
  const o = { count: 20, temperature: 1, seed: 1, maxLength: 100, ...options };
  checkOptions(o);
  const s = shapeOf(model, vocab);
  const n = o.count;
  const T = s.context;
  const V = vocab.chars.length;
  const start = vocab.end ?? Math.max(0, vocab.chars.indexOf("\n"));
  const rand = mulberry32(o.seed);
  const text: number[][] = Array.from({ length: n }, () => [start]);
  const done = new Uint8Array(n);
  const feed = new Int32Array(n * T);
  for (let step = 0, left = n; step < o.maxLength && left > 0; step++) {
    const len = text[0]!.length;
    // next: the last T characters, padded at the start; shifted: from position 0, padded after
    const w = Math.min(len, T);
    for (let i = 0; i < n; i++) {
      const seq = text[i]!;
      for (let j = 0; j < T; j++) {
        const from = s.kind === "next" ? len - T + j : len - w + j;
        feed[i * T + j] = from >= 0 && from < len ? seq[from]! : start;
      }
    }
    const p = model.forward({ [s.input]: feed })[s.output] as FloatArray;
    const pos = s.kind === "next" ? 0 : w - 1;
    const rowLength = s.kind === "next" ? s.classes : T * s.classes;
    for (let i = 0; i < n; i++) {
      if (done[i]) {
        text[i]!.push(start); // keeps every sample the same length; cut off below
        continue;
      }
      const c = draw(p, i * rowLength + pos * s.classes, V, o.temperature, rand);
      text[i]!.push(c);
      if (c === vocab.end) {
        done[i] = 1;
        left--;
      }
    }
  }
  return text.map((seq) => {
    const body = seq.slice(1);
    const stop = vocab.end === null ? -1 : body.indexOf(vocab.end);
    return (stop < 0 ? body : body.slice(0, stop)).map((c) => vocab.chars[c]!).join("");
  });
}
