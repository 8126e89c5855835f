// Writes src/parse/grammar.ts, the text of grammar/nn.ohm as a string constant, so that the
// parser needs no file system and the compiler bundles for a browser. grammar/nn.ohm stays the
// one source of truth: `npm run build` runs this first, and a test fails when the file is stale.
import { readFileSync } from "node:fs";
import { writeOutput } from "../src/train/outputs.ts";
import { fileURLToPath } from "node:url";

export const grammarFile = new URL("../grammar/nn.ohm", import.meta.url);
export const generatedFile = new URL("../src/parse/grammar.ts", import.meta.url);

/** The module's text: the grammar in a template literal (`\`, backquotes and `${` escaped). */
export function grammarModule(grammar: string): string {
  const escaped = grammar.replace(/[\\`]|\$\{/g, (s) => "\\" + s);
  return [
    "// Generated from grammar/nn.ohm by `npm run grammar` (scripts/grammar.ts): edit the grammar, not",
    "// this file. The parser reads the grammar from here, so it needs no file system.",
    `export const grammarSource = \`${escaped}\`;`,
    "",
  ].join("\n");
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeOutput(fileURLToPath(generatedFile), grammarModule(readFileSync(grammarFile, "utf8")));
  console.log(`wrote ${fileURLToPath(generatedFile)}`);
}
