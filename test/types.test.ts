// The library's types as README shows them, under `strict`: test/package/fixtures/readme.ts is
// type-checked against src/ with a generated module's .d.ts beside it (out/xor.d.ts, as `nnc
// compile models/xor.nn -o out/xor.js` writes it). Its @ts-expect-error lines are misuses that
// must stay errors: a directive with no error under it is itself one.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { compile } from "../src/compile.ts";

/** The diagnostics of one file of a program (only what that file needs of the others is checked). */
function typeErrors(file: string): string[] {
  const program = ts.createProgram([file], {
    strict: true,
    noUncheckedIndexedAccess: true,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    target: ts.ScriptTarget.ES2022,
    noEmit: true,
    allowImportingTsExtensions: true,
    types: [],
    paths: { nnc: [resolve("src/index.ts")] },
  });
  const source = program.getSourceFile(file)!;
  return [
    ...program.getSyntacticDiagnostics(source),
    ...program.getSemanticDiagnostics(source),
  ].map((d) => {
    const at =
      d.start === undefined ? "" : `${source.getLineAndCharacterOfPosition(d.start).line + 1}: `;
    return at + ts.flattenDiagnosticMessageText(d.messageText, "\n");
  });
}

describe("TypeScript", () => {
  it("README's code type-checks under strict: generic forms of the dtype, and a module's own .d.ts", () => {
    const dir = mkdtempSync(join(tmpdir(), "nnc-types-"));
    mkdirSync(join(dir, "out"));
    const xor = compile(readFileSync("models/xor.nn", "utf8"), { file: "models/xor.nn" });
    writeFileSync(join(dir, "out/xor.d.ts"), xor.dts);
    copyFileSync("test/package/fixtures/readme.ts", join(dir, "readme.ts"));
    expect(typeErrors(join(dir, "readme.ts"))).toEqual([]);
  }, 60_000);
});
