// The `.nn` language for CodeMirror: a stream tokenizer whose keywords are read from the grammar
// itself (grammar/nn.ohm's `kw<"...">` tokens), so a keyword added there is highlighted here.
import { HighlightStyle, StreamLanguage, StringStream } from "@codemirror/language";
import { tags as t } from "@lezer/highlight";
import grammar from "../../grammar/nn.ohm?raw";

/** The grammar's keywords: `model`, `input`, `param`, `loss`, `scalar`, ... */
export const keywords: ReadonlySet<string> = new Set(
  [...grammar.matchAll(/kw<"([A-Za-z_]+)">/g)].map((m) => m[1]!),
);

/** Keywords after which the next name is being declared. */
const declaring = new Set(["model", "block", "input", "target", "param"]);

interface State {
  /** the next name is declared by the keyword before it */
  declare: boolean;
  /** a token has been read on this line */
  started: boolean;
}

const ident = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*/;
const number = /^\d+(\.\d+)?([eE][+-]?\d+)?/;

/** What a name is, from the keyword before it and the character after it. */
function nameToken(word: string, stream: StringStream, state: State): string {
  if (keywords.has(word)) {
    state.declare = declaring.has(word);
    return "keyword";
  }
  const next = stream.string.slice(stream.pos).match(/^\s*(\S?)(\S?)/)!;
  const lineStart = !state.started;
  if (state.declare) {
    state.declare = false;
    return "def";
  }
  if (next[1] === "(") return "callee";
  if (next[1] === ":") return "argName";
  if (next[1] === "=" && next[2] !== "=" && lineStart) return "def";
  return "variableName";
}

function token(stream: StringStream, state: State): string | null {
  if (stream.sol()) state.started = false;
  if (stream.eatSpace()) return null;
  const type = read(stream, state);
  state.started = true;
  return type;
}

function read(stream: StringStream, state: State): string | null {
  if (stream.match("#") || stream.match("//")) {
    stream.skipToEnd();
    return "comment";
  }
  if (stream.match(number)) return "number";
  const word = stream.match(ident);
  if (word && typeof word === "object") return nameToken(word[0], stream, state);
  if (stream.match("|>") || stream.match(/^[-+*/@^=]/)) return "operator";
  if (stream.match(/^[()[\]{}]/)) return "bracket";
  if (stream.match(/^[,;:]/)) return "punctuation";
  stream.next();
  return null;
}

/** A line's tokens as the editor colours them: [text, token type] (spaces left out). */
export function tokensOf(line: string): [string, string | null][] {
  const stream = new StringStream(line, 2, 2);
  const state: State = { declare: false, started: false };
  const out: [string, string | null][] = [];
  while (!stream.eol()) {
    const type = token(stream, state);
    if (stream.current().trim()) out.push([stream.current(), type]);
    stream.start = stream.pos;
  }
  return out;
}

export const nnLanguage = StreamLanguage.define<State>({
  name: "nn",
  startState: () => ({ declare: false, started: false }),
  copyState: (s) => ({ ...s }),
  token,
  languageData: { commentTokens: { line: "#" } },
  tokenTable: {
    keyword: t.keyword,
    def: t.definition(t.variableName),
    callee: t.function(t.variableName),
    argName: t.attributeName,
    variableName: t.variableName,
    number: t.number,
    comment: t.lineComment,
    operator: t.operator,
    bracket: t.bracket,
    punctuation: t.punctuation,
  },
});

export const nnHighlight = HighlightStyle.define([
  { tag: t.keyword, color: "#7c3aed", fontWeight: "600" },
  { tag: t.definition(t.variableName), color: "#0550ae", fontWeight: "600" },
  { tag: t.function(t.variableName), color: "#8250df" },
  { tag: t.attributeName, color: "#953800" },
  { tag: t.number, color: "#0a7f5a" },
  { tag: t.lineComment, color: "#6e7781", fontStyle: "italic" },
  { tag: t.operator, color: "#cf222e" },
]);
