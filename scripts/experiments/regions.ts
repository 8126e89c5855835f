// Charts of two-dimensional classifiers: the data points colored by class over the regions a
// trained model assigns to each class, and lines such as a linear classifier's boundary and
// margins. Standalone SVG, panels side by side, as src/train/plot.ts draws its charts.
import type { GeneratedModel } from "../../src/codegen/index.ts";

export interface Point {
  x: number;
  y: number;
  /** the class: 0, 1, 2, ... */
  cls: number;
}

/** The line a x + b y + c = 0. */
export interface Line {
  a: number;
  b: number;
  c: number;
  name: string;
  color: string;
  dashed?: boolean;
}

export interface Panel {
  title: string;
  points: Point[];
  /** the class a trained model gives each point of a grid (row-major x, y pairs) */
  classify?: (xy: Float64Array) => number[];
  lines?: Line[];
}

const palette = ["#1f77b4", "#ff7f0e", "#2ca02c"];
const size = 360;
const pad = 36;
const grid = 90;

/** The class `model` gives each row of `xy`: its output's argmax, or its one score's sign. */
export function classifier(model: GeneratedModel, output: string, inputName = "x") {
  return (xy: Float64Array): number[] => {
    const out = model.forward({ [inputName]: Float32Array.from(xy) })[output] as Float32Array;
    const k = out.length / (xy.length / 2);
    return Array.from({ length: xy.length / 2 }, (_, i) => {
      if (k === 1) return out[i]! > 0 ? 1 : 0;
      let best = 0;
      for (let j = 1; j < k; j++) if (out[i * k + j]! > out[i * k + best]!) best = j;
      return best;
    });
  };
}

export function regionsSvg(panels: Panel[], title: string): string {
  const all = panels.flatMap((p) => p.points);
  const span = (v: number[]) => {
    const [lo, hi] = [Math.min(...v), Math.max(...v)];
    const m = 0.1 * (hi - lo);
    return [lo - m, hi + m] as const;
  };
  const [x0, x1] = span(all.map((p) => p.x));
  const [y0, y1] = span(all.map((p) => p.y));
  const px = (x: number) => pad + ((x - x0) / (x1 - x0)) * (size - 2 * pad);
  const py = (y: number) => size - pad - ((y - y0) / (y1 - y0)) * (size - 2 * pad);
  const body = panels.map((panel, i) => {
    const parts = [`<g transform="translate(${i * size},28)">`];
    parts.push(
      `<text x="${size / 2}" y="18" text-anchor="middle" font-size="14">${panel.title}</text>`,
    );
    if (panel.classify) parts.push(...regions(panel.classify, [x0, x1, y0, y1], px, py));
    parts.push(
      '<g clip-path="url(#plot)">',
      ...(panel.lines ?? []).map((l) => lineSvg(l, [x0, x1], px, py)),
      "</g>",
    );
    parts.push(
      `<rect x="${pad}" y="${pad}" width="${size - 2 * pad}" height="${size - 2 * pad}" fill="none" stroke="#333"/>`,
      ...panel.points.map(
        (p) =>
          `<circle cx="${px(p.x).toFixed(1)}" cy="${py(p.y).toFixed(1)}" r="3.5" fill="${palette[p.cls % 3]}" stroke="#222" stroke-width="0.6"/>`,
      ),
      ...(panel.lines ?? []).map(
        (l, j) =>
          `<line x1="${pad}" x2="${pad + 18}" y1="${size + 4 + 16 * j}" y2="${size + 4 + 16 * j}" stroke="${l.color}" stroke-width="2"${l.dashed ? ' stroke-dasharray="5,3"' : ""}/><text x="${pad + 24}" y="${size + 4 + 16 * j}" dominant-baseline="middle">${l.name}</text>`,
      ),
      "</g>",
    );
    return parts.join("\n");
  });
  const legendRows = Math.max(0, ...panels.map((p) => p.lines?.length ?? 0));
  const [w, h] = [size * panels.length, size + 28 + 16 * legendRows + 8];
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" font-family="sans-serif" font-size="12">`,
    `<rect width="${w}" height="${h}" fill="white"/>`,
    `<clipPath id="plot"><rect x="${pad}" y="${pad}" width="${size - 2 * pad}" height="${size - 2 * pad}"/></clipPath>`,
    `<text x="${w / 2}" y="20" text-anchor="middle" font-size="15" font-weight="bold">${title}</text>`,
    ...body,
    "</svg>",
    "",
  ].join("\n");
}

/** A grid of cells shaded by the class the model gives each cell's center. */
function regions(
  classify: (xy: Float64Array) => number[],
  [x0, x1, y0, y1]: readonly number[],
  px: (x: number) => number,
  py: (y: number) => number,
): string[] {
  const [dx, dy] = [(x1! - x0!) / grid, (y1! - y0!) / grid];
  const xy = new Float64Array(grid * grid * 2);
  for (let r = 0; r < grid; r++)
    for (let c = 0; c < grid; c++) {
      xy[(r * grid + c) * 2] = x0! + (c + 0.5) * dx;
      xy[(r * grid + c) * 2 + 1] = y0! + (r + 0.5) * dy;
    }
  const cls = classify(xy);
  const w = (px(x1!) - px(x0!)) / grid;
  const h = (py(y0!) - py(y1!)) / grid;
  // one rectangle per run of cells of one class along a row
  const rects: string[] = [];
  for (let r = 0; r < grid; r++)
    for (let c = 0; c < grid;) {
      const k = cls[r * grid + c]!;
      let end = c + 1;
      while (end < grid && cls[r * grid + end] === k) end++;
      rects.push(
        `<rect x="${(px(x0!) + c * w).toFixed(1)}" y="${(py(y0!) - (r + 1) * h).toFixed(1)}" width="${((end - c) * w + 0.3).toFixed(1)}" height="${(h + 0.3).toFixed(1)}" fill="${palette[k % 3]}" fill-opacity="0.18"/>`,
      );
      c = end;
    }
  return rects;
}

/** The part of a line inside the plotted x range. */
function lineSvg(
  l: Line,
  [x0, x1]: readonly number[],
  px: (x: number) => number,
  py: (y: number) => number,
): string {
  const yAt = (x: number) => -(l.a * x + l.c) / l.b;
  const dash = l.dashed ? ' stroke-dasharray="5,3"' : "";
  return `<line x1="${px(x0!).toFixed(1)}" y1="${py(yAt(x0!)).toFixed(1)}" x2="${px(x1!).toFixed(1)}" y2="${py(yAt(x1!)).toFixed(1)}" stroke="${l.color}" stroke-width="2"${dash}/>`;
}
