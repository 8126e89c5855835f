// Nothing a user can name or write becomes code in what nnc writes. Hostile text (quotes,
// backslashes, `\N`, every character that ends a line somewhere, NUL, a BOM, a bidirectional
// override, `coding=...`, non-ASCII, a lone surrogate) goes through every input that reaches an
// output as text: the `.nn` file's path, its comments, the module's file name of train_ddp.py, and
// names (as far as identifiers go: non-ASCII letters, Python's words). Every output must then load
// where it runs (the JS module in Node, its .d.ts in TypeScript, the WebAssembly text in wabt, the
// ONNX models in ONNX Runtime, the torch module and train_ddp.py in Python), run none of what was
// planted, and show the hostile text only inside its comments and literals, escaped: a sentinel
// `§` before each hostile character must never meet it raw, and outside comments and literals it
// must not appear at all.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import ts from "typescript";
import wabtInit from "wabt";
import { describe, expect, it } from "vitest";
import { main } from "../src/cli/main.ts";
import { compile, type Compiled } from "../src/compile.ts";
import { wellFormed } from "../src/codegen/text.ts";
import { exportDdp } from "../src/export/ddp.ts";
import { exportOnnx } from "../src/export/onnx.ts";
import { decodeModel } from "../src/export/onnx-proto.ts";
import { exportTorch } from "../src/export/torch.ts";
import { seededWeights } from "../src/export/weights.ts";
import { captureStdio } from "./capture.ts";
import { python, session, tempDir, torchAvailable } from "./export-helpers.ts";

captureStdio();
const wabt = await wabtInit();

/** Characters that end a line (somewhere), that a file cannot hold, or that hide what text says. */
const HOSTILE = ["\n", "\r", "\v", "\f", "\u0085", "\u2028", "\u2029", "\0", "\ufeff", "\u202e"];
HOSTILE.push("\t", "\u00a0", "\u200b", "\x1b", "\x7f");
/** Each hostile character after the sentinel: no output may hold one of these pairs raw. */
const SENTINELS = HOSTILE.map((h) => `§${h}`).join("");
const PLANTED = '";open("PWNED","w");"';
/** Text for every input: sentinels, planted code, and what Python, JS and WAT read specially. */
const hostile =
  `${SENTINELS} ${PLANTED} """;open("PWNED","w");""" '\\N{BULLET} \\n \\u2028 coding=unicode_escape ` +
  "*/ ;; (; ;) ${x} `tick` 𝟘 ü \ud800 \\";

/** The model: names Python and torch use, non-ASCII ones (a dim too), and a comment on each line. */
function source(comment: string): string {
  return [
    `# ${comment}`,
    `model mödel { # ${comment}`,
    `  input ẋ: [bätch, 3] # ${comment}`,
    "  target None: [bätch, 2]",
    `  h = ẋ |> dense(4) |> batchnorm |> tanh # ${comment}`,
    // the blanks a statement may hold besides spaces: a vertical tab, a BOM, a CR, a tab
    "  lambda =\v\ufeff\r\t h |> dense(2)",
    "  p = softmax(lambda)",
    "  output p, lambda",
    `  loss = mean(cross_entropy(p, None)) // ${comment}`,
    "  optimizer = adam(lr: 0.01)",
    "}",
    "",
  ].join("\n");
}

/** Where a hostile character follows the sentinel raw, in `text` (what it is, for the message). */
function rawSentinels(text: string): string[] {
  return HOSTILE.filter((h) => text.includes(`§${h}`)).map((h) => JSON.stringify(h));
}

