// Characters as data for sequence models: a vocabulary (the character of each index), a corpus (a
// list of words, or raw text) and the int windows a model's input declares, split into training
// and held-out sets the same way every run. Two kinds of model read characters:
//
//   next     input [batch, k] int, target [batch] int: every k-character context and the
//            character after it (makemore's data set: each word padded with the delimiter);
//   shifted  input [batch, T] int, target [batch, T] int: windows of T characters of the words
//            joined by the delimiter, and the same window moved on by one (GPT's data).
//
// This file works on strings (it runs in a browser too); src/train/words.ts reads the word list
// and text files.
import type { ModelIR } from "../ir/model.ts";
import { modelIndexBounds } from "../ir/model.ts";
import { isInt } from "../ops/leaves.ts";
import type { Dataset, Field, FloatArray } from "./data.ts";
import { dataError } from "./errors.ts";
import { mulberry32, permutation } from "./rng.ts";

/** A vocabulary: the character of each index, and the index that ends a word (null for raw text). */
export interface Vocab {
  chars: string[];
  end: number | null;
}

/** The word list's vocabulary: 0 is the delimiter `.`, 1-26 are a-z (makemore's). */
export const wordsVocab: Vocab = { chars: [...("." + "abcdefghijklmnopqrstuvwxyz")], end: 0 };

/** Text to train on: words (one example each, ended by the delimiter), or one raw text. */
export type Corpus =
  | { kind: "lines"; source: string; lines: string[]; lineNumbers?: number[] }
  | { kind: "raw"; source: string; text: string };

/** How a model reads characters, found from its one int input and its one int target. */
export interface SequenceStyle {
  kind: "next" | "shifted";
  /** characters per example: k, or T */
  context: number;
  input: string;
  target: string;
}

/** The seed of the held-out split: part of the data's definition, not of a run (as MNIST's). */
export const splitSeed = 1998;

/** The held-out fraction of text data when none is given: one word (or character) in ten. */
export const textHoldout = 0.1;

const at1 = (file: string) => ({ file, line: 1, col: 1 });

/**
 * Whether `model` reads characters, and how: one int input [batch, k] and one int target, [batch]
 * (next) or [batch, k] (shifted); NN6201 otherwise.
 */
export function sequenceStyle(
  model: ModelIR,
  doing = "--data words and text:FILE give characters as integers",
): SequenceStyle {
  const [x, ...moreX] = model.inputs;
  const [y, ...moreY] = model.targets;
  const fixed = (d: unknown): d is number => typeof d === "number";
  const k = x?.shape[1];
  if (x && y && moreX.length === 0 && moreY.length === 0 && isInt(x.node) && isInt(y.node)) {
    const [b, ...rest] = x.shape;
    const sameBatch = typeof b === "string" && y.shape[0] === b;
    if (sameBatch && rest.length === 1 && fixed(k)) {
      if (y.shape.length === 1) return { kind: "next", context: k, input: x.name, target: y.name };
      if (y.shape.length === 2 && y.shape[1] === k)
        return { kind: "shifted", context: k, input: x.name, target: y.name };
    }
  }
  const declared = [...model.inputs, ...model.targets]
    .map((l) => `\`${l.name}: [${l.shape.join(", ")}]${isInt(l.node) ? " int" : ""}\``)
    .join(", ");
  throw dataError(
    "NN6201",
    at1(model.file),
    `${doing}: the model \`${model.name}\` needs one input ` +
      "[batch, k] int and one target, [batch] int (the character after each context of k) or " +
      `[batch, k] int (each position's next character); it declares ${declared || "none"}`,
  );
}

/** The characters of `text` as code points, sorted. */
function charsOf(texts: readonly string[]): string[] {
  const seen = new Set<string>();
  for (const t of texts) for (const ch of t) seen.add(ch);
  return [...seen].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
}

