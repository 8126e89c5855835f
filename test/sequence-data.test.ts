// Characters as data (--data words, text:FILE), the vocabulary in the weights file, and sampling:
// windows checked against hand-made lists, the split against itself, the sampler against models
// whose distribution is set by hand.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { captureStdio } from "./capture.ts";
import { main } from "../src/cli/main.ts";
import { compile } from "../src/compile.ts";
import { NnError } from "../src/diagnostics.ts";
import { sample } from "../src/sample.ts";
import { decodeMetadata, encodeSafetensors } from "../src/train/safetensors.ts";
import {
  corpusOfText,
  corpusOfWords,
  textData,
  vocabFromMetadata,
  vocabMetadata,
  vocabOf,
  wordsVocab,
  type Vocab,
} from "../src/train/text.ts";
import { wordsCorpus } from "../src/train/words.ts";
import { Trainer } from "../src/train/trainer.ts";

const io = captureStdio();
const dir = mkdtempSync(join(tmpdir(), "nnc-seq-"));
const path = (name: string) => join(dir, name);

/** A model of characters whose logits are a table's rows: k = 1 (next) or [batch, T] (shifted). */
const bigram = (kind: "next" | "shifted", T = 1, V = 27) =>
  [
    "model bigram {",
    `  input ctx: [batch, ${T}] int`,
    `  target next: ${kind === "next" ? "[batch]" : `[batch, ${T}]`} int`,
    `  param W: [${V}, ${V}] = zeros`,
    kind === "next" ? `  z = reshape(gather(W, ctx), [batch, ${V}])` : "  z = gather(W, ctx)",
    "  p = softmax(z)",
    "  output p",
    "  loss = mean(cross_entropy(p, next))",
    "  optimizer = adam(lr: 0.01)",
    "}",
  ].join("\n");

/** A model of 3 characters of context, as makemore's (without its layers). */
const context3 = [
  "model ctx3 {",
  "  input ctx: [batch, 3] int",
  "  target next: [batch] int",
  "  e = ctx |> embedding(27, 4)",
  "  p = reshape(e, [batch, 12]) |> dense(27) |> softmax",
  "  output p",
  "  loss = mean(cross_entropy(p, next))",
  "}",
].join("\n");

const modelOf = (source: string) => compile(source, { file: "m.nn" }).model;
const rows = (data: Float32Array | Float64Array, width: number) =>
  Array.from({ length: data.length / width }, (_, r) =>
    Array.from(data.subarray(r * width, (r + 1) * width)),
  );

