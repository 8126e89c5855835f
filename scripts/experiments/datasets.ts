// The experiments' data sets, generated from fixed seeds so that every run writes the same files:
// CS231n's spiral, scikit-learn's two moons (as micrograd's demo uses them) and two Gaussian blobs.
// The points come from the library's toy data sets (src/train/toy.ts), which the playground draws.
import { writeOutput } from "../../src/train/outputs.ts";
import type { Table } from "../../src/train/data.ts";
import { toyData } from "../../src/train/toy.ts";

/** Rows of coordinates (5 decimals) and a label (an integer) last. */
function write(file: string, table: Table): void {
  const rows: string[] = [];
  for (let r = 0; r < table.rows; r++) {
    const [x1, x2, label] = table.values.subarray(r * 3, r * 3 + 3);
    rows.push([x1!.toFixed(5), x2!.toFixed(5), String(label)].join(","));
  }
  writeOutput(file, [table.header.join(","), ...rows].join("\n") + "\n");
}

/** CS231n's spiral: K = 3 classes of N = 100 points, angle noise 0.2. Columns x1,x2,class. */
export function spirals(file: string): void {
  write(file, toyData("spirals", { n: 300, classes: 3, noise: 0.2, seed: 1998 }));
}

/**
 * scikit-learn's make_moons(n_samples=100, noise=0.1), labelled as micrograd's demo labels them:
 * -1 for the first moon, +1 for the second. Columns x1,x2,y.
 */
export function moons(file: string, n = 100, noise = 0.1): void {
  write(file, toyData("moons", { n, noise, seed: 2020, labels: "signs" }));
}

/**
 * Two Gaussian blobs of 50 points each, around (-1.5, -1) with label -1 and (1.5, 1) with label
 * +1, standard deviation 0.6 on each axis: linearly separable, as the linear SVM's lesson needs
 * (`blobMargin` checks it). Columns x1,x2,y.
 */
export function blobs(file: string): void {
  const centers = [
    [-1.5, -1],
    [1.5, 1],
  ] as const;
  write(file, toyData("blobs", { n: 100, centers, noise: 0.6, seed: 7, labels: "signs" }));
}
