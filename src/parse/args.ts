// Binding a call's arguments (positional, then named) to a signature, and evaluating each as its
// parameter needs: a tensor, a number known at compile time, axes, an initializer, or any value.
import { didYouMean, suggest } from "../diagnostics.ts";
import { shapeToString, type Node } from "../ir/node.ts";
import type { Arg, Expr } from "./ast.ts";
import { asNumber, POISON, report, toNode, type Cx, type Val } from "./context.ts";
import { lowerExpr } from "./exprs.ts";
import { evalInit, type ParsedInit } from "./types.ts";
import { evalListArg } from "./list-args.ts";

export type ParamKind =
  | "tensor"
  | "number"
  | "axes"
  | "init"
  | "value"
  /** a positive integer or a list of two (`kernel: 5`, `stride: [2, 1]`) */
  | "pair"
  /** `padding`: a number, [ph, pw], [top, left, bottom, right], "same" or "valid" */
  | "padding"
  /** a list of dims (`[batch, 1, 28, 28]`, one -1 allowed) */
  | "shape"
  /** a list of integers (`[0, 2, 1]`) */
  | "ints"
  /** `true` or `false` */
  | "flag";

export interface ParamSpec {
  name: string;
  kind: ParamKind;
  /** a number's default; `optional` without a default leaves the argument absent */
  default?: number;
  optional?: boolean;
}

// (function declarations, so that signatures can be built while the modules load)
export function tensor(name: string): ParamSpec {
  return { name, kind: "tensor" };
}
export function number(name: string, dflt?: number): ParamSpec {
  return dflt === undefined ? { name, kind: "number" } : { name, kind: "number", default: dflt };
}
export function axes(name: string): ParamSpec {
  return { name, kind: "axes", optional: true };
}
export function init(name: string): ParamSpec {
  return { name, kind: "init", optional: true };
}
export function pair(name: string, dflt?: number): ParamSpec {
  return dflt === undefined ? { name, kind: "pair" } : { name, kind: "pair", default: dflt };
}
export function padding(name: string): ParamSpec {
  return { name, kind: "padding", default: 0 };
}
export function shapeList(name: string): ParamSpec {
  return { name, kind: "shape" };
}
export function ints(name: string): ParamSpec {
  return { name, kind: "ints", optional: true };
}
export function flag(name: string, dflt: boolean): ParamSpec {
  return { name, kind: "flag", default: dflt ? 1 : 0 };
}

/** A padding as written: four sides (top, left, bottom, right), or "same". */
export type Padding = { kind: "sides"; sides: [number, number, number, number] } | { kind: "same" };

type CallExpr = Extract<Expr, { kind: "call" }>;

/** The evaluated arguments of a call, by parameter name. */
export class Args {
  constructor(private readonly values: Map<string, unknown>) {}
  t(name: string): Node {
    return this.values.get(name) as Node;
  }
  n(name: string): number {
    return this.values.get(name) as number;
  }
  axes(name: string): number[] | undefined {
    return this.values.get(name) as number[] | undefined;
  }
  init(name: string): ParsedInit | undefined {
    return this.values.get(name) as ParsedInit | undefined;
  }
  value(name: string): Node | number {
    return this.values.get(name) as Node | number;
  }
  pair(name: string): [number, number] {
    const v = this.values.get(name) as number | [number, number];
    return typeof v === "number" ? [v, v] : v;
  }
  padding(name: string): Padding {
    const v = this.values.get(name) as number | Padding;
    return typeof v === "number" ? { kind: "sides", sides: [v, v, v, v] } : v;
  }
  shape(name: string): (number | string)[] {
    return this.values.get(name) as (number | string)[];
  }
  ints(name: string): number[] | undefined {
    return this.values.get(name) as number[] | undefined;
  }
  flag(name: string): boolean {
    const v = this.values.get(name);
    return v === true || v === 1;
  }
}

function signature(fname: string, specs: ParamSpec[]): string {
  return `${fname}(${specs.map((s) => s.name).join(", ")})`;
}

