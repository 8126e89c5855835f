// Shapes for the random-model generator, of any rank: a shape is a list of dims, a dim a size or
// the named dim `batch` (inputs and targets only, first axis only). Broadcasting is NumPy's.
import type { Draw } from "./draw.ts";

export type Dim = number | string;
export type Shape = readonly Dim[];

export const BATCH = "batch";

/**
 * The ranks of the new leaves a row declares unless it says otherwise. Rank 3 and 4 come from the
 * rows that need them (images, sequences, reshape): a row takes a value of the pool of any rank it
 * accepts (`pool`), and the shapes below handle any rank.
 */
export const RANKS: readonly number[] = [0, 1, 2];

/** Every rank a value of the pool may have. */
export const ALL_RANKS: readonly number[] = [0, 1, 2, 3, 4];

/** What a row needs of an operand's shape. */
export interface ShapeSpec {
  /** the ranks of a new leaf */
  ranks: readonly number[];
  /** the ranks of a value of the pool it takes (`ranks` unless given) */
  pool?: readonly number[];
  /** the last axis has a fixed size (a layer's features, the inner size of `@`) */
  fixedLast?: boolean;
  /** the first axis has at least two rows, or is `batch` (batchnorm's statistics) */
  rows?: boolean;
}

export const anyShape: ShapeSpec = { ranks: RANKS, pool: ALL_RANKS };

export function fits(shape: Shape, spec: ShapeSpec): boolean {
  if (!(spec.pool ?? spec.ranks).includes(shape.length)) return false;
  if (spec.fixedLast && typeof shape[shape.length - 1] !== "number") return false;
  return !spec.rows || shape[0] === BATCH || (typeof shape[0] === "number" && shape[0] >= 2);
}

// mostly small, sometimes past the 4 lanes of a wasm vector and the blocks of the matrix products
const sizes = [1, 2, 2, 3, 3, 4, 5, 9];

/** A new shape that fits `spec`; `batch` on the first axis only where `named` allows. */
export function randomShape(d: Draw, spec: ShapeSpec, named: boolean): Dim[] {
  const rank = d.pick(spec.ranks);
  const shape: Dim[] = Array.from({ length: rank }, () => d.pick(sizes));
  if (rank > 0 && (spec.rows || rank > 1) && named && d.chance(0.6)) shape[0] = BATCH;
  if (rank > 0 && spec.rows && shape[0] !== BATCH) shape[0] = d.int(2, 3);
  if (rank === 1 && named && !spec.fixedLast && d.chance(0.3)) shape[0] = BATCH;
  return shape;
}

/** The broadcast of two shapes, or null where they do not broadcast. */
export function broadcast(a: Shape, b: Shape): Dim[] | null {
  const rank = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    const x = a[a.length - rank + i] ?? 1;
    const y = b[b.length - rank + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return null;
    out.push(x === 1 ? y : x);
  }
  return out;
}

/**
 * A new shape that broadcasts with `shape`: a suffix of it with some dims made 1 (`batch` too
 * unless `named`), sometimes with an axis more in front, up to the largest rank of `RANKS`.
 */
export function partner(d: Draw, shape: Shape, named: boolean): Dim[] {
  const keep = d.int(0, shape.length);
  const out = shape
    .slice(shape.length - keep)
    .map((dim) => (d.chance(0.25) || (dim === BATCH && !named) ? 1 : dim));
  const most = Math.max(...RANKS);
  if (out.length === shape.length && out.length < most && d.chance(0.15)) out.unshift(2);
  return out;
}

export function shapeText(shape: Shape): string {
  return shape.length === 0 ? "scalar" : `[${shape.join(", ")}]`;
}
