// README's "Limits": each input that once hung nnc, exhausted its memory or took minutes either
// compiles or fails with a clear error at its own place. Times are not asserted here (`npm run
// limits` reports them); the work is counted instead, to show it grows linearly.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
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
import { MAX_FUSED, MAX_LOCALS } from "../src/codegen/schedule/plan.ts";
import { formatDerivation } from "../src/codegen/schedule/derivation.ts";
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
      /calling the block `b29` here builds more than 5,000 graph nodes in/,
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
      ["double", 10],
      ["double-param", 11],
      ["fan4-param", 6],
      ["double-dense", 10],
      ["double-batchnorm", 8],
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

  it("shows 120 characters of a long statement in an error, around its column", () => {
    // a sum of 2,000 terms (15,000 characters) with an unknown name at its end
    const source = longSum(2000).replace("- 2000", "- 2000 + nope");
    const message = (() => {
      try {
        compile(source, { file: "sum.nn" });
      } catch (e) {
        return (e as Error).message;
      }
    })()!;
    const [head, shown, caret] = message.split("\n") as [string, string, string];
    expect(head).toMatch(/^sum\.nn:3:\d+: error NN2001: unknown name `nope`/);
    expect(shown).toMatch(/^3 \| \.\.\./);
    expect(shown.length).toBeLessThanOrEqual("3 | ...".length + 120);
    expect(shown.slice(caret.indexOf("^"))).toBe("nope");
  });

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

/** A feed for every input and target of a generated module (named dims of size 2): a few
 * distinct values between -0.3 and 0.56 */
function feedOf(meta: { inputs: { name: string; shape: (number | string)[] }[] }) {
  const size = (shape: (number | string)[]) =>
    shape.reduce<number>((a, d) => a * (typeof d === "number" ? d : 2), 1);
  const values = (n: number) => Float32Array.from({ length: n }, (_, i) => (i % 7) / 7 - 0.3);
  return Object.fromEntries(meta.inputs.map((i) => [i.name, values(size(i.shape))]));
}

/** The most params a JS function of the module's top level takes. */
function widestFunction(js: string): number {
  const lists = [...js.matchAll(/^function \$\w+\(([^)]*)\)/gm)].map((m) => m[1]!.split(","));
  return Math.max(...lists.map((l) => l.length));
}

/** A training model of one [16384, 16384] param: with Adam, 4 GiB of params, gradient and slots. */
const huge = `model m {
  input x: [batch, 16384]
  target y: [batch, 16384]
  param W: [16384, 16384] = 0
  h = x @ W
  output h
  loss = mean(mse(h, y))
  optimizer = adam(lr: 0.1)
}
`;

