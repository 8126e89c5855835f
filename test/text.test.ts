// src/codegen/text.ts, the one way outside text reaches generated code, on any text: every literal
// reads back as the text (JavaScript's in Node, Python's in Python's own parser), and every comment
// body is one line in each language, with nothing hidden.
import { execFileSync } from "node:child_process";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  isWatId,
  jsComment,
  jsString,
  onnxDoc,
  pyComment,
  pyString,
  watComment,
  watId,
  watString,
  wellFormed,
} from "../src/codegen/text.ts";
import { python } from "./export-helpers.ts";

/** Text of any code points, lone surrogates included, and the hostile ones for sure. */
const anyText = fc.oneof(
  fc.string({ unit: "binary", maxLength: 40 }),
  fc
    .array(
      fc.constantFrom(
        ...["\n", "\r", "\v", "\f", "\0", "\u0085", "\u2028", "\u2029", "\ufeff", "\u202e", "\t"],
        ...['"', "'", "\\", "\\N{BULLET}", '"""', "*/", ";;", "coding=unicode_escape", "\ud800"],
        ...["\udc00", "𝟘", "ü", "a", " ", "${x}", "`", "\u00a0", "\x1b", "\x7f", "\u{e0001}"],
      ),
      { maxLength: 20 },
    )
    .map((parts) => parts.join("")),
);

const samples = fc.sample(anyText, { seed: 5, numRuns: 400 });

/** What ends a line in JavaScript, Python (and its universal newlines), and WAT. */
const LINE_ENDS = /[\n\r\u2028\u2029]/;

describe("outside text in generated code", () => {
  it("as a JS string literal, reads back as itself", () => {
    for (const s of samples) expect(new Function(`return ${jsString(s)};`)()).toBe(s);
  });

  it("as a Python string literal, reads back as itself (lone surrogates as U+FFFD)", () => {
    const program =
      "import ast, json, sys\n" +
      "print(json.dumps([ast.literal_eval(line) for line in sys.stdin.read().split('\\n')]))";
    const input = samples.map(pyString).join("\n");
    const out = execFileSync(python, ["-c", program], { input, encoding: "utf8" });
    expect(JSON.parse(out)).toEqual(samples.map(wellFormed));
  });

  it("as a comment, is one line that shows every character", () => {
    for (const s of samples)
      for (const body of [jsComment(s), pyComment(s), watComment(s), onnxDoc(s)]) {
        expect(body).not.toMatch(LINE_ENDS);
        expect(body).not.toMatch(/[\0\v\f\u0085\ufeff\u202e\t\u00a0]|\p{Cs}/u);
      }
    expect(jsComment("a */ b")).toBe("a * / b");
    expect(pyComment("doubles x\v * 1000")).toBe("doubles x\\u000b * 1000");
  });

  it("as a WAT string or identifier, is one the text format reads", () => {
    for (const s of samples) {
      expect(watString(s)).toMatch(/^"([ !#-[\]-~]|\\[0-9a-f]{2})*"$/);
      expect(isWatId(watId(s))).toBe(true);
    }
    expect(watId("n_bätch")).toBe("n_b_tch");
  });
});
