// Loop nests and the expressions computed inside them. An elementwise tree (a node with its fused
// inputs) becomes one scalar expression per element; a materialized tensor it reads is indexed
// with NumPy broadcasting (stride 0 along broadcast axes), or with the loop's flat index when
// nothing is broadcast, in which case the nest collapses to as few loops as the schedule allows.
import { isScalar, sameShape, type Dim, type Node, type Shape } from "../ir/node.ts";
import { registry } from "../ops/index.ts";
import { lit, num } from "../ops/op.ts";
import type { Plan } from "./plan.ts";

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

/** A loop nest: one loop variable per dimension of `dims`. */
export interface Loop {
  /** each loop's trip count, as an expression */
  extents: string[];
  vars: string[];
  /** loops collapsed: every tensor read uses the row-major index over `dims` */
  flat: boolean;
  /** the original shape the expression lives in (for broadcasting) */
  shape: Shape;
}

/** Scalars (by name) that a kernel reads; they become the kernel's parameters. */
export type Args = Set<string>;

export class Exprs {
  constructor(readonly plan: Plan) {}

  /** The value of a scalar node as an expression in the function that computes it. */
  scalar(node: Node, args?: Args): string {
    if (node.op === "const") return lit(num(node.attrs, "value"));
    if (node.op === "dimsize") return this.plan.size(node.attrs["dims"] as Dim[]);
    if (this.plan.inlined.has(node)) return this.elementwise(node, (x) => this.scalar(x, args));
    const name = this.plan.nameOf(node);
    args?.add(name);
    return name;
  }

  /** The right-hand side of a materialized scalar elementwise node. */
  scalarDefinition(node: Node): string {
    return this.elementwise(node, (x) => this.scalar(x));
  }

  elementwise(node: Node, arg: (x: Node) => string): string {
    const emit = registry[node.op].emit;
    if (!emit) throw new Error(`internal: ${node.op} has no emit`);
    return dropDoubleParens(
      emit(
        node.inputs.map((x) => wrap(arg(x))),
        node.attrs,
      ),
    );
  }

  /** The materialized tensors an expression tree rooted at `node` reads. */
  reads(node: Node, out: Node[] = []): Node[] {
    if (isScalar(node.shape)) return out;
    if (this.plan.fused.has(node)) node.inputs.forEach((x) => this.reads(x, out));
    else out.push(node);
    return out;
  }

  /** Whether every read of the trees covers the whole loop shape (no broadcasting). */
  allFull(nodes: readonly Node[], shape: Shape): boolean {
    return nodes
      .flatMap((n) => this.reads(n))
      .every((r) => sameShape(strip1(r.shape), strip1(shape)));
  }

  /** The expression of a tensor node's element at the current iteration of `loop`. */
  at(node: Node, loop: Loop, args: Args): string {
    if (isScalar(node.shape)) return this.scalar(node, args);
    if (this.plan.fused.has(node)) return this.elementwise(node, (x) => this.at(x, loop, args));
    return `${this.plan.nameOf(node)}[${this.index(node.shape, loop)}]`;
  }

  /** The flat index of an element of a tensor of shape `of`, broadcast against the loop. */
  index(of: Shape, loop: Loop): string {
    if (loop.flat) return rowMajor(loop);
    const terms: string[] = [];
    const rank = loop.shape.length;
    let stride: string[] = [];
    for (let i = of.length - 1; i >= 0; i--) {
      const o = rank - of.length + i;
      const d = of[i]!;
      const broadcast = d === 1 && loop.shape[o] !== 1;
      if (!broadcast && d !== 1) terms.unshift([loop.vars[o]!, ...stride].join(" * "));
      stride = d === 1 ? stride : [this.plan.dim(d), ...stride];
    }
    return terms.length === 0 ? "0" : terms.join(" + ");
  }
}

/** The row-major flat index of the loop's variables. */
export function rowMajor(loop: Loop): string {
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
export function loopVars(rank: number): string[] {
  return rank === 1 ? ["i"] : Array.from({ length: rank }, (_, k) => `i${k}`);
}

/** Opens the loops of `loop` around `body`; `before(k)` gives lines to put before loop k opens,
 * `after(k)` lines to put after it closes. */
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

/** A loop over `shape`: one loop per dim, or (`flat`) one per run of consecutive dims with the same
 * `tag`, when every read covers the whole shape and can use the row-major index. */
export function makeLoop(
  shape: Shape,
  flat: boolean,
  plan: Plan,
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
  const extents = groups.map((g) => plan.size(g));
  return { extents, vars: loopVars(extents.length), flat, shape, groups: tags };
}
