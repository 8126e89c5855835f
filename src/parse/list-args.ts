// Arguments that are small lists or words known at compile time: a window's size (`kernel: 5`,
// `stride: [2, 1]`), a padding (`padding: 2`, `[1, 2]`, `[0, 0, 1, 1]`, `"same"`), a shape
// (`[batch, 1, 28, 28]`, one -1), a permutation (`[0, 2, 1]`) and a flag (`bias: false`).
import type { Expr } from "./ast.ts";
import { POISON, report, type Cx } from "./context.ts";
import type { Padding, ParamSpec } from "./args.ts";
import { staticNumber } from "./args.ts";
import { evalDim } from "./types.ts";

type Value = number | string | boolean | number[] | (number | string)[] | Padding;

export function evalListArg(
  cx: Cx,
  fname: string,
  spec: ParamSpec,
  e: Expr,
): Value | typeof POISON {
  const what = `\`${spec.name}\` of \`${fname}\``;
  switch (spec.kind) {
    case "pair": {
      const ns = integers(cx, e, what, 1);
      if (ns === POISON) return POISON;
      if (ns.length === 1) return [ns[0]!, ns[0]!];
      if (ns.length === 2) return ns;
      return fail(cx, e, `${what} takes one number or a list of two, got ${ns.length}`);
    }
    case "padding":
      return evalPadding(cx, e, what);
    case "ints":
      return integers(cx, e, what, 0);
    case "shape":
      return evalShape(cx, e, what);
    case "flag":
      if (e.kind === "name" && (e.name === "true" || e.name === "false")) return e.name === "true";
      return fail(cx, e, `${what} is \`true\` or \`false\``);
    default:
      throw new Error(`internal: ${spec.kind} is not a list argument`);
  }
}

function fail(cx: Cx, e: Expr, message: string): typeof POISON {
  report(cx.m, "NN2004", e.at, message);
  return POISON;
}

/** A number or a list of numbers, each an integer of at least `min`. */
function integers(cx: Cx, e: Expr, what: string, min: number): number[] | typeof POISON {
  const items = e.kind === "list" ? e.items : [e];
  const out: number[] = [];
  for (const item of items) {
    const n = staticNumber(cx, item, what);
    if (n === POISON) return POISON;
    if (!Number.isInteger(n) || n < min)
      return fail(
        cx,
        item,
        `${what} must be ${min === 0 ? "whole numbers" : "positive integers"}, got ${n}`,
      );
    out.push(n);
  }
  return out;
}

function evalPadding(cx: Cx, e: Expr, what: string): Padding | typeof POISON {
  if (e.kind === "string") {
    if (e.value === "same") return { kind: "same" };
    if (e.value === "valid") return { kind: "sides", sides: [0, 0, 0, 0] };
    return fail(cx, e, `${what} is a number, a list, "same" or "valid", not "${e.value}"`);
  }
  const ns = integers(cx, e, what, 0);
  if (ns === POISON) return POISON;
  const [a, b, c, d] = ns;
  if (ns.length === 1) return { kind: "sides", sides: [a!, a!, a!, a!] };
  if (ns.length === 2) return { kind: "sides", sides: [a!, b!, a!, b!] };
  if (ns.length === 4) return { kind: "sides", sides: [a!, b!, c!, d!] };
  return fail(
    cx,
    e,
    `${what} takes one number, [height, width] or [top, left, bottom, right], got ${ns.length} numbers`,
  );
}

/** `[batch, 1, 28, 28]`: dims as in a declared type, and -1 for the one size to infer. */
function evalShape(cx: Cx, e: Expr, what: string): (number | string)[] | typeof POISON {
  if (e.kind !== "list")
    return fail(cx, e, `${what} is a list of sizes, such as [batch, 1, 28, 28]`);
  const out: (number | string)[] = [];
  for (const item of e.items) {
    if (item.kind === "neg" && item.operand.kind === "number" && item.operand.value === 1) {
      out.push(-1);
      continue;
    }
    const d = evalDim(cx, item);
    if (d === null) return POISON;
    out.push(d);
  }
  if (out.filter((d) => d === -1).length > 1)
    return fail(cx, e, `${what} may give -1 (the size to infer) once`);
  return out;
}
