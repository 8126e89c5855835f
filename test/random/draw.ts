// Seeded choices for the random-model generator, keyed by name rather than drawn in sequence: a
// choice among rows gives each row a score hash(seed, place, row name) and takes the highest
// (rendezvous hashing), so adding a row changes only the choices the new row wins; every other
// sample, and every other choice of a changed sample, stays as it was.
import { mulberry32 } from "../../src/train/rng.ts";

/** FNV-1a over the parts' text, then murmur3's finalizer to spread the bits. */
export function hash32(...parts: readonly (string | number)[]): number {
  let h = 0x811c9dc5;
  const text = parts.join("\u0000");
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** A stream of numbers of its own for one place of one sample (`slot 3`, `values`). */
export class Draw {
  private readonly next: () => number;
  constructor(
    readonly seed: number,
    readonly place: string,
  ) {
    this.next = mulberry32(hash32(seed, place));
  }

  /** uniform in [0, 1) */
  unit(): number {
    return this.next();
  }
  /** an integer in [lo, hi] */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(list: readonly T[]): T {
    return list[Math.floor(this.next() * list.length)]!;
  }
  /** an index of a list of n, the last ones likelier (recent values make deeper chains) */
  recent(n: number): number {
    const back = Math.floor(-Math.log(1 - this.next()) * 1.5);
    return Math.max(0, n - 1 - (back % n));
  }
}

/** The entry of `entries` that scores highest for (seed, place): stable as entries are added. */
export function choose<T extends { name: string }>(
  entries: readonly T[],
  seed: number,
  place: string,
): T {
  let best = entries[0]!;
  let top = -1;
  for (const e of entries) {
    const score = hash32(seed, place, e.name);
    if (score > top) [best, top] = [e, score];
  }
  return best;
}