/** The JS text outside comments and string literals holds no sentinel. */
function jsCodeOnly(js: string, kind: ts.ScriptKind): string[] {
  const scanner = ts.createScanner(ts.ScriptTarget.ES2022, false, ts.LanguageVariant.Standard, js);
  const inert = new Set([
    ts.SyntaxKind.SingleLineCommentTrivia,
    ts.SyntaxKind.MultiLineCommentTrivia,
    ts.SyntaxKind.StringLiteral,
    ts.SyntaxKind.NoSubstitutionTemplateLiteral,
  ]);
  const found: string[] = [];
  for (let t = scanner.scan(); t !== ts.SyntaxKind.EndOfFileToken; t = scanner.scan())
    if (!inert.has(t) && scanner.getTokenText().includes("§")) found.push(scanner.getTokenText());
  const file = ts.createSourceFile("m", js, ts.ScriptTarget.ES2022, false, kind);
  const errors = (file as unknown as { parseDiagnostics: ts.Diagnostic[] }).parseDiagnostics;
  return [...found, ...errors.map((e) => ts.flattenDiagnosticMessageText(e.messageText, "\n"))];
}

/** Every line of the WebAssembly text that holds a sentinel is a comment. */
function watCodeOnly(wat: string): string[] {
  return wat.split("\n").filter((l) => l.includes("§") && !/^\s*;;/.test(l));
}

/** The Python that imports the exported files and reports what they hold (run in `cwd`). */
const pythonCheck = `
import importlib.util, io, json, sys, tokenize

def load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module

def outside(path):
    """Tokens outside comments and strings that hold the sentinel."""
    with open(path, "rb") as f:
        tokens = tokenize.tokenize(io.BytesIO(f.read()).readline)
        return [t.string for t in tokens if "§" in t.string and t.type not in (tokenize.COMMENT, tokenize.STRING)]

module_path, ddp_path = sys.argv[1], sys.argv[2]
m = load("exported", module_path)
ddp = load("train_ddp", ddp_path)
model = m.Model()
import torch
out = model.forward(**{"ẋ": torch.zeros(4, 3)})
json.dump({
    "doc": m.Model.__doc__,
    "name": m.Model.NAME,
    "module": ddp.MODULE,
    "source": ddp.SOURCE,
    "outputs": sorted(out),
    "outside": outside(module_path) + outside(ddp_path),
}, sys.stdout)
`;

function runPython(cwd: string, modulePath: string, ddpPath: string) {
  const check = join(cwd, "check.py");
  writeFileSync(check, pythonCheck);
  const out = execFileSync(python, [check, modulePath, ddpPath], {
    cwd,
    encoding: "utf8",
    env: { ...process.env, OMP_NUM_THREADS: "1" },
  });
  return JSON.parse(out) as Record<string, unknown>;
}

/** Checks one compiled model's every output; `moduleFile` is the torch module's file name. */
async function checkAll(c: Compiled, wasm: Compiled, file: string, moduleFile: string) {
  const dir = tempDir();
  // JavaScript: the module (both targets) imports and runs; the .d.ts parses
  for (const [target, js] of [
    ["js", c.js],
    ["wasm", wasm.js],
  ] as const) {
    expect(rawSentinels(js), target).toEqual([]);
    expect(jsCodeOnly(js, ts.ScriptKind.JS), target).toEqual([]);
    const path = join(dir, `m-${target}.mjs`);
    writeFileSync(path, js);
    const m = await import(pathToFileURL(path).href);
    expect(m.meta.name).toBe("mödel");
    const out = m.createModel({ seed: 1 }).forward({ ẋ: new Float32Array(6) });
    expect(Object.keys(out).sort()).toEqual(["lambda", "p"]);
  }
  expect(rawSentinels(c.dts)).toEqual([]);
  expect(jsCodeOnly(c.dts, ts.ScriptKind.TS)).toEqual([]);
  // the WebAssembly text assembles
  const wat = wasm.wat();
  expect(wat).toContain("n_b_tch");
  expect(rawSentinels(wat)).toEqual([]);
  expect(watCodeOnly(wat)).toEqual([]);
  const w = wabt.parseWat("m.wat", wat, { simd: true, relaxed_simd: true });
  w.destroy();
  // ONNX: both graphs load in ONNX Runtime, their doc strings escaped
  const weights = seededWeights(c, 1);
  for (const training of [false, true]) {
    const bytes = exportOnnx(c.model, c.grads, { training, weights });
    const proto = decodeModel(bytes);
    for (const doc of [proto.docString, proto.graph!.docString])
      expect(rawSentinels(doc ?? ""), `training: ${training}`).toEqual([]);
    await session(bytes);
  }
  // Python: the module and train_ddp.py import, hold the text as it was, and run nothing planted
  const torchModule = exportTorch(c.model);
  const ddp = exportDdp(c.model, moduleFile);
  for (const py of [torchModule, ddp]) {
    expect(rawSentinels(py)).toEqual([]);
    expect(py.split("\n").slice(0, 2).join("\n")).not.toMatch(/§|PWNED|coding=u/);
  }
  if (!torchAvailable()) return;
  const modulePath = join(dir, moduleFile);
  writeFileSync(modulePath, torchModule);
  writeFileSync(join(dir, "train_ddp.py"), ddp);
  const cwd = join(dir, "cwd");
  mkdirSync(cwd);
  const r = runPython(cwd, modulePath, join(dir, "train_ddp.py"));
  expect(r).toEqual({
    doc: `model mödel from ${wellFormed(file)}, exported by nnc.`,
    name: "mödel",
    module: wellFormed(moduleFile),
    source: wellFormed(file),
    outputs: ["lambda", "p"],
    outside: [],
  });
  expect(existsSync(join(cwd, "PWNED"))).toBe(false);
}