describe("text as int windows", () => {
  const words = corpusOfWords(["ab", "c"]);
  it("next: every context of k characters of each word padded with `.`, and the one after it", () => {
    const { train } = textData(words, modelOf(context3), { spec: "words", holdout: 0 });
    const got = rows(train.fields[0]!.data, 3).map((x, r) => [...x, train.fields[1]!.data[r]]);
    // ".ab." and ".c.", in the split's fixed order of the words
    const ab = [
      [0, 0, 0, 1],
      [0, 0, 1, 2],
      [0, 1, 2, 0],
    ];
    const c = [
      [0, 0, 0, 3],
      [0, 0, 3, 0],
    ];
    expect([[...ab, ...c].map(String), [...c, ...ab].map(String)]).toContainEqual(got.map(String));
  });

  it("shifted: the words joined by `.` in windows of T, each with the window moved on by one", () => {
    const one = corpusOfWords(["abcdefg"]);
    const { train } = textData(one, modelOf(bigram("shifted", 3)), {
      spec: "words",
      holdout: 0,
    });
    // .abcdefg. = 0 1 2 3 4 5 6 7 0: windows at 0 and 3 (the one at 6 has no next character)
    expect(rows(train.fields[0]!.data, 3)).toEqual([
      [0, 1, 2],
      [3, 4, 5],
    ]);
    expect(rows(train.fields[1]!.data, 3)).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
  });

  it("splits by word: a word's characters are all for training or all held out", () => {
    const letters = [..."abcdefghij"].map((c) => c.repeat(3));
    const { train, test } = textData(corpusOfWords(letters), modelOf(bigram("next")), {
      spec: "words",
      holdout: 0.3,
    });
    const seen = (d: Float32Array | Float64Array) => new Set([...d].filter((c) => c !== 0));
    const [a, b] = [seen(train.fields[1]!.data), seen(test.fields[1]!.data)];
    expect([a.size, b.size]).toEqual([7, 3]);
    expect([...a].filter((c) => b.has(c))).toEqual([]);
  });

  it("the word list: lowercase a-z words, split the same way every run", () => {
    const corpus = wordsCorpus();
    expect(corpus.kind === "lines" && corpus.lines.length).toBe(274937);
    const m = modelOf(bigram("next"));
    const a = textData(corpus, m, { spec: "words" });
    const b = textData(corpus, m, { spec: "words" });
    const same = (x: Float32Array | Float64Array, y: Float32Array | Float64Array) =>
      x.length === y.length && x.every((v, i) => v === y[i]);
    expect(same(a.train.fields[0]!.data, b.train.fields[0]!.data)).toBe(true);
    expect(same(a.test.fields[1]!.data, b.test.fields[1]!.data)).toBe(true);
    expect(a.vocab).toEqual(wordsVocab);
    // one example per character and per word (its end): 2,812,697 in all, ~10% held out
    expect(a.train.n + a.test.n).toBe(2812697);
    expect(a.test.n / (a.train.n + a.test.n)).toBeCloseTo(0.1, 2);
  }, 60_000);

  it("splits the lines of a file by a fixed shuffle, and raw text by position", () => {
    const names = Array.from(
      { length: 40 },
      (_, i) => `n${String.fromCharCode(97 + (i % 26))}${i}`,
    );
    const lines = corpusOfText(names.join("\r\n") + "\n", "names.txt");
    expect(lines.kind).toBe("lines");
    const v = vocabOf(lines);
    expect(v.chars.slice(0, 4)).toEqual([".", "0", "1", "2"]);
    expect(v.end).toBe(0);
    const raw = corpusOfText("to be or not to be\nthat is the question\n", "hamlet.txt");
    expect(raw.kind).toBe("raw");
    expect(vocabOf(raw)).toEqual({ chars: [..."\n abehinoqrstu"], end: null });
    const { train, test } = textData(raw, modelOf(bigram("next", 1, 14)), {
      spec: "text:hamlet.txt",
      holdout: 0.25,
    });
    // 40 characters: the first 30 train (29 pairs), the last 10 test (9 pairs)
    expect([train.n, test.n]).toEqual([29, 9]);
    expect(train.fields[0]!.data[0]).toBe(vocabOf(raw).chars.indexOf("t"));
  });
});

describe("errors of text data", () => {
  const thrown = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      expect(e).toBeInstanceOf(NnError);
      return (e as NnError).diagnostics[0]!;
    }
    throw new Error("no error");
  };
  it.each([
    [
      "a model that does not read characters",
      () =>
        textData(corpusOfWords(["a"]), modelOf(readFileSync("models/xor.nn", "utf8")), {
          spec: "words",
        }),
      "NN6201",
      /needs one input \[batch, k\] int .* it declares `x: \[batch, 2\]`, `y: \[batch, 1\]`/,
    ],
    [
      "a vocabulary larger than the model's embedding",
      () =>
        textData(corpusOfText("abcdefghijklmnopqrstuvwxyz0123\n", "f.txt"), modelOf(context3), {
          spec: "text:f.txt",
        }),
      "NN6202",
      /has 31 characters .* but `ctx` .* takes indices below 27 .* at least 31 rows/,
    ],
    [
      "a character the weights' vocabulary does not have",
      () =>
        textData(corpusOfText("abc\nabd\n", "f.txt"), modelOf(context3), {
          spec: "text:f.txt",
          vocab: { chars: [..."abc."], end: 3 },
        }),
      "NN6203",
      /"d" is not in the vocabulary the weights were trained with \(4 characters/,
    ],
  ])("%s", (_, f, code, message) => {
    const d = thrown(f);
    expect(d.code).toBe(code);
    expect(d.message).toMatch(message);
  });

  it("NN6203 names the line and column of the character", () => {
    const d = thrown(() =>
      textData(corpusOfText("ab\n\nabd\n", "f.txt"), modelOf(context3), {
        spec: "text:f.txt",
        vocab: { chars: [..."abc."], end: 3 },
      }),
    );
    expect([d.file, d.line, d.col]).toEqual(["f.txt", 3, 3]);
  });
});

