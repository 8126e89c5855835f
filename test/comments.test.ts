// One rule for where a `.nn` comment ends: at the end of its line, "\n", and at no other
// character. Character by character, the grammar and the fast matcher (on the prepared text), the
// preparation itself, the line map, and what the emitters show of a line agree on which characters
// end a comment, and that "\n" is the only one; and a model whose comment holds any other
// character computes what its line shows without the comment.
import { describe, expect, it } from "vitest";
import { compile } from "../src/index.ts";
import { sourceLine } from "../src/codegen/text.ts";
import { exportTorch } from "../src/export/torch.ts";
import { fastMatcher, grammar } from "../src/parse/semantics.ts";
import { commentEnd, LineMap, prepareSource } from "../src/parse/source.ts";

/** Controls, separators, format characters, a lone surrogate and some plain characters. */
const characters = [
  ...Array.from({ length: 0xa1 }, (_, c) => String.fromCharCode(c)),
  ...[0x1680, 0x180e, 0x2000, 0x200a, 0x200b, 0x200d, 0x200e, 0x202e, 0x2028, 0x2029, 0x202f],
  ...[0x205f, 0x2066, 0x3000, 0xfeff, 0xfffc, 0xfffd, 0xfffe, 0xffff, 0xd800, 0xdc00],
].map((c) => (typeof c === "number" ? String.fromCharCode(c) : c));
characters.push("\u{1d7d8}", "\u{e0001}");

/** Whether `ch` ends the comment `#a{ch}b`, as each part of nnc sees it. */
function ends(ch: string) {
  const text = `#a${ch}b`;
  const prepared = prepareSource(text);
  // what the emitters show of each line of `h = x #a{ch}b`: is the `b` after `ch` code again?
  const shown = new LineMap(`h = x ${text}`).lines.map(sourceLine);
  return {
    grammar: !grammar.match(prepared, "comment").succeeded(),
    fastMatcher: fastMatcher.match(prepared, "comment") === null,
    preparation: commentEnd(prepared, 0) < text.length,
    lineMap: new LineMap(text).lines.length > 1,
    emitters: shown.some((l) => l.includes("b")),
  };
}

describe("a comment ends where its line does", () => {
  it("by every part of nnc, at \\n and at no other character", () => {
    for (const ch of characters) {
      const e = ends(ch);
      const all = ch === "\n";
      expect(e, JSON.stringify(ch)).toEqual({
        grammar: all,
        fastMatcher: all,
        preparation: all,
        lineMap: all,
        emitters: all,
      });
    }
  });

  it("keeps offsets: the prepared text is the source, character for character but the blanks", () => {
    const source = "model m {\v\n  h = x # a\vb\n  y = (x\n  + 1)\n}\n";
    const prepared = prepareSource(source);
    expect(prepared.length).toBe(source.length);
    // the written vertical tabs are spaces; the continued newline is the only "\v"
    expect([...prepared].flatMap((c, i) => (c === "\v" ? [i] : []))).toEqual([
      source.indexOf("(x\n") + 2,
    ]);
  });

  it.each(characters.filter((ch) => ch !== "\n"))(
    "a model whose comment holds %j computes what its line shows",
    (ch) => {
      const source = [
        "model m {",
        "  input x: [batch, 1]",
        `  h = x * 2  # doubles x${ch} * 1000`,
        "  output h",
        "}",
      ].join("\n");
      const c = compile(source, { file: "vt.nn" });
      const out = c
        .load()
        .createModel()
        .forward({ x: new Float32Array([1.5]) });
      expect(Array.from(out["h"] as Float32Array)).toEqual([3]);
      expect(c.js).toContain("// line 3: h = x * 2\n");
      expect(exportTorch(c.model)).toContain("# line 3: h = x * 2\n");
    },
  );
});
