// Toy data sets of points in the plane, the lessons of CS231n, micrograd and the TensorFlow
// playground: XOR, two circles, Gaussian blobs, spirals and two moons. Each is generated from a
// seed, so the same options give the same points, and returned as a Table of the columns x1, x2
// and a label, which `fit` fills into any model with an input [batch, 2] and one target.
import type { Table } from "./data.ts";
import { mulberry32, shuffle, type Random } from "./rng.ts";

export type ToyKind = "xor" | "circles" | "blobs" | "spirals" | "moons";

export interface ToyOptions {
  /** how many points (default 200); spirals and blobs split them evenly over the classes */
  n?: number;
  /**
   * the noise's standard deviation (each kind has its own default): of each coordinate for
   * xor, circles, blobs and moons; of the angle, in radians, for spirals
   */
  noise?: number;
  /** classes of spirals and blobs (default 2); xor, circles and moons have 2 */
  classes?: number;
  /** the seed of the points (default 1) */
  seed?: number;
  /** labels as class indices 0, 1, ... (default) or, for two classes, as -1 and +1 */
  labels?: "index" | "signs";
  /** the blobs' centers, one per class (default: evenly spaced on a circle of radius 2) */
  centers?: readonly (readonly [number, number])[];
}

/** The defaults of the noise: each kind's classic value. */
export const toyNoise: Record<ToyKind, number> = {
  xor: 0.15,
  circles: 0.08,
  blobs: 0.6,
  spirals: 0.2,
  moons: 0.1,
};

/** A point and its class index. */
type Point = [number, number, number];

/** Box-Muller normals from a seeded uniform generator. */
export function normals(rand: Random): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

export const linspace = (from: number, to: number, n: number): number[] =>
  Array.from({ length: n }, (_, i) => (n === 1 ? from : from + ((to - from) * i) / (n - 1)));

/** `n` split into `k` near-equal counts, the larger first. */
const counts = (n: number, k: number) =>
  Array.from({ length: k }, (_, j) => Math.floor(n / k) + (j < n % k ? 1 : 0));

/**
 * CS231n's spiral: for class j of K, r = linspace(0, 1, N) and t = linspace(4j, 4(j + 1), N) plus
 * normal noise, the point (r sin t, r cos t). Classes one after the other, as the note makes them.
 */
function spirals(n: number, k: number, noise: number, rand: Random): Point[] {
  const normal = normals(rand);
  const points: Point[] = [];
  counts(n, k).forEach((m, j) => {
    const r = linspace(0, 1, m);
    const t = linspace(4 * j, 4 * (j + 1), m);
    for (let i = 0; i < m; i++) {
      const ti = t[i]! + noise * normal();
      points.push([r[i]! * Math.sin(ti), r[i]! * Math.cos(ti), j]);
    }
  });
  return points;
}

/**
 * scikit-learn's make_moons: the upper half circle (cos t, sin t) and the lower one
 * (1 - cos t, 1/2 - sin t) for t = linspace(0, pi, n/2), shuffled, then normal noise on each
 * coordinate.
 */
function moons(n: number, noise: number, rand: Random): Point[] {
  const normal = normals(rand);
  const out = Math.floor(n / 2);
  const points: Point[] = [
    ...linspace(0, Math.PI, out).map((t): Point => [Math.cos(t), Math.sin(t), 0]),
    ...linspace(0, Math.PI, n - out).map((t): Point => [1 - Math.cos(t), 0.5 - Math.sin(t), 1]),
  ];
  const order = points.map((_, i) => i);
  shuffle(order, rand);
  const shuffled = order.map((i) => points[i]!);
  for (const p of shuffled) {
    p[0] += noise * normal();
    p[1] += noise * normal();
  }
  return shuffled;
}

/** Gaussian blobs around the centers, one class each, classes one after the other. */
function blobs(
  n: number,
  centers: readonly (readonly [number, number])[],
  noise: number,
  rand: Random,
) {
  const normal = normals(rand);
  const points: Point[] = [];
  counts(n, centers.length).forEach((m, j) => {
    const [cx, cy] = centers[j]!;
    for (let i = 0; i < m; i++) points.push([cx + noise * normal(), cy + noise * normal(), j]);
  });
  return points;
}

/** XOR: points around the four corners (±1, ±1); class 1 where the signs differ. */
function xor(n: number, noise: number, rand: Random): Point[] {
  const normal = normals(rand);
  return Array.from({ length: n }, (_, i) => {
    const sx = i % 2 === 0 ? 1 : -1;
    const sy = i % 4 < 2 ? 1 : -1;
    return [sx + noise * normal(), sy + noise * normal(), sx === sy ? 0 : 1];
  });
}

/** scikit-learn's make_circles(factor 0.5): an outer circle of radius 1 (class 0), an inner one. */
function circles(n: number, noise: number, rand: Random): Point[] {
  const normal = normals(rand);
  return Array.from({ length: n }, (_, i) => {
    const inner = i % 2;
    const t = 2 * Math.PI * rand();
    const r = inner ? 0.5 : 1;
    return [r * Math.cos(t) + noise * normal(), r * Math.sin(t) + noise * normal(), inner];
  });
}

/** k centers evenly spaced on a circle of radius 2, the first at 45 degrees. */
function circleOfCenters(k: number): [number, number][] {
  return Array.from({ length: k }, (_, j) => {
    const a = Math.PI / 4 + (2 * Math.PI * j) / k;
    return [2 * Math.cos(a), 2 * Math.sin(a)];
  });
}

/** The points of `kind` as a table: columns x1, x2 and the label. */
export function toyData(kind: ToyKind, options: ToyOptions = {}): Table {
  const n = Math.max(1, Math.floor(options.n ?? 200));
  const noise = options.noise ?? toyNoise[kind];
  const classes = kind === "spirals" || kind === "blobs" ? Math.max(2, options.classes ?? 2) : 2;
  const rand = mulberry32(options.seed ?? 1);
  const centers = options.centers ?? circleOfCenters(classes);
  const points =
    kind === "spirals"
      ? spirals(n, classes, noise, rand)
      : kind === "moons"
        ? moons(n, noise, rand)
        : kind === "blobs"
          ? blobs(n, centers, noise, rand)
          : kind === "xor"
            ? xor(n, noise, rand)
            : circles(n, noise, rand);
  const signs = options.labels === "signs" && classes === 2;
  const values = new Float64Array(points.length * 3);
  points.forEach(([x1, x2, j], i) => values.set([x1, x2, signs ? 2 * j - 1 : j], i * 3));
  const label = kind === "moons" || signs ? "y" : "class";
  return {
    file: kind,
    header: ["x1", "x2", label],
    columns: 3,
    rows: points.length,
    values,
    lines: Int32Array.from(points, (_, i) => i + 2),
  };
}
