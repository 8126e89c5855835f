// Writes playground/public/words.nncw: the word list of `nnc train --data words` (the
// `an-array-of-english-words` package's, lowercased and filtered to a-z by the library's
// corpusOfWords), one word a line, gzipped; the Text tab fetches it when it first trains. As
// digits.nncd, its name does not end in .gz (no server sends it as `Content-Encoding: gzip`), it
// is generated at build time, not committed, and an existing file is kept unless --force is given.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { gzipSync } from "node:zlib";
import { corpusOfWords } from "../../src/index.ts";

const out = new URL("../public/words.nncw", import.meta.url);

if (process.argv.includes("--force") || !existsSync(out)) {
  const file = createRequire(import.meta.url).resolve("an-array-of-english-words/index.json");
  const corpus = corpusOfWords(JSON.parse(readFileSync(file, "utf8")) as string[]);
  if (corpus.kind !== "lines") throw new Error("the word list is not a list of words");
  const bytes = gzipSync(corpus.lines.join("\n"), { level: 9 });
  mkdirSync(new URL(".", out), { recursive: true });
  writeFileSync(out, bytes);
  console.log(`wrote ${out.pathname}: ${(bytes.length / 1024).toFixed(0)} kB`);
}