/** Matches arguments to parameters; reports every mismatch and returns null if there was one. */
export function bindArgs(
  cx: Cx,
  fname: string,
  specs: ParamSpec[],
  call: CallExpr,
): Map<string, Arg> | null {
  const bound = new Map<string, Arg>();
  let ok = true;
  let next = 0;
  let named = false;
  const misspelled = new Set<string>();
  const fail = (at: Arg["at"], message: string) => {
    report(cx.m, "NN2004", at, message);
    ok = false;
  };
  for (const arg of call.args) {
    if (arg.name === null) {
      const spec = specs[next++];
      if (named) fail(arg.at, `a positional argument cannot follow a named one`);
      else if (!spec) {
        // once, at the first argument too many
        if (next - 1 > specs.length) continue;
        const given = call.args.filter((a) => a.name === null).length;
        const piped = call.piped ? ", counting the piped value" : "";
        const n = specs.length === 1 ? "1 argument" : `${specs.length} arguments`;
        fail(arg.at, `\`${signature(fname, specs)}\` takes ${n}, got ${given}${piped}`);
      } else bound.set(spec.name, arg);
      continue;
    }
    named = true;
    const spec = specs.find((s) => s.name === arg.name);
    if (!spec) {
      const names = specs.map((s) => s.name);
      const meant = suggest(arg.name, names);
      if (meant !== undefined) misspelled.add(meant);
      const hint = didYouMean(arg.name, names);
      fail(
        arg.at,
        `\`${fname}\` has no argument \`${arg.name}\`${hint}; it is \`${signature(fname, specs)}\``,
      );
    } else if (bound.has(spec.name)) fail(arg.at, `the argument \`${spec.name}\` is given twice`);
    else bound.set(spec.name, arg);
  }
  // (an argument the call misspelled is reported once, as the misspelling)
  for (const spec of specs)
    if (
      !bound.has(spec.name) &&
      spec.default === undefined &&
      !spec.optional &&
      !misspelled.has(spec.name)
    )
      fail(
        call.at,
        `\`${fname}\` needs the argument \`${spec.name}\`: \`${signature(fname, specs)}\``,
      );
  return ok ? bound : null;
}

/** Binds and evaluates a call's arguments; null if any failed (already reported). */
export function evalArgs(cx: Cx, fname: string, specs: ParamSpec[], call: CallExpr): Args | null {
  const bound = bindArgs(cx, fname, specs, call);
  if (!bound) return null;
  const values = new Map<string, unknown>();
  let ok = true;
  for (const spec of specs) {
    const arg = bound.get(spec.name);
    if (!arg) {
      if (spec.default !== undefined) values.set(spec.name, spec.default);
      continue;
    }
    const v = evalArg(cx, fname, spec, arg.value);
    if (v === POISON) ok = false;
    else values.set(spec.name, v);
  }
  return ok ? new Args(values) : null;
}

function evalArg(cx: Cx, fname: string, spec: ParamSpec, e: Expr): unknown {
  switch (spec.kind) {
    case "tensor":
    case "value": {
      const v = lowerExpr(e, cx);
      if (v === POISON) return POISON;
      return spec.kind === "tensor" ? toNode(v) : (asNumber(v) ?? v);
    }
    case "number":
      return staticNumber(cx, e, `\`${spec.name}\` of \`${fname}\``);
    case "axes": {
      const items = e.kind === "list" ? e.items : [e];
      const ns = items.map((item) => staticNumber(cx, item, `the axis of \`${fname}\``));
      return ns.includes(POISON) ? POISON : ns;
    }
    case "init":
      return evalInit(cx, e) ?? POISON;
    case "pair":
    case "padding":
    case "shape":
    case "ints":
    case "flag":
      return evalListArg(cx, fname, spec, e);
  }
}

/** An expression that must be known at compile time. */
export function staticNumber(cx: Cx, e: Expr, what: string): number | typeof POISON {
  const v: Val = lowerExpr(e, cx);
  if (v === POISON) return POISON;
  if (typeof v === "number") return v;
  const n = asNumber(v);
  if (n !== null) return n;
  report(
    cx.m,
    "NN2004",
    e.at,
    `${what} must be a number known at compile time, not a tensor of shape ${shapeToString(v.shape)}`,
  );
  return POISON;
}
