// What a gradient check compares, and the loss evaluations that give the numeric side. Each
// differentiated leaf (a param, or an input named by --wrt) is probed two ways:
// - elements one by one: the central difference (L(p + h e_i) - L(p - h e_i)) / 2h against the
//   symbolic g_i, with h scaled by max(1, |p_i|);
// - random directions: p moves by t h s (t = +-1, +-2) with s_i = +-max(1, |p_i|) over up to
//   DIRECTION_ELEMENTS elements (a seeded sample of a larger leaf); the central difference at t = 1
//   against g . s, and the third difference L(2) - 2 L(1) + 2 L(-1) - L(-2), which is the loss's
//   rounding noise plus 2 h^3 times its third derivative along s: what the difference cannot
//   resolve.
// Only the elements probed are copied (the symbolic values right after `grad`, whose arrays may be
// views the next call reuses; the originals of a direction, to restore them exactly), so the check
// needs memory for a few thousand numbers besides the model's own.
import type { Random } from "./train/rng.ts";

/** The elements of a leaf, read and written in place (a scalar input lives in the feed). */
export interface Slot {
  size: number;
  get(i: number): number;
  set(i: number, value: number): void;
}

/** Elements a random direction moves at most: a sample of a larger leaf. */
export const DIRECTION_ELEMENTS = 65_536;

export interface Direction {
  indices: Int32Array;
  /** +-max(1, |p_i|): the step of each element, in units of h */
  s: Float64Array;
  /** the symbolic directional derivative g . s */
  symbolic: number;
  /** |s|, the scale of the relative error's floor */
  norm: number;
}

export interface Element {
  index: number;
  symbolic: number;
}

/** What to compare for one leaf, read from the symbolic gradient `g` right after `grad`. */
export function plan(
  slot: Slot,
  g: ArrayLike<number>,
  counts: { samples: number; directions: number },
  rand: Random,
): { elements: Element[]; directions: Direction[] } {
  const elements = pick(slot.size, counts.samples, rand).map((i) => ({
    index: i,
    symbolic: g[i]!,
  }));
  const directions = Array.from({ length: counts.directions }, () => {
    const indices = Int32Array.from(pick(slot.size, DIRECTION_ELEMENTS, rand));
    const s = Float64Array.from(
      indices,
      (i) => (rand() < 0.5 ? -1 : 1) * Math.max(1, Math.abs(slot.get(i))),
    );
    let symbolic = 0;
    let norm = 0;
    indices.forEach((i, j) => {
      symbolic += g[i]! * s[j]!;
      norm += s[j]! * s[j]!;
    });
    return { indices, s, symbolic, norm: Math.sqrt(norm) };
  });
  return { elements, directions };
}

/** One element's central difference, over the displacement the floats really made. */
export function probeElement(slot: Slot, i: number, h: number, loss: () => number) {
  const keep = slot.get(i);
  const step = h * Math.max(1, Math.abs(keep));
  const [up, down] = [keep + step, keep - step];
  slot.set(i, up);
  const lossUp = loss();
  slot.set(i, down);
  const lossDown = loss();
  slot.set(i, keep);
  return { numeric: (lossUp - lossDown) / (up - down), span: up - down };
}

/** A direction's central difference at t = 1 and its third difference (see the top). */
export function probeDirection(slot: Slot, d: Direction, h: number, loss: () => number) {
  const keep = Float64Array.from(d.indices, (i) => slot.get(i));
  const at = (t: number) => {
    d.indices.forEach((i, j) => slot.set(i, keep[j]! + t * h * d.s[j]!));
    return loss();
  };
  const [l1, lm1, l2, lm2] = [at(1), at(-1), at(2), at(-2)];
  d.indices.forEach((i, j) => slot.set(i, keep[j]!));
  return { numeric: (l1 - lm1) / (2 * h), third: l2 - 2 * l1 + 2 * lm1 - lm2 };
}

/** k distinct indices below n in increasing order (all of them when n <= k), seeded. */
function pick(n: number, k: number, rand: Random): number[] {
  if (n <= k) return Array.from({ length: n }, (_, i) => i);
  const set = new Set<number>();
  while (set.size < k) set.add(Math.floor(rand() * n));
  return [...set].sort((a, b) => a - b);
}
