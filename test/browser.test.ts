// The compiler runs in a browser: the grammar is compiled into the code (and is exactly
// grammar/nn.ohm), the library entry bundles for the browser platform without a Node built-in,
// and the bundle compiles, trains and reports errors in a realm that has no require, process or
// Buffer.
import { build, type BuildOptions } from "esbuild";
import { readFileSync } from "node:fs";
import vm from "node:vm";
import { describe, expect, it } from "vitest";
import { generatedFile, grammarFile, grammarModule } from "../scripts/grammar.ts";
import { grammarSource } from "../src/parse/grammar.ts";
import { compile, weightsToBytes } from "../src/index.ts";
import { expectXorResult, xorCsv, xorProgram, xorSource } from "./xor-program.ts";

const root = new URL("..", import.meta.url).pathname;

/** The value of `grammarSource` in a module text that grammarModule wrote. */
const evaluate = (module: string): string =>
  new Function(`${module.replace("export const", "const")}\nreturn grammarSource;`)() as string;

describe("the grammar compiled into the parser", () => {
  it("is grammar/nn.ohm (else: npm run grammar)", () => {
    const ohm = readFileSync(grammarFile, "utf8");
    expect(
      readFileSync(generatedFile, "utf8") === grammarModule(ohm),
      "src/parse/grammar.ts is stale: run `npm run grammar`",
    ).toBe(true);
    expect(grammarSource).toBe(ohm);
  });

  it.each([
    ["backslashes", '"\\n" "\\x0B" "\\uFEFF" \\\\ \\'],
    ["backquotes", "`a` `` ``` \\`"],
    ["template holes", "${x} $ {} $${y} \\${z}"],
    ["a grammar's own text", 'G {\n  A = "`" -- q\n}\n'],
  ])("keeps %s exactly", (_, text) => {
    expect(evaluate(grammarModule(text))).toBe(text);
  });
});

const browser: BuildOptions = {
  bundle: true,
  platform: "browser",
  format: "iife",
  globalName: "nnc",
  write: false,
  metafile: true,
  logLevel: "silent",
  absWorkingDir: root,
};

/** The program in the bundle's realm, which has no Node globals, and what it reports. */
const inRealm = `
  const { compile, NnError, Trainer, parseCsv, fit, weightsToBytes, weightsFromBytes } = nnc;
  const env = [typeof require, typeof process, typeof Buffer, typeof global, typeof module];
  let bytes;
  ${xorProgram({
    data: `fit(parseCsv(${JSON.stringify(xorCsv)}, "xor.csv"), c.model)`,
    roundTrip:
      '(bytes = weightsToBytes(c.model, trainer.model), weightsFromBytes(bytes, "xor.safetensors", c.model))',
  })}
  JSON.stringify({ ...result, env, bytes: Array.from(bytes), params: trainer.model.params });
`;

describe("the library entry in a browser", () => {
  it("bundles with no Node built-in; of the dependencies, only ohm-js", async () => {
    const result = await build({ ...browser, entryPoints: ["src/index.ts"] });
    const inputs = Object.keys(result.metafile!.inputs);
    expect(inputs.filter((i) => i.startsWith("node:"))).toEqual([]);
    const packages = new Set(
      inputs.map((i) => /node_modules\/([^/]+)/.exec(i)?.[1]).filter(Boolean),
    );
    expect([...packages]).toEqual(["ohm-js"]);
    expect(inputs).toContain("src/parse/grammar.ts");
  });

  it.each([
    ["the node entry", { entryPoints: ["src/node.ts"] }],
    [
      "a module that imports node:fs",
      { stdin: { contents: 'import "node:fs";', resolveDir: root } },
    ],
  ])("stops at a Node built-in: %s", async (_, entry) => {
    await expect(build({ ...browser, ...entry })).rejects.toThrow(/node:fs/);
  });

  it("compiles, trains XOR and reports an NnError without require, process or Buffer", async () => {
    const result = await build({ ...browser, entryPoints: ["src/index.ts"] });
    const realm = vm.createContext({ TextEncoder, TextDecoder, performance });
    vm.runInContext(result.outputFiles![0]!.text, realm);
    const r = JSON.parse(vm.runInContext(inRealm, realm) as string);
    expect(r.env).toEqual(["undefined", "undefined", "undefined", "undefined", "undefined"]);
    expectXorResult(r);
    // the weights encode to the same bytes as in Node
    const params = Object.fromEntries(
      Object.entries(r.params as Record<string, Record<string, number>>).map(([k, v]) => [
        k,
        Float32Array.from(Object.values(v)),
      ]),
    );
    const c = compile(xorSource, { file: "xor.nn" });
    expect(r.bytes).toEqual(Array.from(weightsToBytes(c.model, { params, state: {} })));
  });
});
