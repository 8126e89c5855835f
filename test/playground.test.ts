// The playground's logic, apart from the browser: the links that hold the source, the editor's
// tokens and diagnostic ranges, the line links of the gradient code, the optimizer control, the
// decision regions, the digits file, and training on toy data and digits in the worker's session.
// (The page itself is tested in Chromium: playground/e2e/, `npm run test:e2e`.)
import { Text } from "@codemirror/state";
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { compile } from "../src/index.ts";
import { mnist } from "../src/node.ts";
import { linkCode, linkDerivation } from "../playground/src/code-view.ts";
import { decodeDigits, encodeDigits, toMnist } from "../playground/src/digits.ts";
import { diagnosticRange } from "../playground/src/editor.ts";
import { boundsOf, classify, gridPoints } from "../playground/src/heat.ts";
import { MnistSession } from "../playground/src/mnist-session.ts";
import { modelFiles, modelNames } from "../playground/src/models.ts";
import { keywords, tokensOf } from "../playground/src/nn-language.ts";
import {
  choiceOf,
  optimizerOf,
  optimizerText,
  withOptimizer,
} from "../playground/src/optimizer-edit.ts";
import { decodeState, encodeState } from "../playground/src/share.ts";
import { TextSession } from "../playground/src/text-session.ts";
import { ToySession, type ToySetup } from "../playground/src/toy-session.ts";

const read = (path: string) => readFileSync(path, "utf8");

/** The first index where two arrays differ (-1: none; their length where one is longer). */
function firstDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (!Object.is(a[i], b[i])) return i;
  return a.length === b.length ? -1 : n;
}

