// Sizes and strides known at compile time or read from i32 params at run time (the batch dim):
// a literal, or a literal times a product of params. Products of sizes stay in that form, so that
// strides derived from shapes with named dims can be compared and multiplied symbolically.
import { get, i32, type Code } from "./code.ts";
import type { FuncBuilder } from "./func.ts";

/** A literal, or `times` (default 1) times the product of the i32 params at these indices. */
export type Size = number | { readonly params: readonly number[]; readonly times?: number };

/** The i32 param at `index` (times a literal). */
export const dyn = (index: number, times = 1): Size => ({ params: [index], times });

interface Product {
  times: number;
  params: number[];
}

function norm(s: Size): Product {
  if (typeof s === "number") return { times: s, params: [] };
  return { times: s.times ?? 1, params: [...s.params].sort((a, b) => a - b) };
}

function fromProduct(p: Product): Size {
  return p.params.length === 0 || p.times === 0 ? p.times : { params: p.params, times: p.times };
}

export function mulSize(a: Size, b: Size): Size {
  const x = norm(a);
  const y = norm(b);
  return fromProduct({
    times: x.times * y.times,
    params: [...x.params, ...y.params].sort((p, q) => p - q),
  });
}

export function sizeEq(a: Size, b: Size): boolean {
  const x = norm(a);
  const y = norm(b);
  if (x.times === 0 && y.times === 0) return true;
  return x.times === y.times && x.params.join(",") === y.params.join(",");
}

/** The literal value, or undefined for a size read at run time. */
export function literal(s: Size): number | undefined {
  return typeof s === "number" ? s : s.times === 0 ? 0 : undefined;
}

/** Row-major strides (in elements) of a tensor of `shape`. */
export function rowMajor(shape: readonly Size[]): Size[] {
  const strides: Size[] = new Array<Size>(shape.length).fill(1);
  for (let d = shape.length - 2; d >= 0; d--) strides[d] = mulSize(strides[d + 1]!, shape[d + 1]!);
  return strides;
}

/**
 * Strides of a tensor of `inShape` read at the indices of `outShape` with NumPy broadcasting: the
 * shapes aligned at the end, stride 0 along the axes where the input has size 1 or is missing.
 */
export function broadcastStrides(inShape: readonly Size[], outShape: readonly Size[]): Size[] {
  const own = rowMajor(inShape);
  return outShape.map((d, k) => {
    const i = k - (outShape.length - inShape.length);
    if (i < 0) return 0;
    return literal(inShape[i]!) === 1 && literal(d) !== 1 ? 0 : own[i]!;
  });
}

/** The i32 value of a size, as code reading the function's params. */
export function sizeCode(fb: FuncBuilder, s: Size): Code {
  const lit = literal(s);
  if (lit !== undefined) return i32.const(lit);
  const p = norm(s);
  let code: Code = get(fb.params[p.params[0]!]!);
  for (const k of p.params.slice(1)) code = i32.mul(code, get(fb.params[k]!));
  return p.times === 1 ? code : i32.mul(code, i32.const(p.times));
}
