// No name a user may write changes what a generated module computes. The names most likely to
// break generated code are the ones the generator itself writes (kernel locals, helpers, globals,
// property names), so every identifier found in the emitted JS of several models (f32 and f64,
// bound and dynamic batch) is used in turn as an input, a target, a param, an intermediate, an
// output and a named dim of one model, whose results must equal, bit for bit, those of the same
// model with plain names.
import { readFileSync } from "node:fs";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { compile } from "../src/index.ts";
import { JS_GLOBALS } from "../src/codegen/schedule/names.ts";

const MODELS = ["xor", "mnist", "neuron", "softmax", "perceptron", "linreg", "logistic"];
interface Variant {
  dtype: "f32" | "f64";
  bind: Record<string, number>;
  target: "js" | "wasm";
}
const VARIANTS: Variant[] = [
  { dtype: "f32", bind: {}, target: "js" },
  { dtype: "f64", bind: { batch: 4 }, target: "js" },
  { dtype: "f32", bind: {}, target: "wasm" },
  { dtype: "f32", bind: { batch: 4 }, target: "wasm" },
];

/** Every identifier-shaped word of a JS text outside its strings and comments. */
function words(js: string): Set<string> {
  const code = js
    .replace(/\/\*[\s\S]*?\*\//g, " ")
    .replace(/\/\/[^\n]*/g, " ")
    .replace(/"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\.)*`/g, " ");
  return new Set(code.match(/[A-Za-z_$][\w$]*/g) ?? []);
}

/** The words a `.nn` model can use as names: identifiers without `$`, not the language's own. */
const nnKeywords = new Set(["model", "block", "input", "target", "param", "output", "return"]);
nnKeywords.add("loss").add("optimizer").add("scalar");

function generatedNames(): string[] {
  const found = new Set<string>(Object.getOwnPropertyNames(Object.prototype));
  for (const m of MODELS) {
    const file = `models/${m}.nn`;
    const source = readFileSync(file, "utf8");
    for (const v of VARIANTS) {
      const bind = m === "neuron" ? {} : v.bind;
      const out = compile(source, { file, dtype: v.dtype, bind, target: v.target });
      for (const text of [out.js, out.dts, out.gradSource])
        for (const w of words(text)) found.add(w);
    }
  }
  for (const g of JS_GLOBALS) found.add(g);
  return [...found].filter((w) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(w) && !nnKeywords.has(w)).sort();
}

type Ten = [string, string, string, string, string, string, string, string, string, string];

/** Ten names in every role: inputs, a target, params, intermediates, outputs, a named dim. */
function block(n: string[]): { decls: string; outputs: string[]; loss: string } {
  const [x, y, w, b, h, z, p, s, v, d] = n as Ten;
  const decls = `  input ${x}: [${d}, 3]
  target ${y}: [${d}, 2]
  input ${s}: scalar
  param ${w}: [3, 4] = normal(std: 0.7)
  param ${b}: [4] = 0.1
  param ${v}: scalar = 0.5
  ${h} = relu(${x} @ ${w} + ${b})
  ${z} = ${h} |> dense(2)
  ${p} = softmax(${z})`;
  const loss = `mean(cross_entropy(${p}, ${y})) + sigmoid(${s} * ${v}) * 0.1`;
  return { decls, outputs: [p, h], loss };
}

const PER_MODEL = 30;

/** One model of three independent blocks, thirty names. */
function template(names: string[]): string {
  const blocks = [0, 10, 20].map((k) => block(names.slice(k, k + 10)));
  return `model m {
${blocks.map((b) => b.decls).join("\n")}
  output ${blocks.flatMap((b) => b.outputs).join(", ")}
  loss = ${blocks.map((b) => b.loss).join(" + ")}
  optimizer = adam(lr: 0.05)
}`;
}

const BASE = Array.from({ length: PER_MODEL }, (_, i) => `u${i}`);

/** What a model computes, by role: outputs, loss and gradients, then params after two steps. */
function run(names: string[], { dtype, bind, target }: Variant) {
  const dims = [9, 19, 29].map((i) => names[i]!);
  const bound = Object.keys(bind).length > 0 ? Object.fromEntries(dims.map((d) => [d, 4])) : {};
  const compiled = compile(template(names), { file: "names.nn", dtype, bind: bound, target });
  expect(compiled.target).toBe(target);
  const module = compiled.load();
  const model = module.createModel({ seed: 3 });
  const feed = new Map<string, unknown>();
  const roles: string[][] = [];
  for (const k of [0, 10, 20]) {
    const [x, y, w, b, h, z, p, s, v] = names.slice(k, k + 10) as Ten;
    feed.set(
      x,
      Float64Array.from({ length: 12 }, (_, i) => Math.sin(i + 1 + k)),
    );
    feed.set(
      y,
      Float64Array.from({ length: 8 }, (_, i) => (i % 2 === (i >> 1) % 2 ? 1 : 0)),
    );
    feed.set(s, 0.75 - k / 100);
    roles.push([p, h], [w, b, v, `${z}.W`, `${z}.b`]);
  }
  const outputs = roles.filter((_, i) => i % 2 === 0).flat();
  const params = roles.filter((_, i) => i % 2 === 1).flat();
  const copy = (a: ArrayLike<number> | number | undefined) =>
    typeof a === "number" ? [a] : Array.from(a ?? []);
  const fwd = model.forward(feed);
  const g = model.grad(feed);
  return {
    outputs: outputs.map((o) => copy(fwd[o])),
    loss: g.loss,
    grads: params.map((k) => copy(g.grads[k])),
    losses: [model.trainStep(feed), model.trainStep(feed)],
    params: params.map((k) => copy(model.params[k])),
  };
}

describe("names in generated code", () => {
  const names = generatedNames();

  it("finds the generator's own words to try", () => {
    // kernel locals, helpers' words, globals and Object.prototype's own names are all in
    for (const w of ["i", "j", "k", "acc", "c00", "a0", "b0", "w0", "x0", "Math", "constructor"])
      expect(names).toContain(w);
    expect(names).toContain("__proto__");
    expect(names.length).toBeGreaterThan(150);
  });

  for (const v of VARIANTS) {
    it(`no name changes what a module computes (${v.target}, ${v.dtype}, ${Object.keys(v.bind).length ? "bound batch" : "dynamic batch"})`, () => {
      const baseline = run(BASE, v);
      expect(baseline.loss).toBeGreaterThan(0);
      // thirty names a model, each name in every role once across ten rotations
      for (let start = 0; start < names.length; start += PER_MODEL) {
        const chunk = names.slice(start, start + PER_MODEL);
        while (chunk.length < PER_MODEL) chunk.push(BASE[chunk.length]!);
        for (let r = 0; r < 10; r++) {
          const rotated = chunk.map((_, i) => chunk[Math.floor(i / 10) * 10 + ((i + r) % 10)]!);
          const got = run(rotated, v);
          expect(got, `names ${rotated.join(", ")}`).toEqual(baseline);
        }
      }
    }, 120_000);
  }
});

describe("the globals generated code reads", () => {
  it("are exactly the ones names.ts keeps source names clear of", () => {
    const values = ["undefined"]; // TypeScript knows it without a lib
    const lib = JS_GLOBALS.filter((g) => !values.includes(g))
      .map((g) => `declare var ${g}: any;`)
      .join("\n");
    for (const [m, target] of MODELS.flatMap((m) =>
      [m, m].map((m, i) => [m, i ? "wasm" : "js"] as const),
    )) {
      const file = `models/${m}.nn`;
      const out = compile(readFileSync(file, "utf8"), { file, target });
      const files = new Map([
        ["lib.d.ts", lib],
        ["module.js", out.js],
      ]);
      const host = ts.createCompilerHost({});
      host.getSourceFile = (name, version) =>
        files.has(name) ? ts.createSourceFile(name, files.get(name)!, version) : undefined;
      host.fileExists = (name) => files.has(name);
      host.readFile = (name) => files.get(name);
      const program = ts.createProgram(
        ["lib.d.ts", "module.js"],
        {
          noLib: true,
          types: [],
          allowJs: true,
          checkJs: true,
          noEmit: true,
          module: ts.ModuleKind.ESNext,
          target: ts.ScriptTarget.ES2022,
        },
        host,
      );
      const unknown = ts
        .getPreEmitDiagnostics(program)
        .filter((d) => d.file?.fileName === "module.js")
        .filter((d) => d.code === 2304 || d.code === 2552) // cannot find name
        .map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
      expect(unknown, `${m} (${target})`).toEqual([]);
    }
  });
});