describe("links", () => {
  it.each([
    ["a model of models/", read("models/mnist.nn")],
    ["any text", "model m {\n  # ünïcødé ✓ — 𝑥\n}\n".repeat(40)],
    ["an empty source", ""],
  ])("hold %s, deflated, with the model and the tab", async (_, source) => {
    const hash = await encodeState({ source, file: "mine.nn", model: "m", tab: "train" }, false);
    expect(hash).toMatch(/^#z=[A-Za-z0-9_-]*&file=mine\.nn&model=m&tab=train$/);
    expect(await decodeState(hash)).toEqual({ source, file: "mine.nn", model: "m", tab: "train" });
  });

  it("name an unchanged file of models/ instead of holding it", async () => {
    const hash = await encodeState({ source: "...", file: "models/xor.nn", tab: "graph" }, true);
    expect(hash).toBe("#file=models%2Fxor.nn&tab=graph");
    expect(await decodeState(hash)).toEqual({ file: "models/xor.nn", tab: "graph" });
  });

  it("read plain sources too, and give nothing for a damaged or empty link", async () => {
    const plain = `#src=${Buffer.from("model m {}").toString("base64url")}`;
    expect((await decodeState(plain))?.source).toBe("model m {}");
    expect(await decodeState("#z=%%%")).toBeNull();
    expect(await decodeState("#z=AAAA")).toBeNull();
    expect(await decodeState("")).toBeNull();
  });
});

describe("the editor", () => {
  it("takes its keywords from the grammar", () => {
    const grammar = read("grammar/nn.ohm");
    for (const k of keywords) expect(grammar).toContain(`kw<"${k}">`);
    expect([...keywords].sort()).toEqual(
      ["block", "input", "loss", "metric", "model", "optimizer", "output", "param", "return"]
        .concat(["scalar", "target", "int"])
        .sort(),
    );
  });

  it.each<[string, [string, string | null][]]>([
    [
      "  h = x |> dense(4) |> sigmoid   # a layer",
      [
        ["h", "def"],
        ["=", "operator"],
        ["x", "variableName"],
        ["|>", "operator"],
        ["dense", "callee"],
        ["(", "bracket"],
        ["4", "number"],
        [")", "bracket"],
        ["|>", "operator"],
        ["sigmoid", "variableName"],
        ["# a layer", "comment"],
      ],
    ],
    [
      "param w0: scalar = 2e-3",
      [
        ["param", "keyword"],
        ["w0", "def"],
        [":", "punctuation"],
        ["scalar", "keyword"],
        ["=", "operator"],
        ["2e-3", "number"],
      ],
    ],
    [
      "optimizer = sgd(lr: 0.5) // rate",
      [
        ["optimizer", "keyword"],
        ["=", "operator"],
        ["sgd", "callee"],
        ["(", "bracket"],
        ["lr", "argName"],
        [":", "punctuation"],
        ["0.5", "number"],
        [")", "bracket"],
        ["// rate", "comment"],
      ],
    ],
    [
      "loss = mean(h.W @ p.b ^ 2)",
      [
        ["loss", "keyword"],
        ["=", "operator"],
        ["mean", "callee"],
        ["(", "bracket"],
        ["h.W", "variableName"],
        ["@", "operator"],
        ["p.b", "variableName"],
        ["^", "operator"],
        ["2", "number"],
        [")", "bracket"],
      ],
    ],
  ])("colours %j", (line, tokens) => {
    expect(tokensOf(line)).toEqual(tokens);
  });

  it("underlines a diagnostic from its column to the end of the word there", () => {
    const doc = Text.of(["model m {", "  h = sigmod(x)", "}"]);
    const at = (line: number, col: number) => {
      const r = diagnosticRange(doc, line, col);
      return doc.sliceString(r.from, r.to);
    };
    expect(at(2, 7)).toBe("sigmod");
    expect(at(2, 14)).toBe("x");
    expect(at(2, 15)).toBe(")");
    expect(at(3, 1)).toBe("}");
    expect(at(3, 40)).toBe("}"); // past the end: the line's last character
    expect(at(9, 1)).toBe("}"); // past the last line: the last line
  });
});

describe("the picker", () => {
  it("lists every file of models/, and the models each defines", () => {
    const files = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory()
          ? files(`${dir}/${e.name}`)
          : e.name.endsWith(".nn")
            ? [`${dir}/${e.name}`]
            : [],
      );
    expect(modelFiles.map((f) => f.path).sort()).toEqual(files("models").sort());
    expect(modelFiles[0]!.path).toMatch(/^models\/[^/]+$/);
    for (const f of modelFiles) expect(f.source).toBe(read(f.path));
    expect(modelNames(read("models/spiral.nn"))).toEqual(["spiral", "linear"]);
    expect(modelNames(read("models/experiments/deep.nn"))).toEqual([
      "deep_sigmoid",
      "deep_relu",
      "deep_sigmoid_bn",
    ]);
  });
});