/**
 * The vocabulary of a corpus: for lines, the delimiter (`.`, or a newline where a line holds a
 * `.`) at index 0 and the lines' characters after it, sorted; for raw text, its characters sorted.
 */
export function vocabOf(corpus: Corpus): Vocab {
  if (corpus.kind === "raw") return { chars: charsOf([corpus.text]), end: null };
  const chars = charsOf(corpus.lines);
  return { chars: [chars.includes(".") ? "\n" : ".", ...chars], end: 0 };
}

/** How a vocabulary reads in messages: `27 characters (. a b ... z)`. */
export function describeVocab(v: Vocab): string {
  const shown = v.chars.map((c) => JSON.stringify(c).slice(1, -1) || " ");
  const list = shown.length <= 30 ? shown.join(" ") : `${shown.slice(0, 28).join(" ")} ...`;
  return `${v.chars.length} characters (${list})`;
}

/** NN6202 where the model's tables or classes are fewer than the vocabulary's characters. */
export function checkVocabFits(model: ModelIR, style: SequenceStyle, vocab: Vocab, data: string) {
  const bounds = modelIndexBounds(model);
  for (const name of [style.input, style.target]) {
    const b = bounds.get(name);
    if (b === undefined || b >= vocab.chars.length) continue;
    throw dataError(
      "NN6202",
      at1(model.file),
      `the vocabulary of ${data} has ${describeVocab(vocab)}, but \`${name}\` of the model ` +
        `\`${model.name}\` takes indices below ${b} (its embedding or its classes are smaller than ` +
        `the vocabulary): give the model at least ${vocab.chars.length} rows and classes`,
    );
  }
}

/** Encodes `text` by `index`; NN6203 at the first character outside the vocabulary. */
function encode(
  text: string,
  index: Map<string, number>,
  where: (offset: number) => { file: string; line: number; col: number },
  vocab: Vocab,
): number[] {
  const out: number[] = [];
  let offset = 0;
  for (const ch of text) {
    const i = index.get(ch);
    if (i === undefined)
      throw dataError(
        "NN6203",
        where(offset),
        `${JSON.stringify(ch)} is not in the vocabulary the weights were trained with ` +
          `(${describeVocab(vocab)}); train on data of those characters, or train anew`,
      );
    out.push(i);
    offset += ch.length;
  }
  return out;
}

/** Line and column of `offset` in `text` (1-based). */
function placeOf(text: string, offset: number): { line: number; col: number } {
  let line = 1;
  let start = 0;
  for (let i = text.indexOf("\n"); i >= 0 && i < offset; i = text.indexOf("\n", i + 1)) {
    line++;
    start = i + 1;
  }
  return { line, col: offset - start + 1 };
}

/** A corpus encoded: each line's indices (lines), or the text's (raw). */
function encodeCorpus(corpus: Corpus, vocab: Vocab): number[][] {
  const index = new Map(vocab.chars.map((c, i) => [c, i]));
  if (corpus.kind === "raw")
    return [
      encode(
        corpus.text,
        index,
        (o) => ({ file: corpus.source, ...placeOf(corpus.text, o) }),
        vocab,
      ),
    ];
  return corpus.lines.map((line, r) =>
    encode(
      line,
      index,
      (o) => ({ file: corpus.source, line: corpus.lineNumbers?.[r] ?? r + 1, col: o + 1 }),
      vocab,
    ),
  );
}

/** Examples as rows: `x` holds each one's context (k indices), `y` what follows it (1 or k). */
class Rows {
  readonly x: FloatArray;
  readonly y: FloatArray;
  n = 0;
  constructor(
    rows: number,
    readonly k: number,
    readonly yWidth: number,
    f64: boolean,
  ) {
    const Array_ = f64 ? Float64Array : Float32Array;
    this.x = new Array_(rows * k);
    this.y = new Array_(rows * yWidth);
  }
}

