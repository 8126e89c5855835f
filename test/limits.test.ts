// README's "Limits": each input that once hung nnc, exhausted its memory or took minutes either
// compiles or fails with a clear error at its own place. Times are not asserted here (`npm run
// limits` reports them); the work is counted instead, to show it grows linearly.
import { describe, expect, it } from "vitest";
import {
  attempt,
  cases,
  deepParens,
  doublingBlocks,
  fill,
  layers,
  longSum,
  straightLine,
} from "../scripts/limits/cases.ts";
import { blockShapes, deepest } from "../scripts/limits/commands.ts";
import { compile } from "../src/compile.ts";
import { interpret } from "../src/ir/interpret.ts";
import { nodesBuilt } from "../src/ir/node.ts";
import { lower, parseProgram } from "../src/parse/index.ts";

const run = (id: string) => {
  const c = cases.find((x) => x.id === id)!;
  return c.run(c.sizes?.test);
};

describe("size and time limits", () => {
  it("fills a constant-initialized param with one call, whatever its size", () => {
    for (const id of ["fill-4096", "fill-16384"]) {
      const r = run(id);
      expect(r.ok).toBe(true);
      expect(r.js).toBeLessThan(50_000);
    }
    expect(compile(fill(4096, 0.5)).js).toMatch(/\bW\w*\.fill\(0\.5\);/);
    const m = compile(fill(64, 0.5)).load().createModel({});
    expect(new Set(m.params["W"])).toEqual(new Set([0.5]));
    expect(
      compile(fill(64, 0))
        .load()
        .createModel({})
        .params["W"]!.every((v) => v === 0),
    ).toBe(true);
  });

  it.each([
    [
      "nodes",
      "doubling-blocks",
      /calling the block `b29` here builds more than 10,000 graph nodes in/,
    ],
    ["calls", "calls", /calling the block `b29` here inlines more than 10,000 block calls/],
  ])("stops block calls at the outermost call once they pass the limit of %s", (_, id, message) => {
    const c = cases.find((x) => x.id === id);
    const source = c ? c.source!(30) : blockShapes.find((s) => s.id === id)!.source(30);
    const line = source.split("\n").findIndex((l) => l.includes("= b29(x)")) + 1;
    expect(attempt(() => compile(source))).toMatchObject({
      ok: false,
      code: "NN3009",
      line,
      col: 7,
      message: expect.stringMatching(message),
    });
  });

  it("inlines blocks that double up to the limits, and computes them exactly", () => {
    // the largest of each shape compiles (one level more is NN3009, checked by deepest)
    expect(blockShapes.map((s) => [s.id, deepest(s)])).toEqual([
      ["calls", 13],
      ["double", 11],
      ["double-param", 12],
      ["fan4-param", 6],
      ["double-dense", 11],
      ["double-batchnorm", 9],
    ]);
    // ten levels (1,024 calls) compute 2^9 * (x * (1 + 3)^... ) exactly
    const m = compile(doublingBlocks(10)).load().createModel({});
    const h = m.forward({ x: [1, 0, 0, 0] })["h"] as Float32Array;
    expect(h[0]).toBe(2 * 4 ** 9);
  }, 60_000);

  it("compiles 2,000 straight-line statements, with work linear in their count", () => {
    expect(run("statements")).toMatchObject({ ok: true });
    const work = (n: number) => {
      const source = straightLine(n);
      const { matches, characters } = parseProgram(source, "lines.nn").work;
      compile(source);
      // the matcher reads each character once; nodes are built per statement
      expect(characters / source.length).toBeGreaterThan(0.5);
      expect(characters / source.length).toBeLessThan(1);
      return [matches, nodesBuilt()];
    };
    const [small, large] = [work(500), work(1000)];
    large.forEach((w, i) => expect(w / small[i]!).toBeGreaterThan(1.9));
    large.forEach((w, i) => expect(w / small[i]!).toBeLessThan(2.1));
  }, 120_000);

  it("compiles a sum of 2,000 terms and lowers one of 20,000, folding left to right", () => {
    expect(run("long-sum")).toMatchObject({ ok: true });
    const n = 20_000;
    const ir = lower(longSum(n), { file: "sum.nn" });
    const h = ir.infer.outputs[0]!.node;
    const x = Float64Array.of(0, 1, 2, 3);
    const value = interpret([h], { values: new Map([["x", x]]), dims: {} }).get(h)!.data;
    // x + 1 - 2 + 3 - ... - n = x - n/2
    expect(Array.from(value)).toEqual([0, 1, 2, 3].map((v) => v - n / 2));
    // each character is read about once (a part's hole and cut operator are the rest)
    const source = longSum(n);
    const { characters, matches } = parseProgram(source, "sum.nn").work;
    expect(characters / source.length).toBeGreaterThan(0.9);
    expect(characters / source.length).toBeLessThan(1.1);
    expect(matches).toBeLessThan(source.length / 400);
  }, 120_000);

  it("compiles 1,000-deep parentheses", () => {
    expect(run("deep-parens")).toMatchObject({ ok: true });
    const m = compile(deepParens(1000)).load().createModel({});
    expect(Array.from(m.forward({ x: [1, 2, 3, 4] })["h"] as Float32Array)).toEqual([3, 5, 7, 9]);
  });

  it("compiles a model of 300 dense layers", () => {
    expect(run("layers")).toMatchObject({ ok: true });
    expect(compile(layers(300)).model.params).toHaveLength(600);
  }, 120_000);

  it("caps --bind like a shape: a size over 2^28, or one that makes a tensor too large", () => {
    expect(run("bind-1e300")).toMatchObject({
      ok: false,
      code: "NN5001",
      message: expect.stringMatching(/--bind batch=1e\+300: the size must be at most 2\^28/),
    });
    const big = attempt(() => compile(layers(1), { bind: { batch: 2 ** 26 } }));
    expect(big).toMatchObject({
      ok: false,
      code: "NN3006",
      line: 2,
      message: expect.stringMatching(/with --bind batch=67108864, `x` of shape \[batch, 8\]/),
    });
  });
});