describe("what engines accept", () => {
  // four calls a level, five levels: 1,024 params summed in one expression; a kernel taking them
  // all would have 1,026 params, which no engine compiles for wasm (V8 refuses a JS function past
  // 65,535); the schedule cuts the sum into kernels of at most MAX_FUSED nodes
  const wide = blockShapes.find((s) => s.id === "fan4-param")!.source(6);

  it.each(["js", "wasm"] as const)("sums 1,024 params in kernels engines accept (%s)", (target) => {
    const c = compile(wide, { target });
    expect(c.target).toBe(target);
    if (target === "js") expect(widestFunction(c.js)).toBeLessThanOrEqual(MAX_FUSED);
    const m = c.load().createModel({});
    const x = Float32Array.of(1, 2, 3, 4);
    expect(Array.from(m.forward({ x })["h"] as Float32Array)).toEqual([1024, 2048, 3072, 4096]);
    // loss = mean_j (1024 x_j)^2 / 4, so each leaf's w gets 2 / 4 * 1024 x_j * x_j
    const { grads } = m.grad({ x, y: new Float32Array(4) });
    const leaves = Object.keys(grads).filter((k) => k !== "s");
    expect(leaves).toHaveLength(1024);
    for (const k of leaves) expect(Array.from(grads[k]!)).toEqual([512, 2048, 4608, 8192]);
  });

  // an engine gives each local of a function a slot of its frame: past about 100,000 (V8, a 1 MB
  // stack) calling it overflows the stack, so past MAX_LOCALS numbers live in createModel's scope
  it("keeps a function's numbers in createModel's scope past MAX_LOCALS, with the same values", () => {
    const n = 1400;
    const lines = [
      "model m {",
      "  input x: scalar",
      "  target y: scalar",
      "  param w: scalar = 0.5",
    ];
    lines.push("  a0 = x * w");
    for (let i = 1; i < n; i++) lines.push(`  a${i} = tanh(a${i - 1}) * 0.5 + x`);
    lines.push(`  output a${n - 1}`, `  loss = mse(a${n - 1}, y)`);
    const c = compile([...lines, "  optimizer = sgd(lr: 0.1, momentum: 0.9)", "}"].join("\n"), {
      dtype: "f64",
    });
    for (const fn of c.js.split(/^ {2}function /m).slice(1))
      expect((fn.match(/^ {4}const /gm) ?? []).length).toBeLessThanOrEqual(MAX_LOCALS);
    expect(c.js).toMatch(/^ {2}let a1399 = 0;$/m);
    // a_i = tanh(a_{i-1}) / 2 + x, loss = (a_n - y)^2, and its derivative by the chain rule
    const [x, y] = [0.3, 0.1];
    const a = [x * 0.5];
    for (let i = 1; i < n; i++) a.push(Math.tanh(a[i - 1]!) * 0.5 + x);
    let d = 2 * (a[n - 1]! - y);
    for (let i = n - 1; i > 0; i--) d *= 0.5 * (1 - Math.tanh(a[i - 1]!) ** 2);
    const m = c.load().createModel({});
    expect(m.loss({ x, y })).toBeCloseTo((a[n - 1]! - y) ** 2, 12);
    expect(m.grad({ x, y }).grads["w"]![0]).toBeCloseTo(d * x, 12);
    m.trainStep({ x, y });
    expect(m.params["w"]![0]).toBeCloseTo(0.5 - 0.1 * d * x, 12);
  });

  it("writes a model whose wasm memory would pass 2 GiB for the JS target, saying why", () => {
    const c = compile(huge, { target: "wasm" });
    expect(c.target).toBe("js");
    expect(c.targetNote).toMatch(
      /the params, state and buffers of fixed size: 4,294,967,\d{3} bytes, more than 2,147,483,648/,
    );
  });

  // every shape of case that compiles (at 100 or its test size) and each block shape three
  // levels short of the deepest the limits accept: compiled for both targets, imported, run once,
  // with one result
  const compiling = cases.filter(
    (c, i) =>
      c.source &&
      c.id !== "long-sum-front-end" &&
      !c.expect.startsWith("NN") &&
      cases.findIndex((d) => d.source === c.source) === i,
  );
  const sources: [string, string][] = [
    ...compiling.map((c): [string, string] => [c.id, c.source!(Math.min(c.sizes!.test, 100))]),
    ...blockShapes.map((s): [string, string] => [s.id, s.source(deepest(s) - 3)]),
  ];

  it.each(sources)("%s: the same result on both targets", (_, source) => {
    const run = (target: "js" | "wasm") => {
      const c = compile(source, { target });
      expect(c.target).toBe(target);
      const feed = feedOf(c.load().meta);
      const m = c.load().createModel({ seed: 1 });
      if (c.model.train.loss) return [m.trainStep(feed), m.loss(feed)];
      return Object.values(m.forward(feed)).flatMap((v) => Array.from(v as Float32Array));
    };
    const [js, wasm] = [run("js"), run("wasm")];
    expect(js.every(Number.isFinite)).toBe(true);
    // f32 both, summed in other orders: equal to a few rounding errors
    wasm.forEach((v, i) =>
      expect(Math.abs(v - js[i]!)).toBeLessThan(1e-5 * Math.abs(js[i]!) + 1e-6),
    );
  });
});

// Math.max(...xs) and push(...xs) pass each element as an argument, on the stack: past about
// 100,000 they throw "Maximum call stack size exceeded". What grows with a model or a run is read
// by loops: a long softmax line, a long derivation (and a long trace, a long run's chart).
describe("arrays of any length, never spread on the stack", () => {
  const n = 200_000;
  it("interprets a softmax over 200,000 numbers", () => {
    const ir = lower(`model m {\n  input x: [${n}]\n  h = softmax(x)\n  output h\n}\n`, {
      file: "long.nn",
    });
    const h = ir.infer.outputs[0]!.node;
    const x = Float64Array.from({ length: n }, (_, i) => (i === 0 ? Math.log(n) : 0));
    const p = interpret([h], { values: new Map([["x", x]]), dims: {} }).get(h)!.data;
    // e^(ln n) = n against n - 1 ones: p_0 = n / (2n - 1)
    expect(p[0]).toBeCloseTo(n / (2 * n - 1), 9);
  });

  it("parses a sum of 130,000 terms: 130,000 operators at one level of one statement", () => {
    const source = longSum(130_000);
    const { characters } = parseProgram(source, "sum.nn").work;
    expect(characters / source.length).toBeGreaterThan(0.9);
    expect(characters / source.length).toBeLessThan(1.1);
  });

  it("has no Math.min(...xs) or Math.max(...xs) in the compiler", () => {
    const files = readdirSync("src", { recursive: true, encoding: "utf8" });
    const code = (f: string) =>
      readFileSync(join("src", f), "utf8")
        .split("\n")
        .filter((l) => !/^\s*(\/\/|\*|\/\*)/.test(l));
    const spreads = files
      .filter((f) => f.endsWith(".ts"))
      .flatMap((f) => code(f).filter((l) => /Math\.(min|max)\([^)]*\.\.\./.test(l)));
    expect(spreads).toEqual([]);
  });

  it("lays out a derivation of 200,000 equations", () => {
    const rows = Array.from({ length: n }, (_, i) => ({
      node: null,
      math: `d_a${i} = d_a${i + 1} * 2`,
      comment: i === 0 ? "line 1" : "",
    }));
    const text = formatDerivation(rows);
    expect(text).toHaveLength(n);
    expect(text[0]).toBe("d_a0 = d_a1 * 2  # line 1");
  });
});
