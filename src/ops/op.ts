// The shape of an op definition, and the helpers every op file shares: building a node from its
// definition, NumPy broadcasting of shapes, and the reference evaluation of elementwise ops.
import { intern, shapeToString, type Attrs, type Dim, type Node, type Shape } from "../ir/node.ts";
import type { OpName } from "./names.ts";
import type { Notation } from "./notation.ts";

/** A user-facing shape error; lowering turns it into a diagnostic at the statement's position. */
export class ShapeError extends Error {
  constructor(
    message: string,
    readonly code: string = "NN3001",
  ) {
    super(message);
  }
}

/** A concrete f64 tensor of the reference interpreter. */
export interface Tensor {
  data: Float64Array;
  shape: number[];
}

/** What leaves read when the reference interpreter evaluates them. */
export interface EvalEnv {
  leaf(node: Node): Float64Array;
  dim(name: string): number;
}

export type Kind = "leaf" | "elementwise" | "reduce" | "special";

export interface OpDef {
  readonly name: OpName;
  readonly kind: Kind;
  readonly arity: number;
  /** Output shape from input shapes; throws ShapeError on bad input. */
  shape(inputs: Shape[], attrs: Attrs): Shape;
  /** Reference f64 evaluation (independent of `emit`, so that tests can compare the two). */
  evaluate(
    inputs: Tensor[],
    attrs: Attrs,
    outShape: number[],
    env: EvalEnv,
    node: Node,
  ): Float64Array;
  /** Elementwise ops: one scalar JS expression over the input expressions. */
  emit?(args: string[], attrs: Attrs): string;
  /** Reductions: how codegen accumulates (`finish` gets the accumulator and the element count). */
  reduce?: {
    init: string;
    combine(acc: string, x: string): string;
    finish?(acc: string, count: string): string;
  };
  /**
   * One gradient per input (null: no gradient flows to that input), given the output's adjoint `g`
   * and the node itself (whose output gradients may reuse, as JAX's defjvp2 does).
   * Absent: the op has no gradient rule, and differentiating through it is a compile error.
   */
  grad?(g: Node, out: Node): (Node | null)[];
  /** How it reads in `.nn` notation (default: `name(args, attr: value)`). */
  notation?: Notation;
  /**
   * The inputs that hold integers (an index, a class label: an `int` input or target); every
   * other input holds numbers. An int tensor anywhere else is a user error (NN3011).
   */
  indices?: readonly number[];
  /** How many rows (or classes) the integers of its index input may name: 0 <= i < bound. */
  indexBound?(node: Node): number;
  /** A short account of a node's configuration for drawings of the graph: conv2d's
   * `6@5x5, padding: 2` (6 filters of 5 x 5), a pool's `2x2`. */
  summary?(node: Node): string;
  /** What a reader should know of its gradient rule, shown beside the backward code (for an op
   * that only a gradient rule builds, beside the op itself). */
  gradNote?: string;
  /** The word a value it computes is named by after its statement (`loss_xent`); default: its name. */
  role?: string;
}

export function defineOp<T extends OpDef>(def: T): T {
  return def;
}

/** Builds (or finds) the node of `def` applied to `inputs`. */
export function make(def: OpDef, inputs: readonly Node[], attrs: Attrs = {}): Node {
  for (let i = 0; i < inputs.length; i++) {
    const int = inputs[i]!.attrs["dtype"] === "int";
    if (int !== (def.indices?.includes(i) ?? false)) throw intMisuse(def, inputs[i]!, int);
  }
  return intern(def.name, inputs, attrs, () =>
    def.shape(
      inputs.map((i) => i.shape),
      attrs,
    ),
  );
}

function intMisuse(def: OpDef, x: Node, int: boolean): ShapeError {
  const name = String(x.attrs["name"] ?? "this value");
  return new ShapeError(
    int
      ? `\`${name}\` holds integers (it is declared \`int\`), which only index a table ` +
          "(embedding, gather) or name a class (cross_entropy); " +
          `\`${def.name}\` needs numbers`
      : `\`${def.name}\` needs integers here (an input or target declared \`[...] int\`), ` +
          `not ${name === "this value" ? "numbers" : `\`${name}\``}`,
    "NN3011",
  );
}

/** NumPy broadcasting of two shapes, aligned at the end. */
export function broadcastShapes(a: Shape, b: Shape, what = "operands"): Shape {
  const rank = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    const x = a[a.length - rank + i] ?? 1;
    const y = b[b.length - rank + i] ?? 1;
    if (x === y || y === 1) out.push(x);
    else if (x === 1) out.push(y);
    else
      throw new ShapeError(
        `cannot broadcast ${what} of shapes ${shapeToString(a)} and ${shapeToString(b)}: ` +
          `dimension ${x} does not match ${y}`,
      );
  }
  return out;
}

/** Normalizes an axis (negative counts from the end) for a tensor of rank `rank`. */
export function normAxis(axis: number, rank: number): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank)
    throw new ShapeError(
      `axis ${axis} is out of range for a tensor of rank ${rank}` +
        (rank === 0 ? " (a scalar has no axes)" : ` (use 0..${rank - 1} or -${rank}..-1)`),
      "NN3002",
    );
  return axis < 0 ? axis + rank : axis;
}

export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Row-major strides of `inShape` seen from an output of rank `outShape.length` (0 where broadcast). */
export function broadcastStrides(
  inShape: readonly number[],
  outShape: readonly number[],
): number[] {
  const strides = new Array<number>(outShape.length).fill(0);
  let s = 1;
  for (let i = inShape.length - 1; i >= 0; i--) {
    const o = outShape.length - inShape.length + i;
    strides[o] = inShape[i] === 1 && outShape[o] !== 1 ? 0 : s;
    s *= inShape[i]!;
  }
  return strides;
}

/** Visits every index of `shape` in row-major order, giving the flat offsets for each stride set. */
export function forEachIndex(
  shape: readonly number[],
  strideSets: number[][],
  visit: (out: number, offsets: number[]) => void,
): void {
  const n = sizeOf(shape);
  const idx = new Array<number>(shape.length).fill(0);
  for (let flat = 0; flat < n; flat++) {
    const offsets = strideSets.map((st) => idx.reduce((acc, v, d) => acc + v * st[d]!, 0));
    visit(flat, offsets);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
  }
}

/** Reference evaluation of an elementwise op from a plain scalar function. */
export function mapElementwise(
  inputs: Tensor[],
  outShape: number[],
  fn: (...xs: number[]) => number,
): Float64Array {
  const out = new Float64Array(sizeOf(outShape));
  const strides = inputs.map((t) => broadcastStrides(t.shape, outShape));
  forEachIndex(outShape, strides, (o, offs) => {
    out[o] = fn(...offs.map((off, i) => inputs[i]!.data[off]!));
  });
  return out;
}

export function num(attrs: Attrs, key: string): number {
  const v = attrs[key];
  if (typeof v !== "number") throw new Error(`internal: attribute ${key} is not a number`);
  return v;
}

/** A number literal in generated code, exact for every f64 value. */
export function lit(x: number): string {
  if (Number.isNaN(x)) return "NaN";
  if (x === Infinity) return "Infinity";
  if (x === -Infinity) return "-Infinity";
  if (Object.is(x, -0)) return "-0";
  return String(x);
}
