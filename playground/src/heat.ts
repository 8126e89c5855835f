// The decision regions: a model's outputs over a grid of the plane, as a class and a confidence
// per cell, painted under the data points.

/** How an output per example reads as a class. */
export type Reading =
  /** k > 1 outputs that sum to 1 (a softmax): the largest is the class */
  | { kind: "probs"; k: number }
  /** k > 1 scores: softmax first */
  | { kind: "logits"; k: number }
  /** one output: a probability or score above the threshold is class 1 */
  | { kind: "threshold"; threshold: number; scale: number };

/** Per cell: the class (0, 1, ...) and the confidence in [0, 1] (0: a tie, 1: certain). */
export function classify(out: ArrayLike<number>, cells: number, r: Reading): Float32Array {
  const res = new Float32Array(cells * 2);
  for (let i = 0; i < cells; i++) {
    const [c, conf] = r.kind === "threshold" ? oneOutput(out[i]!, r) : argmax(out, i, r);
    res[2 * i] = c;
    res[2 * i + 1] = Number.isFinite(conf) ? Math.min(1, Math.max(0, conf)) : 0;
  }
  return res;
}

function oneOutput(v: number, r: { threshold: number; scale: number }): [number, number] {
  return [v > r.threshold ? 1 : 0, Math.tanh(Math.abs(v - r.threshold) * r.scale)];
}

function argmax(out: ArrayLike<number>, i: number, r: { kind: "probs" | "logits"; k: number }) {
  const { k } = r;
  let best = 0;
  for (let j = 1; j < k; j++) if (out[i * k + j]! > out[i * k + best]!) best = j;
  let p = out[i * k + best]!;
  if (r.kind === "logits") {
    let z = 0;
    for (let j = 0; j < k; j++) z += Math.exp(out[i * k + j]! - out[i * k + best]!);
    p = 1 / z;
  }
  // from 1/k (a tie of all) to 1 (certain)
  return [best, (p - 1 / k) / (1 - 1 / k)] as [number, number];
}

/** The classes' colours (RGB), as the TensorFlow playground's orange and blue, then more. */
export const palette: readonly (readonly [number, number, number])[] = [
  [245, 147, 34],
  [8, 119, 189],
  [46, 160, 67],
  [207, 34, 46],
  [130, 80, 223],
  [120, 120, 120],
];

/** The grid's cell centres, row by row from the top (y decreasing), as [x1, x2] pairs. */
export function gridPoints(bounds: readonly number[], cells: number): Float32Array {
  const [x0, x1, y0, y1] = bounds as [number, number, number, number];
  const g = new Float32Array(cells * cells * 2);
  for (let r = 0; r < cells; r++)
    for (let c = 0; c < cells; c++) {
      const i = r * cells + c;
      g[2 * i] = x0 + ((c + 0.5) / cells) * (x1 - x0);
      g[2 * i + 1] = y1 - ((r + 0.5) / cells) * (y1 - y0);
    }
  return g;
}

/** The bounds [xmin, xmax, ymin, ymax] of the points (x1, x2, label rows), with a margin. */
export function boundsOf(points: ArrayLike<number>): [number, number, number, number] {
  let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
  for (let i = 0; i < points.length; i += 3) {
    x0 = Math.min(x0, points[i]!);
    x1 = Math.max(x1, points[i]!);
    y0 = Math.min(y0, points[i + 1]!);
    y1 = Math.max(y1, points[i + 1]!);
  }
  const m = 0.15 * Math.max(x1 - x0, y1 - y0, 1e-3);
  return [x0 - m, x1 + m, y0 - m, y1 + m];
}

/** Paints the regions and the points on a canvas. */
export function paint(
  canvas: HTMLCanvasElement,
  regions: Float32Array | null,
  cells: number,
  bounds: readonly number[],
  points: ArrayLike<number>,
  test: ArrayLike<number>,
): void {
  const ctx = canvas.getContext("2d")!;
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  if (regions) paintRegions(ctx, regions, cells);
  paintPoints(ctx, bounds, points, false);
  paintPoints(ctx, bounds, test, true);
}

/** Each cell in its class's colour, paler where the model is less sure, smoothed. */
function paintRegions(ctx: CanvasRenderingContext2D, regions: Float32Array, cells: number): void {
  const img = new ImageData(cells, cells);
  for (let i = 0; i < cells * cells; i++) {
    const [r, g, b] = palette[regions[2 * i]! % palette.length]!;
    const a = 0.15 + 0.55 * regions[2 * i + 1]!;
    img.data.set([255 - a * (255 - r), 255 - a * (255 - g), 255 - a * (255 - b), 255], 4 * i);
  }
  const off = new OffscreenCanvas(cells, cells);
  off.getContext("2d")!.putImageData(img, 0, 0);
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(off, 0, 0, ctx.canvas.width, ctx.canvas.height);
}

/** The points (x1, x2, label rows) as dots of their class's colour; test points hollow. */
function paintPoints(
  ctx: CanvasRenderingContext2D,
  bounds: readonly number[],
  data: ArrayLike<number>,
  hollow: boolean,
): void {
  const [x0, x1, y0, y1] = bounds as [number, number, number, number];
  const { width, height } = ctx.canvas;
  for (let i = 0; i < data.length; i += 3) {
    const px = ((data[i]! - x0) / (x1 - x0)) * width;
    const py = ((y1 - data[i + 1]!) / (y1 - y0)) * height;
    const [r, g, b] = palette[classIndex(data[i + 2]!) % palette.length]!;
    ctx.beginPath();
    ctx.arc(px, py, 3.2, 0, 2 * Math.PI);
    ctx.fillStyle = hollow ? "#fff" : `rgb(${r},${g},${b})`;
    ctx.strokeStyle = hollow ? `rgb(${r},${g},${b})` : "#fff";
    ctx.lineWidth = hollow ? 1.5 : 1;
    ctx.fill();
    ctx.stroke();
  }
}

/** A label as a class index: -1 / +1 labels are classes 0 and 1. */
export const classIndex = (label: number): number => (label < 0 ? 0 : label);