describe("the vocabulary in a weights file", () => {
  it.each<[string, Vocab]>([
    ["words", wordsVocab],
    ["raw text with quotes and newlines", { chars: [..."\n \"'\\é𝟘"], end: null }],
  ])("round-trips through __metadata__: %s", (_, v) => {
    const bytes = encodeSafetensors(
      [{ name: "W", shape: [1], data: new Float32Array(1) }],
      vocabMetadata(v),
    );
    expect(vocabFromMetadata(decodeMetadata(bytes))).toEqual(v);
  });
  it.each([
    ["no vocab", {}],
    ["not JSON", { vocab: "[a" }],
    ["a string of two characters", { vocab: '["ab"]' }],
    ["a character twice", { vocab: '["a","a"]' }],
    ["an end outside it", { vocab: '["a"]', vocab_end: "1" }],
  ])("reads none from %s", (_, meta) => {
    expect(vocabFromMetadata(meta)).toBeNull();
  });
});

/** W of a bigram model: row `from` puts `logits` on its columns, -30 on the rest. */
function table(V: number, rowsOf: Record<number, Record<number, number>>): Float32Array {
  const W = new Float32Array(V * V).fill(-30);
  for (const [from, to] of Object.entries(rowsOf))
    for (const [c, z] of Object.entries(to)) W[Number(from) * V + Number(c)] = z;
  return W;
}

describe("sample", () => {
  const V = 27;
  const ab = { chars: wordsVocab.chars, end: 0 };
  // `.` -> a (3/4) or b (1/4); a -> `.`; b -> `.`
  const W = table(V, { 0: { 1: Math.log(0.75), 2: Math.log(0.25) }, 1: { 0: 0 }, 2: { 0: 0 } });
  const next = compile(bigram("next"), { file: "b.nn" }).load();
  const m = next.createModel({ params: { W } });

  it("draws from the model's distribution: a 3/4 of the time, b 1/4", () => {
    const words = sample(m, ab, { count: 4000, seed: 7 });
    const share = words.filter((w) => w === "a").length / words.length;
    expect(words.every((w) => w === "a" || w === "b")).toBe(true);
    expect(Math.abs(share - 0.75)).toBeLessThan(3 * Math.sqrt((0.75 * 0.25) / 4000));
  });

  it("temperature 1/2 squares the probabilities (9/10 and 1/10); 0 takes the argmax", () => {
    const words = sample(m, ab, { count: 4000, seed: 3, temperature: 0.5 });
    const share = words.filter((w) => w === "a").length / words.length;
    expect(Math.abs(share - 0.9)).toBeLessThan(3 * Math.sqrt((0.9 * 0.1) / 4000));
    expect(sample(m, ab, { count: 50, temperature: 0 })).toEqual(Array(50).fill("a"));
  });

  it("the same seed gives the same samples; another seed others", () => {
    const a = sample(m, ab, { count: 64, seed: 1 });
    expect(sample(m, ab, { count: 64, seed: 1 })).toEqual(a);
    expect(sample(m, ab, { count: 64, seed: 2 })).not.toEqual(a);
  });

  it("slides the window of a model of [batch, T]: the last T characters from position 0", () => {
    // . -> a -> b -> c -> d -> e -> . with T = 2: every step reads the last position it fed
    const chain = table(V, {
      0: { 1: 0 },
      1: { 2: 0 },
      2: { 3: 0 },
      3: { 4: 0 },
      4: { 5: 0 },
      5: { 0: 0 },
    });
    const shifted = compile(bigram("shifted", 2), { file: "s.nn" }).load();
    const g = shifted.createModel({ params: { W: chain } });
    expect(sample(g, ab, { count: 3, temperature: 0.8 })).toEqual(["abcde", "abcde", "abcde"]);
  });

  it("stops at maxLength without a delimiter, and refuses a model that reads no characters", () => {
    const loop = table(V, { 0: { 1: 0 }, 1: { 1: 0 } });
    const g = next.createModel({ params: { W: loop } });
    expect(sample(g, ab, { count: 2, maxLength: 5 })).toEqual(["aaaaa", "aaaaa"]);
    const xor = compile(readFileSync("models/xor.nn", "utf8")).load().createModel({ seed: 1 });
    expect(() => sample(xor, ab)).toThrow(/sample needs a model of characters/);
  });
});

