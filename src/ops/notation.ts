// How an op reads in `.nn` notation, for the comments of generated code and `nnc grad --math`:
// `d_h.W = transpose(x) @ d_h_pre`. An op without a notation of its own reads as a call,
// `name(args, attr: value)`; precedence follows the grammar: `+ -`, then `* / @`, unary `-`, `^`.
import type { Attrs, Node } from "../ir/node.ts";
import { lit } from "./op.ts";

/** A rendered expression and the precedence of its outermost operator. */
export interface Shown {
  text: string;
  prec: number;
}

/** `node` is absent inside a kernel's expression, where only elementwise ops appear. */
export type Notation = (args: Shown[], attrs: Attrs, node?: Node) => Shown;

export const PREC = { sum: 1, product: 2, unary: 3, power: 4, primary: 5 } as const;

/** The text of `s`, in parentheses unless it binds at least as tightly as `min`. */
export function operand(s: Shown, min: number): string {
  return s.prec >= min ? s.text : `(${s.text})`;
}

/** `a symbol b`, left-associative (right-associative with `right`). */
export function binary(symbol: string, prec: number, a: Shown, b: Shown, right = false): Shown {
  const [l, r] = right ? [prec + 1, prec] : [prec, prec + 1];
  return { text: `${operand(a, l)} ${symbol} ${operand(b, r)}`, prec };
}

export function infix(symbol: string, prec: number, right = false): Notation {
  return ([a, b]) => binary(symbol, prec, a!, b!, right);
}

export function prefix(symbol: string, prec: number): Notation {
  return ([a]) => ({ text: `${symbol}${operand(a!, prec)}`, prec });
}

/** Broadcasts and reshapes read as their operand: `.nn` broadcasts implicitly. */
export const same: Notation = ([a]) => a!;

/** Attributes shown as named arguments; the IR's bookkeeping ones are not. */
const hidden = new Set(["keep", "id", "name", "shape", "role", "batch", "axes", "axis", "perm"]);

/** `name(args, attr: value)`, the default. */
export function call(name: string, extra: string[] = []): Notation {
  return (args, attrs) => {
    const named = Object.entries(attrs)
      .filter(([k, v]) => !hidden.has(k) && (typeof v === "number" || typeof v === "boolean"))
      .map(([k, v]) => `${k}: ${typeof v === "number" ? lit(v) : String(v)}`);
    const all = [...args.map((a) => a.text), ...extra, ...named];
    return { text: `${name}(${all.join(", ")})`, prec: PREC.primary };
  };
}

/** `axis: 0` (or `axis: [0, 1]`) unless the op runs over every axis of its operand. */
export function axesArg(axes: readonly number[], rank: number): string[] {
  if (axes.length === rank) return [];
  return [`axis: ${axes.length === 1 ? axes[0] : `[${axes.join(", ")}]`}`];
}

/** `axis: 0` unless it is the last axis, the default of softmax and its kin. */
export function lastAxisArg(axis: number, rank: number): string[] {
  return axis === rank - 1 ? [] : [`axis: ${axis}`];
}
