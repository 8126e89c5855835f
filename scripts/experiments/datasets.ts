// The experiments' data sets, generated from fixed seeds so that every run writes the same files:
// CS231n's spiral, scikit-learn's two moons (as micrograd's demo uses them) and two Gaussian blobs.
import { writeFileSync } from "node:fs";
import { mulberry32, shuffle, type Random } from "../../src/train/rng.ts";

/** Box-Muller normals from a seeded uniform generator. */
function normals(rand: Random): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

const linspace = (from: number, to: number, n: number) =>
  Array.from({ length: n }, (_, i) => (n === 1 ? from : from + ((to - from) * i) / (n - 1)));

/** Rows of coordinates (5 decimals) and a label (an integer) last. */
function write(file: string, header: string, rows: number[][]): void {
  const text = rows.map((r) => [...r.slice(0, -1).map((v) => v.toFixed(5)), String(r.at(-1))]);
  writeFileSync(file, [header, ...text.map((r) => r.join(","))].join("\n") + "\n");
}

/**
 * CS231n's spiral: K = 3 classes of N = 100 points; for class j, r = linspace(0, 1, N) and
 * t = linspace(4j, 4(j + 1), N) + 0.2 randn, the point (r sin t, r cos t). Columns x1,x2,class.
 */
export function spirals(file: string): void {
  const normal = normals(mulberry32(1998));
  const rows: number[][] = [];
  for (let k = 0; k < 3; k++) {
    const r = linspace(0, 1, 100);
    const t = linspace(4 * k, 4 * (k + 1), 100);
    for (let i = 0; i < 100; i++) {
      const ti = t[i]! + 0.2 * normal();
      rows.push([r[i]! * Math.sin(ti), r[i]! * Math.cos(ti), k]);
    }
  }
  write(file, "x1,x2,class", rows);
}

/**
 * scikit-learn's make_moons(n_samples=100, noise=0.1): the upper half circle (cos t, sin t) and the
 * lower one (1 - cos t, 1/2 - sin t) for t = linspace(0, pi, 50), shuffled, plus N(0, 0.1^2)
 * noise on each coordinate. Labels as micrograd's demo makes them: -1 for the first moon, +1 for
 * the second. Columns x1,x2,y.
 */
export function moons(file: string, n = 100, noise = 0.1): void {
  const rand = mulberry32(2020);
  const normal = normals(rand);
  const out = Math.floor(n / 2);
  const rows: number[][] = [
    ...linspace(0, Math.PI, out).map((t) => [Math.cos(t), Math.sin(t), -1]),
    ...linspace(0, Math.PI, n - out).map((t) => [1 - Math.cos(t), 0.5 - Math.sin(t), 1]),
  ];
  const order = rows.map((_, i) => i);
  shuffle(order, rand);
  const shuffled = order.map((i) => rows[i]!);
  for (const r of shuffled) {
    r[0]! += noise * normal();
    r[1]! += noise * normal();
  }
  write(file, "x1,x2,y", shuffled);
}

/**
 * Two Gaussian blobs of 50 points each, around (-1.5, -1) with label -1 and (1.5, 1) with label
 * +1, standard deviation 0.6 on each axis: linearly separable, as the linear SVM's lesson needs
 * (`blobMargin` checks it). Columns x1,x2,y.
 */
export function blobs(file: string): void {
  const normal = normals(mulberry32(7));
  const rows: number[][] = [];
  for (const [cx, cy, label] of [
    [-1.5, -1, -1],
    [1.5, 1, 1],
  ] as const)
    for (let i = 0; i < 50; i++) rows.push([cx + 0.6 * normal(), cy + 0.6 * normal(), label]);
  write(file, "x1,x2,y", rows);
}
