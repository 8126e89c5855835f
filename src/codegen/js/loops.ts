// Loop nests, and the JS text of a kernel's per-element expression. A tensor the expression reads
// is indexed with NumPy broadcasting (stride 0 along broadcast axes), or with the loop's flat
// index when nothing is broadcast, in which case the nest collapses to as few loops as it can.
import { sameShape, type Dim, type Shape } from "../../ir/node.ts";
import { registry } from "../../ops/index.ts";
import { lit } from "../../ops/op.ts";
import type { KExpr } from "../schedule/kernels.ts";

/** How a kernel's code names things: its parameters, and the sizes of named dims. */
export interface Scope {
  tensor(arg: number): string;
  scalar(arg: number): string;
  dim(d: Dim): string;
}

/** The element count of `shape` as an expression: a literal times the dim variables. */
export function sizeOf(shape: readonly Dim[], scope: Pick<Scope, "dim">): string {
  let fixed = 1;
  const vars: string[] = [];
  for (const d of shape) {
    if (typeof d === "number") fixed *= d;
    else vars.push(scope.dim(d));
  }
  if (vars.length === 0) return lit(fixed);
  return (fixed === 1 ? vars : [lit(fixed), ...vars]).join(" * ");
}

/** Parenthesizes an expression unless it is an identifier, an indexed identifier or a literal. */
export function wrap(e: string): string {
  if (/^[A-Za-z_$][\w$]*$/.test(e)) return e;
  if (/^[A-Za-z_$][\w$]*\[[^[\]()]*\]$/.test(e)) return e;
  if (/^[0-9]+(\.[0-9]+)?(e[+-]?[0-9]+)?$/.test(e)) return e;
  return `(${e})`;
}

/** `((e))` -> `(e)`, where an op's template already parenthesizes a wrapped argument. */
export function dropDoubleParens(e: string): string {
  const match = new Map<number, number>();
  const open: number[] = [];
  for (let i = 0; i < e.length; i++) {
    if (e[i] === "(") open.push(i);
    else if (e[i] === ")") match.set(open.pop()!, i);
  }
  const drop = new Set<number>();
  for (const [i, j] of match)
    if (e[i + 1] === "(" && match.get(i + 1) === j - 1) drop.add(i + 1).add(j - 1);
  return [...e].filter((_, i) => !drop.has(i)).join("");
}

/** A loop nest: one loop variable per group of dimensions. */
export interface Loop {
  /** each loop's trip count, as an expression */
  extents: string[];
  vars: string[];
  /** loops collapsed: every tensor read uses the row-major index */
  flat: boolean;
  /** the shape the loop runs over (for broadcasting) */
  shape: Shape;
}

/** The JS expression of `e` at the current iteration of `loop`. */
export function exprAt(e: KExpr, loop: Loop, scope: Scope): string {
  switch (e.kind) {
    case "const":
      return lit(e.value);
    case "size":
      return sizeOf(e.dims, scope);
    case "scalar":
      return scope.scalar(e.arg);
    case "read":
      return `${scope.tensor(e.arg)}[${index(e.shape, loop, scope)}]`;
    case "op": {
      const emit = registry[e.op].emit;
      if (!emit) throw new Error(`internal: ${e.op} has no emit`);
      const args = e.args.map((a) => wrap(exprAt(a, loop, scope)));
      return dropDoubleParens(emit(args, e.attrs));
    }
  }
}

/** Whether every tensor `e` reads covers the whole loop shape (no broadcasting). */
export function readsAllFull(e: KExpr, shape: Shape): boolean {
  if (e.kind === "read") return sameShape(strip1(e.shape), strip1(shape));
  if (e.kind === "op") return e.args.every((a) => readsAllFull(a, shape));
  return true;
}

/** The flat index of an element of a tensor of shape `of`, broadcast against the loop. */
function index(of: Shape, loop: Loop, scope: Scope): string {
  if (loop.flat) return rowMajor(loop);
  const terms: string[] = [];
  const rank = loop.shape.length;
  let stride: string[] = [];
  for (let i = of.length - 1; i >= 0; i--) {
    const o = rank - of.length + i;
    const d = of[i]!;
    const broadcast = d === 1 && loop.shape[o] !== 1;
    if (!broadcast && d !== 1) terms.unshift([loop.vars[o]!, ...stride].join(" * "));
    stride = d === 1 ? stride : [sizeOf([d], scope), ...stride];
  }
  return terms.length === 0 ? "0" : terms.join(" + ");
}

/** The row-major flat index of the loop's variables. */
export function rowMajor(loop: Pick<Loop, "extents" | "vars">): string {
  const terms: string[] = [];
  let stride: string[] = [];
  for (let i = loop.extents.length - 1; i >= 0; i--) {
    if (loop.extents[i] !== "1") terms.unshift([loop.vars[i]!, ...stride].join(" * "));
    stride = loop.extents[i] === "1" ? stride : [loop.extents[i]!, ...stride];
  }
  return terms.length === 0 ? "0" : terms.join(" + ");
}

function strip1(shape: Shape): Shape {
  let k = 0;
  while (k < shape.length && shape[k] === 1) k++;
  return shape.slice(k);
}

/** Loop variable names for a nest of `rank` loops. */
function loopVars(rank: number): string[] {
  return rank === 1 ? ["i"] : Array.from({ length: rank }, (_, k) => `i${k}`);
}

/** Opens the loops of `loop` around `body`; `before(k)`/`after(k)` give lines around loop k. */
export function nest(
  loop: Loop,
  body: string[],
  hooks: { before?: (k: number) => string[]; after?: (k: number) => string[] } = {},
): string[] {
  const build = (k: number): string[] => {
    if (k === loop.extents.length) return body;
    const v = loop.vars[k]!;
    const inner = build(k + 1).map((l) => `  ${l}`);
    return [
      ...(hooks.before?.(k) ?? []),
      `for (let ${v} = 0; ${v} < ${loop.extents[k]!}; ${v}++) {`,
      ...inner,
      "}",
      ...(hooks.after?.(k) ?? []),
    ];
  };
  return build(0);
}

/** A loop over `shape`: one loop per dim, or (`flat`) one per run of consecutive dims with the
 * same `tag`, when every read covers the whole shape and can use the row-major index. */
export function makeLoop(
  shape: Shape,
  flat: boolean,
  scope: Pick<Scope, "dim">,
  tag: (axis: number) => boolean = () => true,
): Loop & { groups: boolean[] } {
  const groups: Dim[][] = [];
  const tags: boolean[] = [];
  shape.forEach((d, i) => {
    const t = tag(i);
    const last = groups[groups.length - 1];
    if (flat && last && tags[tags.length - 1] === t) last.push(d);
    else {
      groups.push([d]);
      tags.push(t);
    }
  });
  const extents = groups.map((g) => sizeOf(g, scope));
  return { extents, vars: loopVars(extents.length), flat, shape, groups: tags };
}