/** Every k-character context of `word` padded with `end`, with the character after it. */
function nextOfWord(rows: Rows, word: number[], end: number): void {
  const k = rows.k;
  for (let i = 0; i <= word.length; i++, rows.n++) {
    for (let j = 0; j < k; j++) rows.x[rows.n * k + j] = i - k + j >= 0 ? word[i - k + j]! : end;
    rows.y[rows.n] = i < word.length ? word[i]! : end;
  }
}

/** Every k-character context of a stream and the character after it. */
function nextOfStream(rows: Rows, s: number[]): void {
  const k = rows.k;
  for (let i = k; i < s.length; i++, rows.n++) {
    for (let j = 0; j < k; j++) rows.x[rows.n * k + j] = s[i - k + j]!;
    rows.y[rows.n] = s[i]!;
  }
}

/** Windows of T characters of a stream, one after another, each with the window moved on by one. */
function shiftedOfStream(rows: Rows, s: number[]): void {
  const T = rows.k;
  for (let i = 0; i + T + 1 <= s.length; i += T, rows.n++)
    for (let j = 0; j < T; j++) {
      rows.x[rows.n * T + j] = s[i + j]!;
      rows.y[rows.n * T + j] = s[i + j + 1]!;
    }
}

/** Words joined by the delimiter, with one before the first and after the last: `.ab.c.`. */
function joined(words: number[][], end: number): number[] {
  const s = [end];
  for (const w of words) {
    for (const c of w) s.push(c);
    s.push(end);
  }
  return s;
}

function rowsOf(parts: number[][], style: SequenceStyle, end: number | null, f64: boolean): Rows {
  const k = style.context;
  if (end !== null && style.kind === "next") {
    const rows = new Rows(
      parts.reduce((a, w) => a + w.length + 1, 0),
      k,
      1,
      f64,
    );
    for (const w of parts) nextOfWord(rows, w, end);
    return rows;
  }
  const s = end !== null ? joined(parts, end) : parts.flat();
  if (style.kind === "next") {
    const rows = new Rows(Math.max(0, s.length - k), k, 1, f64);
    nextOfStream(rows, s);
    return rows;
  }
  const rows = new Rows(Math.max(0, Math.floor((s.length - 1) / k)), k, k, f64);
  shiftedOfStream(rows, s);
  return rows;
}

function dataset(rows: Rows, style: SequenceStyle, model: ModelIR, source: string): Dataset {
  const shapeOf = (name: string) =>
    [...model.inputs, ...model.targets].find((l) => l.name === name)!.shape;
  const field = (name: string, role: Field["role"], width: number, data: FloatArray): Field => ({
    name,
    role,
    width,
    shape: shapeOf(name),
    data,
  });
  const fields = [
    field(style.input, "input", rows.k, rows.x),
    field(style.target, "target", rows.yWidth, rows.y),
  ];
  return { source, n: rows.n, fields };
}

export interface TextData {
  train: Dataset;
  test: Dataset;
  vocab: Vocab;
  note: string;
}

export interface TextOptions {
  /** the fraction held out (default 0.1) */
  holdout?: number;
  /** encode with this vocabulary (a weights file's) instead of the corpus's own */
  vocab?: Vocab;
  dtype?: "f32" | "f64";
  /** the name of the data in messages: `words`, `text:names.txt` */
  spec: string;
}

/**
 * The training and held-out windows of `corpus` for `model`. Lines (words) are split by a fixed
 * permutation of the lines (seed 1998), the last `holdout` of them held out; raw text is split by
 * position, its last `holdout` held out (as nanoGPT's character data).
 */
