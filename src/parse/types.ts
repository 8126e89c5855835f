// Compile-time values: declared shapes (`scalar`, `[batch, 2]`, `[dim(x, -1), units]`) and
// initializers (`zeros`, `[2, -3]`, `normal(std: 0.01)`).
import { didYouMean } from "../diagnostics.ts";
import type { Dim, Shape } from "../ir/node.ts";
import type { Init } from "../ir/model.ts";
import { normAxis, ShapeError } from "../ops/op.ts";
import type { Expr, TypeExpr } from "./ast.ts";
import { asNumber, Fail, POISON, report, type Cx } from "./context.ts";
import { bindArgs, evalArgs, number, staticNumber } from "./args.ts";
import { lookup, lowerExpr } from "./exprs.ts";

/** A declared shape, or null if it had an error (reported). */
export function evalType(cx: Cx, t: TypeExpr): Shape | null {
  if (t.kind === "scalar") return [];
  const dims = t.dims.map((d) => evalDim(cx, d));
  return dims.includes(null) ? null : (dims as Dim[]);
}

function positiveInt(cx: Cx, n: number, e: Expr): Dim | null {
  if (Number.isInteger(n) && n >= 1) return n;
  report(cx.m, "NN3007", e.at, `a dimension must be a positive integer, got ${n}`);
  return null;
}

export function evalDim(cx: Cx, e: Expr): Dim | null {
  if (e.kind === "name" && !e.name.includes(".") && !bound(cx, e.name)) return e.name;
  if (e.kind === "call" && e.callee === "dim") return dimOf(cx, e);
  if (e.kind === "binary" || e.kind === "neg") {
    const parts = e.kind === "neg" ? [e.operand] : [e.left, e.right];
    const named = parts.find((p) => p.kind === "name" && !bound(cx, p.name));
    if (named && named.kind === "name") {
      report(
        cx.m,
        "NN3007",
        named.at,
        `arithmetic on the named dimension \`${named.name}\` is not supported`,
      );
      return null;
    }
  }
  const v = lowerExpr(e, cx);
  if (v === POISON) return null;
  const n = asNumber(v);
  if (n === null) {
    report(
      cx.m,
      "NN3007",
      e.at,
      "a dimension must be an integer, a name like `batch`, or `dim(x, i)`",
    );
    return null;
  }
  return positiveInt(cx, n, e);
}

function bound(cx: Cx, name: string): boolean {
  return cx.frame.scope.has(name) || (!cx.frame.block && cx.m.root.has(name));
}

/** `dim(x, i)`: the size of axis i of x (negative counts from the end). */
export function dimOf(cx: Cx, e: Extract<Expr, { kind: "call" }>): Dim | null {
  const args = bindArgs(cx, "dim", [{ name: "x", kind: "tensor" }, number("axis")], e);
  if (!args) return null;
  const xArg = args.get("x")!.value;
  const x = xArg.kind === "name" ? lookup(xArg.name, xArg.at, cx) : lowerExpr(xArg, cx);
  const axis = staticNumber(cx, args.get("axis")!.value, "the axis of `dim`");
  if (x === POISON || axis === POISON) return null;
  if (typeof x === "number") {
    report(cx.m, "NN2004", xArg.at, "`dim` needs a tensor, not a number");
    return null;
  }
  try {
    return x.shape[normAxis(axis, x.shape.length)]!;
  } catch (err) {
    if (!(err instanceof ShapeError)) throw err;
    report(cx.m, "NN3002", e.at, err.message);
    return null;
  }
}

const initNames = ["zeros", "ones", "glorot", "he", "normal", "uniform"];

/** An initializer as written; a list is checked against the param's size once it is known. */
export type ParsedInit = Init;

export function evalInit(cx: Cx, e: Expr): ParsedInit | null {
  if (e.kind === "name" && ["zeros", "ones", "glorot", "he"].includes(e.name))
    return { kind: e.name as "zeros" | "ones" | "glorot" | "he" };
  if (e.kind === "call") return initCall(cx, e);
  if (e.kind === "name" && !bound(cx, e.name)) {
    return unknownInit(cx, e.name, e.at);
  }
  const values = flatten(cx, e);
  if (!values) return null;
  return e.kind === "list" ? { kind: "values", values } : { kind: "fill", value: values[0]! };
}

function unknownInit(cx: Cx, name: string, at: Expr["at"]): null {
  report(cx.m, "NN2003", at, `unknown initializer \`${name}\`${didYouMean(name, initNames)}`);
  return null;
}

function flatten(cx: Cx, e: Expr): number[] | null {
  if (e.kind !== "list") {
    const n = staticNumber(cx, e, "an initial value");
    return n === POISON ? null : [n];
  }
  const parts = e.items.map((item) => flatten(cx, item));
  return parts.includes(null) ? null : (parts as number[][]).flat();
}

function initCall(cx: Cx, e: Extract<Expr, { kind: "call" }>): Init | null {
  const specs = {
    normal: [number("mean", 0), number("std")],
    uniform: [number("low"), number("high")],
  };
  if (e.callee !== "normal" && e.callee !== "uniform") {
    return unknownInit(cx, e.callee, e.at);
  }
  const args = evalArgs(cx, e.callee, specs[e.callee], e);
  if (!args) return null;
  if (e.callee === "normal") {
    const [mean, std] = [args.n("mean"), args.n("std")];
    if (!(std >= 0)) return bad(cx, e, `\`std\` must be at least 0, got ${std}`);
    return { kind: "normal", mean, std };
  }
  const [low, high] = [args.n("low"), args.n("high")];
  if (!(low <= high)) return bad(cx, e, `\`low\` must not exceed \`high\`, got ${low} and ${high}`);
  return { kind: "uniform", low, high };
}

function bad(cx: Cx, e: Expr, message: string): null {
  report(cx.m, "NN3005", e.at, message);
  return null;
}

/**
 * The init of a param of `size` elements; a list must give exactly one value per element. A
 * number stays one number (a fill), whatever the size: never an array of `size` copies.
 */
export function resolveInit(init: ParsedInit, size: number, what: string): Init {
  if (init.kind === "values" && init.values.length !== size)
    throw new Fail(
      "NN3005",
      `${what} has ${size} element(s) but its initial value lists ${init.values.length}`,
    );
  return init;
}
