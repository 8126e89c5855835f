// How the fast matcher (fastmatch.ts) reads the input where Ohm's expressions do: a terminal, a
// range, a Unicode character class, `any` and `end`, each as Ohm's InputStream reads them (by
// UTF-16 code unit, or by code point where Ohm reads one).
import * as ohm from "ohm-js";
import { Unsupported } from "./fastcst.ts";
import type { PExpr } from "./fastplan.ts";

const { pexprs } = ohm;

/** Reads `text` at `pos`: the end of what was read, or -1. */
export type Read = (text: string, pos: number) => number;

/** The reader of an expression that reads the input itself; Unsupported for any other. */
export function reader(e: PExpr): Read {
  if (e instanceof pexprs.Terminal && typeof e.obj === "string") {
    const s = e.obj;
    if (s.length === 1) {
      const c = s.charCodeAt(0);
      return (text, pos) => (text.charCodeAt(pos) === c ? pos + 1 : -1);
    }
    return (text, pos) => (text.startsWith(s, pos) ? pos + s.length : -1);
  }
  if (e instanceof pexprs.Range) {
    const [from, to] = [e.from!.codePointAt(0)!, e.to!.codePointAt(0)!];
    if (e.matchCodePoint) return codePoint((cp) => from <= cp && cp <= to);
    return (text, pos) => {
      const c = text.charCodeAt(pos); // NaN past the end
      return from <= c && c <= to ? pos + 1 : -1;
    };
  }
  if (e instanceof pexprs.UnicodeChar && e.pattern instanceof RegExp) {
    const pattern = e.pattern;
    return codePoint((cp) => pattern.test(String.fromCodePoint(cp)));
  }
  if (e === pexprs.any) return codePoint(() => true);
  if (e === pexprs.end) return (text, pos) => (pos >= text.length ? pos : -1);
  throw new Unsupported(`expression ${e.constructor.name}`);
}

/** Reads one code point (two code units past U+FFFF), as Ohm's `nextCodePoint` does. */
function codePoint(test: (cp: number) => boolean): Read {
  return (text, pos) => {
    const cp = text.codePointAt(pos);
    if (cp === undefined || !test(cp)) return -1;
    return pos + (cp > 0xffff ? 2 : 1);
  };
}