describe("nnc train --data text:FILE, nnc sample, nnc eval", () => {
  const names = path("names.txt");
  writeFileSync(names, ["ava", "emma", "olivia", "mia", "ella", "ada", "amelia", "eva"].join("\n"));
  const model = path("bigram.nn");
  writeFileSync(model, bigram("next"));
  const weights = path("w.safetensors");

  it("trains --steps N, keeps the vocabulary, and nnc sample and nnc eval read it", async () => {
    expect(
      await main([
        "train",
        model,
        "--data",
        `text:${names}`,
        "--steps",
        "30",
        "--batch",
        "8",
        "--save",
        weights,
        "--json",
      ]),
    ).toBe(0);
    expect(io.out).toMatch(
      /7 lines for training, 1 held out .* vocabulary of 9 characters \(\. a d e i l m o v\)/,
    );
    expect(io.out).toMatch(/30 steps \(\d+ epochs of up to \d+\) of batches of up to 8/);
    const loss = JSON.parse(io.out.trim().split("\n").at(-1)!).test_loss;
    expect(vocabFromMetadata(decodeMetadata(readFileSync(weights)))?.chars.join("")).toBe(
      ".adeilmov",
    );
    io.out = "";
    expect(await main(["sample", model, "--load", weights, "--count", "12", "--seed", "5"])).toBe(
      0,
    );
    const words = io.out.trim().split("\n");
    expect(words).toHaveLength(12);
    expect(words.join("")).toMatch(/^[adeilmov]*$/);
    io.out = "";
    expect(
      await main(["eval", model, "--load", weights, "--data", `text:${names}`, "--json"]),
    ).toBe(0);
    expect(JSON.parse(io.out).test_loss).toBeCloseTo(loss, 5);
  });

  it("nnc sample refuses weights without a vocabulary (NN6204)", async () => {
    const init = path("init.safetensors");
    expect(await main(["init", model, "--save", init])).toBe(0);
    expect(await main(["sample", model, "--load", init])).toBe(1);
    expect(io.err).toMatch(/init\.safetensors:1:1: error NN6204: these weights keep no vocabulary/);
  });

  it("nnc sample refuses a model that reads no characters (NN6201), before reading weights", async () => {
    expect(await main(["sample", "models/xor.nn", "--load", path("none.safetensors")])).toBe(1);
    expect(io.err).toMatch(
      /models\/xor\.nn:1:1: error NN6201: nnc sample draws characters: the model `xor` needs one input/,
    );
  });

  it("--steps runs exactly that many steps across epochs, the schedule's length", () => {
    const compiled = compile(bigram("next"));
    const { train, test } = textData(corpusOfWords(["abc", "de"]), compiled.model, {
      spec: "words",
      holdout: 0,
    });
    const t = new Trainer(compiled, train, test, { epochs: 1, steps: 7, batch: 2, seed: 1 });
    // 7 contexts in batches of 2: 3 steps an epoch (a last batch of one is left out)
    expect(t.stepsPerEpoch).toBe(3);
    expect(t.epochs).toBe(3);
    const h = t.run();
    expect(h.steps).toHaveLength(7);
    expect(h.epochs).toHaveLength(4);
  });
});
