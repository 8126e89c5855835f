// The text data of `--data words` and `--data text:FILE` (node only): the English word list of the
// `an-array-of-english-words` package (MIT licence; ~275,000 words from Letterpress's list), and
// text files read through file-access.ts. text.ts turns them into windows.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dataError } from "./errors.ts";
import { readRegularFile } from "./file-access.ts";
import { corpusOfText, corpusOfWords, type Corpus } from "./text.ts";

const wordsPackage = "an-array-of-english-words";
let cache: Corpus | undefined;

/** The word list, lowercased and filtered to a-z: 274,937 words. */
export function wordsCorpus(): Corpus {
  if (cache) return cache;
  let file = `${wordsPackage}/index.json`;
  try {
    file = createRequire(import.meta.url).resolve(file);
    const words: unknown = JSON.parse(readFileSync(file, "utf8"));
    if (!Array.isArray(words) || !words.every((w) => typeof w === "string"))
      throw new Error("expected a JSON list of words");
    cache = corpusOfWords(words as string[]);
    return cache;
  } catch (e) {
    throw dataError(
      "NN6001",
      { file, line: 1, col: 1 },
      `cannot read the word list of the \`${wordsPackage}\` package (${(e as Error).message}); ` +
        "install the project's dependencies with `npm ci`",
    );
  }
}

/** A text file as a corpus: one example per line, or raw text (text.ts's corpusOfText decides). */
export function textCorpus(file: string): Corpus {
  const bytes = readRegularFile(file, "text", (code, message) =>
    dataError(
      "NN6001",
      { file, line: 1, col: 1 },
      code === "ENOENT" ? "no such file" : `cannot read the text (${message})`,
    ),
  );
  return corpusOfText(bytes.toString("utf8"), file);
}
