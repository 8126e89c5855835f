// Seeded random numbers for the trainer: mulberry32 (the generator the generated modules use), and
// Fisher-Yates shuffling. Every shuffle of a run draws from one generator, so one seed fixes the
// order of every epoch.

export type Random = () => number;

export function mulberry32(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Shuffles `order` in place. */
export function shuffle(order: Int32Array | number[], rand: Random): void {
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
}

/** 0, 1, ..., n - 1 in a seeded random order. */
export function permutation(n: number, rand: Random): Int32Array {
  const order = Int32Array.from({ length: n }, (_, i) => i);
  shuffle(order, rand);
  return order;
}