export function textData(corpus: Corpus, model: ModelIR, options: TextOptions): TextData {
  const style = sequenceStyle(model, `--data ${options.spec} gives characters as integers`);
  const vocab = options.vocab ?? vocabOf(corpus);
  checkVocabFits(model, style, vocab, options.spec);
  const parts = encodeCorpus(corpus, vocab);
  const fraction = options.holdout ?? textHoldout;
  const f64 = options.dtype === "f64";
  let trainParts: number[][];
  let testParts: number[][];
  let split: string;
  if (corpus.kind === "lines") {
    const order = permutation(parts.length, mulberry32(splitSeed));
    const held = Math.round(parts.length * fraction);
    const pick = (from: number, to: number) =>
      Array.from(order.subarray(from, to), (i) => parts[i]!);
    trainParts = pick(0, parts.length - held);
    testParts = pick(parts.length - held, parts.length);
    split = `${trainParts.length} lines for training, ${held} held out (a fixed shuffle of the lines)`;
  } else {
    const s = parts[0]!;
    const cut = s.length - Math.round(s.length * fraction);
    trainParts = [s.slice(0, cut)];
    testParts = [s.slice(cut)];
    split = `${cut} characters for training, the last ${s.length - cut} held out`;
  }
  const end = corpus.kind === "lines" ? vocab.end : null;
  const rows = (parts: number[][]) => rowsOf(parts, style, end, f64);
  const train = dataset(rows(trainParts), style, model, options.spec);
  const test = dataset(rows(testParts), style, model, `${options.spec} (held out)`);
  if (train.n === 0)
    throw dataError(
      "NN6002",
      at1(corpus.source),
      `${options.spec} gives no training example of ${style.context + (style.kind === "shifted" ? 1 : 0)} ` +
        "characters: the text is too short for the model's context",
    );
  const what =
    style.kind === "next" ? `contexts of ${style.context}` : `windows of ${style.context}`;
  const note =
    `${options.spec}: ${split}; ${train.n} ${what} for training, ${test.n} held out; ` +
    `vocabulary of ${describeVocab(vocab)}`;
  return { train, test: test.n > 0 ? test : train, vocab, note };
}

/** Lines of a file that read as examples: every non-empty line without whitespace inside it. */
export function corpusOfText(text: string, source: string): Corpus {
  const normal = text.replace(/\r\n?/g, "\n");
  const lines: string[] = [];
  const lineNumbers: number[] = [];
  let asLines = true;
  normal.split("\n").forEach((line, i) => {
    if (line === "") return;
    if (/\s/.test(line)) asLines = false;
    lines.push(line);
    lineNumbers.push(i + 1);
  });
  return asLines && lines.length > 0
    ? { kind: "lines", source, lines, lineNumbers }
    : { kind: "raw", source, text: normal };
}

/** The word list as a corpus: lowercased, only the words of letters a-z. */
export function corpusOfWords(words: readonly string[], source = "words"): Corpus {
  const lines = words.map((w) => w.toLowerCase()).filter((w) => /^[a-z]+$/.test(w));
  return { kind: "lines", source, lines };
}

/** The vocabulary as a weights file's metadata keeps it: `vocab` (JSON list), `vocab_end`. */
export function vocabMetadata(v: Vocab): Record<string, string> {
  return {
    vocab: JSON.stringify(v.chars),
    ...(v.end !== null ? { vocab_end: String(v.end) } : {}),
  };
}

/** The vocabulary of a weights file's metadata, or null where it has none (or a malformed one). */
export function vocabFromMetadata(meta: Record<string, string>): Vocab | null {
  const text = meta["vocab"];
  if (text === undefined) return null;
  let chars: unknown;
  try {
    chars = JSON.parse(text);
  } catch {
    return null;
  }
  if (!Array.isArray(chars) || !chars.every((c) => typeof c === "string" && [...c].length === 1))
    return null;
  if (new Set(chars).size !== chars.length || chars.length === 0) return null;
  const end = meta["vocab_end"] === undefined ? null : Number(meta["vocab_end"]);
  if (end !== null && !(Number.isInteger(end) && end >= 0 && end < chars.length)) return null;
  return { chars: chars as string[], end };
}