describe("hostile text reaches every output inert", () => {
  it("from the library: a path and comments with every hostile character", async () => {
    const file = `dir/${hostile}.nn`;
    // (a comment holds anything but the newline that ends it)
    const text = source(hostile.replace(/\n/g, ""));
    const c = compile(text, { file });
    const wasm = compile(text, { file, target: "wasm" });
    expect(wasm.target).toBe("wasm");
    // a module file name may hold anything but "/" and NUL
    const moduleFile = `${hostile.replace(/[/\0]/g, "_")}.py`;
    await checkAll(c, wasm, file, moduleFile);
  }, 120_000);

  it("from the command line: the three plantings of the issue", async () => {
    // a folder named as an encoding declaration, a path that closes the docstring, a comment that
    // holds `\n` (a newline under unicode_escape), an -o name with newlines (train_ddp.py's comment)
    const dir = join(tempDir(), "coding=unicode_escape");
    mkdirSync(dir);
    const file = join(dir, 'a""";open("PWNED","w");"""b\\N\n.nn');
    writeFileSync(file, source('\\nopen("PWNED","w") \v\r\f\u2028 """'));
    const out = join(dir, "out");
    const moduleFile = 'x\nopen("PWNED","w")\n.py';
    const run = (...args: string[]) => main([...args]);
    expect(
      await run("export", file, "--format", "torch", "--ddp", "-o", join(out, moduleFile)),
    ).toBe(0);
    expect(await run("export", file, "--format", "onnx", "-o", join(out, "m.onnx"))).toBe(0);
    const step = join(out, "step.onnx");
    expect(await run("export", file, "--format", "onnx", "--training", "-o", step)).toBe(0);
    expect(await run("compile", file, "-o", join(out, "m.js"))).toBe(0);
    expect(await run("compile", file, "--emit", "wat", "-o", join(out, "m.wat"))).toBe(0);
    for (const onnx of ["m.onnx", "step.onnx"]) await session(readFileSync(join(out, onnx)));
    const wat = readFileSync(join(out, "m.wat"), "utf8");
    wabt.parseWat("m.wat", wat, { simd: true, relaxed_simd: true }).destroy();
    expect(watCodeOnly(wat)).toEqual([]);
    await import(pathToFileURL(join(out, "m.js")).href);
    if (!torchAvailable()) return;
    const cwd = join(out, "cwd");
    mkdirSync(cwd);
    const r = runPython(cwd, join(out, moduleFile), join(out, "train_ddp.py"));
    expect(r).toMatchObject({ module: moduleFile, source: file, name: "mödel" });
    expect(existsSync(join(cwd, "PWNED"))).toBe(false);
    expect(existsSync(join(out, "PWNED"))).toBe(false);
  }, 120_000);
});