describe("the gradient code's line links", () => {
  it("give each line of the generated grad the .nn line of its statement", () => {
    const c = compile(read("models/xor.nn"), { file: "xor.nn" });
    const code = linkCode(c.gradCode({ forward: true, kernels: true }));
    const lineOf = (re: RegExp) => code.find((l) => re.test(l.text))?.line;
    expect(lineOf(/\$matmul_nn_bias_sigmoid/)).toBe(5); // h = x |> dense(4) |> sigmoid
    expect(lineOf(/\$matmul_tn_2xbatchx4\(x, d_h_pre, d_h_W/)).toBe(5);
    expect(lineOf(/\$matmul_tn_4xbatchx1\(h, d_p_pre, d_p_W/)).toBe(6);
    expect(lineOf(/d_p_pre = \(p - y\)/)).toBe(8); // the comment of loss = mean(bce(p, y))
    expect(code[0]!.line).toBeUndefined(); // the function's head
    const kernel = code.findIndex((l) => /^function \$matmul/.test(l.text));
    expect(code.slice(kernel).every((l) => l.line === undefined)).toBe(true);
  });

  it("give each equation of the derivation the line of its group", () => {
    const c = compile(read("models/mnist.nn"), { file: "mnist.nn" });
    const rows = linkDerivation(c.derivation);
    const lineOf = (math: RegExp) => rows.find((r) => math.test(r.text))?.line;
    expect(rows[0]).toMatchObject({ text: "d_loss = 1", line: undefined });
    expect(lineOf(/^d_z = /)).toBe(10);
    expect(lineOf(/^d_z\.W = /)).toBe(7);
    expect(lineOf(/^d_h\.dense\.W = /)).toBe(6);
  });
});

describe("the optimizer control", () => {
  const spiral = read("models/spiral.nn");

  it("rewrites the optimizer of the model it trains, and no other", () => {
    const edited = withOptimizer(spiral, "linear", optimizerText("adam", 0.01));
    expect(optimizerOf(edited, "linear")).toBe("adam(lr: 0.01)");
    expect(optimizerOf(edited, "spiral")).toBe("sgd(lr: 1.0)");
    expect(edited.split("\n").length).toBe(spiral.split("\n").length);
    expect(compile(edited, { model: "linear" }).model.optimizer).toMatchObject({
      kind: "adam",
      lr: 0.01,
    });
    expect(optimizerOf(withOptimizer(spiral, undefined, "rmsprop(lr: 1)"), "spiral")).toBe(
      "rmsprop(lr: 1)",
    );
  });

  it("adds one where the model has none", () => {
    const source = "model m {\n  input x: [batch, 2]\n  output x\n}\n";
    const edited = withOptimizer(source, "m", optimizerText("momentum", 0.5));
    expect(edited).toBe(
      "model m {\n  input x: [batch, 2]\n  output x\n  optimizer = sgd(lr: 0.5, momentum: 0.9)\n}\n",
    );
  });

  it.each([
    ["sgd(lr: 0.5, momentum: 0.9)", "momentum"],
    ["sgd(lr: 0.5, momentum: 0)", "sgd"],
    ["sgd(lr: 0.5)", "sgd"],
    ["adamw(lr: 1e-3, weight_decay: 0.1)", "adamw"],
    ["adam(lr: 0.002, schedule: cosine)", "adam"],
    ["rmsprop(lr: 0.01)", "rmsprop"],
  ])("reads %s as %s", (text, choice) => {
    expect(choiceOf(text)).toBe(choice);
  });
});

describe("the decision regions", () => {
  it("classify each cell with a confidence from a tie (0) to certain (1)", () => {
    const probs = classify([0.2, 0.8, 0.5, 0.5, 1, 0], 3, { kind: "probs", k: 2 });
    expect(Array.from(probs)).toEqual([1, expect.closeTo(0.6, 6), 0, 0, 0, 1]);
    const logits = classify([0, Math.log(3), 0], 1, { kind: "logits", k: 3 });
    expect(logits[0]).toBe(1);
    expect(logits[1]).toBeCloseTo((3 / 5 - 1 / 3) / (2 / 3), 6);
    const signs = classify([-2, 0.5, 0], 3, { kind: "threshold", threshold: 0, scale: 1 });
    expect(Array.from(signs)).toEqual([
      0,
      expect.closeTo(Math.tanh(2), 6),
      1,
      expect.closeTo(Math.tanh(0.5), 6),
      0,
      0,
    ]);
    expect(classify([NaN], 1, { kind: "threshold", threshold: 0.5, scale: 4 })[1]).toBe(0);
  });

  it("cover the points' bounds with a grid of cell centres, row by row from the top", () => {
    const b = boundsOf([0, 0, 0, 2, 1, 1]);
    expect(b).toEqual([-0.3, 2.3, -0.3, 1.3]);
    const g = gridPoints([0, 4, 0, 2], 2);
    expect(Array.from(g)).toEqual([1, 1.5, 3, 1.5, 1, 0.5, 3, 0.5]);
  });
});

describe("the digits file", () => {
  it("holds exactly the CLI's digits, split as `nnc train --data mnist` splits them", () => {
    const split = mnist();
    const bytes = encodeDigits(split);
    expect(bytes.length).toBe(16 + 1024 + 10_000 * 785);
    const back = decodeDigits(bytes);
    expect([back.train.rows, back.test.rows]).toEqual([8000, 2000]);
    // (element by element: toEqual on millions of numbers takes a minute)
    expect(firstDifference(back.train.values, split.train.values)).toBe(-1);
    expect(firstDifference(back.test.values, split.test.values)).toBe(-1);
    expect(() => decodeDigits(bytes.subarray(0, 5000))).toThrow(/truncated/);
    expect(() => decodeDigits(new Uint8Array(2000))).toThrow(/damaged/);
  });

  it("prepares a drawing as MNIST does: 20 pixels wide, centred by its mass", () => {
    const size = 100;
    const ink = new Float32Array(size * size);
    for (let y = 10; y < 50; y++) for (let x = 60; x < 80; x++) ink[y * size + x] = 1; // 20 x 40
    const img = toMnist(ink, size);
    const on: [number, number][] = [];
    img.forEach((v, i) => v > 0 && on.push([i % 28, Math.floor(i / 28)]));
    const xs = on.map(([x]) => x);
    const ys = on.map(([, y]) => y);
    expect(Math.max(...ys) - Math.min(...ys) + 1).toBe(20); // the long side is 20
    expect(Math.max(...xs) - Math.min(...xs) + 1).toBe(10);
    const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length + 0.5;
    expect(Math.abs(mean(xs) - 14)).toBeLessThanOrEqual(0.5);
    expect(Math.abs(mean(ys) - 14)).toBeLessThanOrEqual(0.5);
    expect(Math.max(...img)).toBe(1);
    expect(toMnist(new Float32Array(size * size), size).every((v) => v === 0)).toBe(true);
  });
});

describe("training in the worker's sessions", () => {
  const setup = (file: string, kind: ToySetup["data"]["kind"], extra: Partial<ToySetup> = {}) => ({
    source: read(file),
    file,
    target: "auto" as const,
    data: { kind, n: 200, noise: 0.15, seed: 1 },
    batch: 32,
    seed: 1,
    cells: 10,
    ...extra,
  });

  it("trains models/xor.nn on the XOR points to every point right", () => {
    const s = new ToySession(setup("models/xor.nn", "xor"));
    expect(s.info).toMatchObject({ target: "js", classes: 2, lr: 0.5, batch: 32 });
    const before = s.report();
    expect(before.step).toBe(0);
    expect(before.regions).toHaveLength(2 * 10 * 10);
    expect(before.gradNorms.map((g) => g.layer)).toEqual(["h", "p"]);
    s.run(1500);
    const after = s.report();
    expect(after.step).toBe(1500);
    expect(after.epoch).toBeCloseTo((1500 * 32) / 200, 9);
    expect(after.train.accuracy).toBe(1);
    expect(after.test.accuracy).toBe(1);
    expect(after.train.loss).toBeLessThan(before.train.loss / 10);
  });

  it("trains CS231n's spiral net to 95% of the spiral's points, as its recipe does", () => {
    const s = new ToySession(
      setup("models/spiral.nn", "spirals", {
        data: { kind: "spirals", n: 300, noise: 0.2, seed: 1 },
        batch: 300,
      }),
    );
    expect(s.info.classes).toBe(3);
    s.run(3000);
    expect(s.report().train.accuracy).toBeGreaterThanOrEqual(0.95);
  });

  it("gives a hinge loss's model -1 / +1 labels", () => {
    const s = new ToySession(setup("models/moons.nn", "moons", { batch: 100 }));
    expect(Array.from(s.info.train.filter((_, i) => i % 3 === 2)).sort()[0]).toBe(-1);
    s.run(200);
    expect(s.report().train.accuracy).toBeGreaterThan(0.9);
  });

  it("says what the Train tab needs, and stops where the loss is not finite", () => {
    expect(() => new ToySession(setup("models/mnist.nn", "xor"))).toThrow(
      /one input \[batch, 2\].*x: \[batch, 784\]/,
    );
    // a linear regression's squared error overflows at once with so large a rate
    const linear =
      "model line {\n  input x: [batch, 2]\n  target y: [batch, 1]\n  param w: [2, 1] = zeros\n" +
      "  p = x @ w\n  output p\n  loss = mean(mse(p, y))\n  optimizer = sgd(lr: 0.1)\n}\n";
    const s = new ToySession({ ...setup("models/xor.nn", "xor", { lr: 1e30 }), source: linear });
    expect(() => s.run(50)).toThrow(/the loss became (NaN|Infinity|-Infinity) at step \d+/);
  });

  it("trains on digits and gives the class probabilities of an image", () => {
    const split = mnist({ train: 600, test: 200 });
    const tables = decodeDigits(encodeDigits(split));
    const s = new MnistSession(
      {
        source: read("models/mnist.nn"),
        file: "mnist.nn",
        target: "auto",
        epochs: 3,
        batch: 32,
        seed: 1,
      },
      tables,
    );
    const history = s.run(
      () => {},
      () => {},
    );
    expect(history.epochs.at(-1)!.testAccuracy).toBeGreaterThan(0.7);
    const image = tables.test.values.slice(0, 784);
    const p = s.predict(image);
    expect(p).toHaveLength(10);
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    expect(
      () =>
        new MnistSession(
          {
            source: read("models/xor.nn"),
            file: "xor.nn",
            target: "js",
            epochs: 1,
            batch: 4,
            seed: 1,
          },
          tables,
        ),
    ).toThrow(/one input \[batch, 784\]/);
  });
});

describe("the Text tab's session", () => {
  const words = JSON.parse(
    readFileSync(
      new URL("../node_modules/an-array-of-english-words/index.json", import.meta.url),
      "utf8",
    ),
  ) as string[];
  const session = (file: string, target: "js" | "wasm" = "wasm") =>
    new TextSession({ source: read(file), file, target, batch: 32, seed: 1 }, words);

  it("trains makemore.nn on the words: the held-out loss falls from ln 27, samples are a-z", () => {
    const s = session("models/makemore.nn");
    expect(s.note).toMatch(/^words: 247443 lines for training, 27494 held out/);
    const before = s.testLoss();
    expect(before).toBeCloseTo(Math.log(27), 1);
    for (let i = 0; i < 300; i++) s.step();
    expect(s.testLoss()).toBeLessThan(2.8);
    const samples = s.samples(10, 1);
    expect(samples).toHaveLength(10);
    for (const w of samples) expect(w).toMatch(/^[a-z]{0,30}$/);
    expect(s.samples(10, 1)).toEqual(samples); // the same seed, the same words
    expect(s.attention("hello", 0, 0)).toBeNull(); // no attention in an MLP
  });

  it("reads gpt.nn's attention: block 1's softmax(q k^T / 4) of one head, computed by hand", () => {
    const s = session("models/gpt.nn");
    for (let i = 0; i < 20; i++) s.step();
    const a = s.attention("Hello!", 0, 2)!;
    expect(a).toMatchObject({ chars: [".", "h", "e", "l", "l", "o"], layer: 0, head: 2 });
    expect([a.layers, a.heads]).toEqual([4, 4]);
    expect(s.attention("hello", 9, 9)).toMatchObject({ layer: 3, head: 3 }); // clamped
    // by hand: x0 = wte[idx] + wpe, layernorm, the q and k denses, head 2's 16 channels
    const p = s.model.params;
    const C = 64;
    const idx = a.chars.map((c) => ".abcdefghijklmnopqrstuvwxyz".indexOf(c));
    const ln = idx.map((id, t) => {
      const x = Array.from({ length: C }, (_, c) => p["wte"]![id * C + c]! + p["wpe"]![t * C + c]!);
      const mean = x.reduce((u, v) => u + v, 0) / C;
      const variance = x.reduce((u, v) => u + (v - mean) ** 2, 0) / C;
      const g = p["x1.layernorm.gamma"]!;
      const b = p["x1.layernorm.beta"]!;
      return x.map((v, c) => ((v - mean) / Math.sqrt(variance + 1e-5)) * g[c]! + b[c]!);
    });
    const dense = (name: string, x: number[], o: number) =>
      x.reduce((u, v, c) => u + v * p[`${name}.W`]![c * C + o]!, p[`${name}.b`]![o]!);
    const head = (name: string, t: number) =>
      Array.from({ length: 16 }, (_, d) => dense(name, ln[t]!, 2 * 16 + d));
    const n = a.chars.length;
    for (let i = 0; i < n; i++) {
      const q = head("x1.attention.q", i);
      const scores = Array.from({ length: i + 1 }, (_, j) => {
        const k = head("x1.attention.k", j);
        return q.reduce((u, v, d) => u + v * k[d]!, 0) / 4;
      });
      const top = Math.max(...scores);
      const e = scores.map((v) => Math.exp(v - top));
      const sum = e.reduce((u, v) => u + v, 0);
      for (let j = 0; j < n; j++)
        expect(a.values[i * n + j]).toBeCloseTo(j <= i ? e[j]! / sum : 0, 9);
    }
    expect(a.values[0]).toBe(1);
  });
});

describe("the Train tab's numbers", () => {
  it("write step counts and losses short enough for a phone's axis", async () => {
    const { compact, lossTick } = await import("../playground/src/charts.ts");
    expect([0, 900, 1500, 20_000, 1_234_567].map(compact)).toEqual([
      "0",
      "900",
      "1.5k",
      "20k",
      "1.23M",
    ]);
    expect([0, 0.6931, 0.001, 0.00001, 12, 50_000].map(lossTick)).toEqual([
      "0",
      "0.69",
      "0.001",
      "1e-5",
      "12",
      "5e+4",
    ]);
  });

  it("keep a large model's reports to the budget: fewer cells, the first points", async () => {
    const { reportBudget, reportScale, paramSize } =
      await import("../playground/src/toy-session.ts");
    const big = compile(
      read("models/xor.nn").replace("dense(4) |> sigmoid", "dense(4096) |> relu |> dense(4096)"),
      { file: "big.nn" },
    );
    // h.W 2x4096, h.b, the 4096x4096 dense and its bias, p.W 4096x1, p.b
    const size = 2 * 4096 + 4096 + 4096 * 4096 + 4096 + 4096 + 1;
    expect(paramSize(big)).toBe(size);
    expect(reportScale(size, 40, 200)).toEqual({ cells: 8, evaluated: 16 });
    // a small model: every cell and point
    const spiral = compile(read("models/spiral.nn"), { file: "models/spiral.nn" });
    expect(reportScale(paramSize(spiral), 40, 300)).toEqual({ cells: 40, evaluated: 300 });
    // in between: as many as the budget holds
    const mid = reportScale(100_000, 40, 300);
    expect(mid.cells).toBe(Math.floor(Math.sqrt(reportBudget / 100_000)));
    expect(mid.evaluated).toBe(100);
  });

  it("say `scalar` for a scalar's shape where a model does not fit a tab", async () => {
    const setup = (source: string) =>
      new ToySession({
        source,
        file: "models/neuron.nn",
        target: "js",
        data: { kind: "xor", n: 20, noise: 0.1, seed: 1 },
        batch: 4,
        seed: 1,
        cells: 4,
      });
    expect(() => setup(read("models/neuron.nn"))).toThrow("has x0: scalar, x1: scalar");
  });
});
