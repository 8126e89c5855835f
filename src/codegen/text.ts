// Text that comes from outside (file paths, names, comments, source lines) reaches generated code
// only through this module: one function per output context, each of which makes any text inert
// by construction (it cannot end its literal or comment, start a line of code, or change how the
// file is read) and keeps it readable where it can:
//
//   jsString, jsComment     JavaScript: the generated module and its .d.ts
//   pyString, pyComment     Python: the torch module and train_ddp.py (pythonFile: their first
//                           two lines, which are never outside text)
//   watString, watComment   the WebAssembly text (`--emit wat`); watId makes its identifiers
//   onnxDoc                 ONNX doc strings
//
// Every context escapes the characters that do not show as themselves: the categories Cc
// (controls: NUL, tab, the line ends "\n", "\r", "\v", "\f", U+0085), Cf (format: the BOM,
// bidirectional overrides, zero-width characters), Cs (a lone surrogate), Co, Cn, and Z but the
// space (U+2028, U+2029, the no-break and other spaces). Among them are all the characters that
// end a line in JavaScript, Python, WAT and `.nn`, those Python refuses in a file (NUL), and those
// that make text read other than it shows (bidirectional overrides, a space that is not one).
// Literals escape their quote and backslash besides.
import { LINE_END, startsComment } from "../parse/source.ts";

/** The characters no output shows raw (see above). */
const HIDDEN = /(?! )[\p{C}\p{Z}]/u;
const HIDDEN_ALL = new RegExp(HIDDEN.source, "gu");

const hex = (n: number, width: number) => n.toString(16).padStart(width, "0");

/** The text with every lone surrogate U+FFFD, as a UTF-8 encoder writes it. */
export function wellFormed(text: string): string {
  return text.replace(/[\ud800-\udbff][\udc00-\udfff]|[\ud800-\udfff]/g, (s) =>
    s.length === 2 ? s : "\ufffd",
  );
}

/** `\n`, `\r`, `\t`, else `\uXXXX` (`\u{XXXXX}` past the BMP): how comments and docs show one. */
function shown(ch: string): string {
  if (ch === "\n") return "\\n";
  if (ch === "\r") return "\\r";
  if (ch === "\t") return "\\t";
  const c = ch.codePointAt(0)!;
  return c > 0xffff ? `\\u{${hex(c, 5)}}` : `\\u${hex(c, 4)}`;
}

/** Text on one line that shows every character: the hidden ones escaped (a comment's body). */
export function oneLine(text: string): string {
  return text.replace(HIDDEN_ALL, shown);
}

// JavaScript

/** A JS string literal of any text (JSON's escapes, and every hidden character as `\uXXXX`). */
export function jsString(text: string): string {
  return JSON.stringify(text).replace(HIDDEN_ALL, (ch) =>
    Array.from({ length: ch.length }, (_, i) => `\\u${hex(ch.charCodeAt(i), 4)}`).join(""),
  );
}

/** The body of a `//` comment (safe in a block comment too: no `*\/`). */
export function jsComment(text: string): string {
  return oneLine(text).replace(/\*\//g, "* /").trim();
}

// Python

/**
 * A Python string literal of any text: `\\`, `\"` and every hidden character escaped; a lone
 * surrogate, which a Python string can hold but not encode, is U+FFFD (as UTF-8 writes it).
 */
export function pyString(text: string): string {
  let out = '"';
  for (const ch of wellFormed(text)) {
    if (ch === '"' || ch === "\\") out += `\\${ch}`;
    else if (!HIDDEN.test(ch)) out += ch;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else {
      const c = ch.codePointAt(0)!;
      out += c <= 0xff ? `\\x${hex(c, 2)}` : c <= 0xffff ? `\\u${hex(c, 4)}` : `\\U${hex(c, 8)}`;
    }
  }
  return out + '"';
}

/** The body of a `#` comment. */
export function pyComment(text: string): string {
  return oneLine(text).trim();
}

/**
 * What lines 1 and 2 of a generated Python file say: fixed texts only, never outside text, since
 * Python reads an encoding declaration (PEP 263, `coding=...`) from either. Line 1 declares UTF-8
 * itself, so that no later line can be taken for one.
 */
export type PythonTitle =
  | "a PyTorch module written by nnc export"
  | "train_ddp.py, written by nnc export --ddp: trains the model with torch.distributed";

/** A Python file: the fixed two-line head, then `lines`. */
export function pythonFile(title: PythonTitle, lines: readonly string[]): string {
  return ["# -*- coding: utf-8 -*-", `# ${title}`, ...lines].join("\n");
}

// WebAssembly text

/** Characters the text format does not allow in a `$name`. */
const NOT_WAT_ID_CHAR = /[^0-9A-Za-z!#$%&'*+\-./:<=>?@\\^_`|~]/gu;

/** A valid WAT identifier (without its `$`) from any text: other characters become `_`. */
export function watId(text: string): string {
  const s = text.replace(NOT_WAT_ID_CHAR, "_");
  return s.length === 0 ? "_" : s;
}

/** Whether `name` is a WAT identifier as it stands. */
export function isWatId(name: string): boolean {
  return name.length > 0 && watId(name) === name;
}

/** A WAT string literal: printable ASCII as itself, every other byte of the UTF-8 as `\hh`. */
export function watString(text: string): string {
  let out = '"';
  for (const b of new TextEncoder().encode(text)) {
    const ch = String.fromCharCode(b);
    out += b >= 0x20 && b < 0x7f && ch !== '"' && ch !== "\\" ? ch : `\\${hex(b, 2)}`;
  }
  return out + '"';
}

/** The body of a `;;` comment. */
export function watComment(text: string): string {
  return oneLine(text).trim();
}

// ONNX

/** An ONNX doc string: one line, every character shown, valid UTF-8 (no lone surrogate). */
export function onnxDoc(text: string): string {
  return oneLine(text);
}

// `.nn` source lines

/**
 * A line of `.nn` source as comments show it: without its own comment (which runs from `#` or `//`
 * to the end of the line, whatever it holds), trimmed. Raw: each context escapes it.
 */
export function sourceLine(line: string): string {
  // a statement over several lines: each line without its comment, joined by a space
  if (line.includes(LINE_END))
    return line
      .split(LINE_END)
      .map(sourceLine)
      .filter((l) => l !== "")
      .join(" ");
  for (let i = 0; i < line.length; i++) if (startsComment(line, i)) return line.slice(0, i).trim();
  return line.trim();
}
