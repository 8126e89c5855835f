// Charts as standalone SVG files that a browser opens: line charts (loss and accuracy against
// epochs) and grouped bar charts (gradient norm per layer), side by side in one file. No
// dependencies: axes, "nice" ticks, a log scale where values span decades, and a legend.

export interface Series {
  name: string;
  points: [number, number][];
  dashed?: boolean;
  /** an index into the palette, to give related series one color (default: the series' index) */
  color?: number;
}

export interface LineChart {
  kind: "line";
  title: string;
  x: string;
  y: string;
  series: Series[];
  logY?: boolean;
}

export interface BarChart {
  kind: "bar";
  title: string;
  y: string;
  categories: string[];
  series: { name: string; values: number[] }[];
  logY?: boolean;
}

export type Chart = LineChart | BarChart;

const palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2"];
const panelWidth = 520;
const colorOf = (s: Series, i: number) => palette[(s.color ?? i) % palette.length]!;
const panelHeight = 380;
const margin = { left: 64, right: 16, top: 36, bottom: 100 };

const esc = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const fmt = (v: number) =>
  Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3)
    ? v.toExponential(0)
    : String(+v.toPrecision(4));

/** One SVG document with the charts side by side. */
export function svg(charts: Chart[], title?: string): string {
  const top = title ? 28 : 0;
  const width = panelWidth * charts.length;
  const height = panelHeight + top;
  const parts = charts.map(
    (c, i) =>
      `<g transform="translate(${i * panelWidth},${top})">\n${c.kind === "line" ? line(c) : bars(c)}\n</g>`,
  );
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    ...(title
      ? [
          `<text x="${width / 2}" y="20" text-anchor="middle" font-size="15" font-weight="bold">${esc(title)}</text>`,
        ]
      : []),
    ...parts,
    "</svg>",
    "",
  ].join("\n");
}

interface Scale {
  at(v: number): number;
  ticks: number[];
}

function linearScale(lo: number, hi: number, from: number, to: number): Scale {
  if (!(hi > lo)) [lo, hi] = [lo - 1, hi + 1];
  const step = niceStep((hi - lo) / 5);
  const a = Math.floor(lo / step) * step;
  const b = Math.ceil(hi / step) * step;
  const ticks: number[] = [];
  for (let t = a; t <= b + step / 2; t += step) ticks.push(+t.toPrecision(12));
  return { at: (v) => from + ((v - a) / (b - a)) * (to - from), ticks };
}

function logScale(lo: number, hi: number, from: number, to: number): Scale {
  const a = Math.floor(Math.log10(lo));
  let b = Math.ceil(Math.log10(hi));
  if (b === a) b = a + 1;
  const ticks: number[] = [];
  const every = Math.max(1, Math.ceil((b - a) / 8));
  for (let e = a; e <= b; e += every) ticks.push(10 ** e);
  return { at: (v) => from + ((Math.log10(v) - a) / (b - a)) * (to - from), ticks };
}

function niceStep(raw: number): number {
  const p = 10 ** Math.floor(Math.log10(raw));
  const f = raw / p;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
}

/** The smallest and largest value, by a loop: a chart of a long run has 100,000 points and more,
 * and Math.min(...values) overflows the stack past about 100,000. */
function range(values: number[]): [number, number] {
  let [lo, hi] = [Infinity, -Infinity];
  for (const v of values) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
  return [lo, hi];
}

function yScale(values: number[], logY: boolean | undefined): Scale {
  const top = margin.top;
  const bottom = panelHeight - margin.bottom;
  const finite = values.filter((v) => Number.isFinite(v) && (!logY || v > 0));
  if (finite.length === 0) return linearScale(0, 1, bottom, top);
  const [lo, hi] = range(finite);
  return logY ? logScale(lo, hi, bottom, top) : linearScale(Math.min(lo, hi), hi, bottom, top);
}

function frame(title: string, xLabel: string, yLabel: string, y: Scale): string[] {
  const left = margin.left;
  const right = panelWidth - margin.right;
  const bottom = panelHeight - margin.bottom;
  const midY = (margin.top + bottom) / 2;
  return [
    `<text x="${(left + right) / 2}" y="20" text-anchor="middle" font-size="14">${esc(title)}</text>`,
    ...y.ticks.map((t) => {
      const py = y.at(t).toFixed(1);
      return `<line x1="${left}" x2="${right}" y1="${py}" y2="${py}" stroke="#e5e5e5"/><text x="${left - 6}" y="${py}" text-anchor="end" dominant-baseline="middle">${fmt(t)}</text>`;
    }),
    `<line x1="${left}" x2="${left}" y1="${margin.top}" y2="${bottom}" stroke="#333"/>`,
    `<line x1="${left}" x2="${right}" y1="${bottom}" y2="${bottom}" stroke="#333"/>`,
    `<text x="${(left + right) / 2}" y="${bottom + 34}" text-anchor="middle">${esc(xLabel)}</text>`,
    `<text transform="translate(16,${midY}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`,
  ];
}

/** Legend entries in rows under the chart, wrapped at the panel's width. */
function legend(names: { name: string; color: string; dashed?: boolean }[]): string[] {
  let x = margin.left;
  let y = panelHeight - margin.bottom + 54;
  return names.map(({ name, color, dashed }) => {
    const width = 44 + 8 * name.length;
    if (x > margin.left && x + width > panelWidth - margin.right) {
      x = margin.left;
      y += 16;
    }
    const item = `<line x1="${x}" x2="${x + 18}" y1="${y}" y2="${y}" stroke="${color}" stroke-width="3"${dashed ? ' stroke-dasharray="5,3"' : ""}/><text x="${x + 22}" y="${y}" dominant-baseline="middle">${esc(name)}</text>`;
    x += width;
    return item;
  });
}

function line(c: LineChart): string {
  const xs = c.series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = c.series.flatMap((s) => s.points.map((p) => p[1]));
  const [xLo, xHi] = range(xs);
  const x = linearScale(xLo, xHi, margin.left, panelWidth - margin.right);
  const y = yScale(ys, c.logY);
  const bottom = panelHeight - margin.bottom;
  const xTicks = x.ticks.filter((t) => t >= xLo && t <= xHi);
  const paths = c.series.map((s, i) => {
    const ok = s.points.filter(([, v]) => Number.isFinite(v) && (!c.logY || v > 0));
    const d = ok
      .map(([px, py], k) => `${k === 0 ? "M" : "L"}${x.at(px).toFixed(1)},${y.at(py).toFixed(1)}`)
      .join(" ");
    const color = colorOf(s, i);
    const dots =
      ok.length <= 40
        ? ok.map(
            ([px, py]) =>
              `<circle cx="${x.at(px).toFixed(1)}" cy="${y.at(py).toFixed(1)}" r="2.5" fill="${color}"/>`,
          )
        : [];
    return [
      `<path d="${d}" fill="none" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6,4"' : ""}/>`,
      ...dots,
    ].join("");
  });
  return [
    ...frame(c.title, c.x, c.y, y),
    ...xTicks.map(
      (t) =>
        `<text x="${x.at(t).toFixed(1)}" y="${bottom + 16}" text-anchor="middle">${fmt(t)}</text>`,
    ),
    ...paths,
    ...legend(
      c.series.map((s, i) => ({
        name: s.name,
        color: colorOf(s, i),
        ...(s.dashed ? { dashed: true } : {}),
      })),
    ),
  ].join("\n");
}

function bars(c: BarChart): string {
  const y = yScale(
    c.series.flatMap((s) => s.values),
    c.logY,
  );
  const left = margin.left;
  const right = panelWidth - margin.right;
  const bottom = panelHeight - margin.bottom;
  const group = (right - left) / Math.max(1, c.categories.length);
  const barWidth = (group * 0.8) / Math.max(1, c.series.length);
  const base = c.logY ? bottom : y.at(0);
  const rects = c.series.flatMap((s, i) =>
    s.values.map((v, k) => {
      if (!Number.isFinite(v) || (c.logY && v <= 0)) return "";
      const px = left + k * group + group * 0.1 + i * barWidth;
      const py = y.at(v);
      return `<rect x="${px.toFixed(1)}" y="${Math.min(py, base).toFixed(1)}" width="${barWidth.toFixed(1)}" height="${Math.abs(base - py).toFixed(1)}" fill="${palette[i % palette.length]}"><title>${esc(s.name)} ${esc(c.categories[k] ?? "")}: ${v.toExponential(2)}</title></rect>`;
    }),
  );
  return [
    ...frame(c.title, "layer", c.y, y),
    ...c.categories.map(
      (cat, k) =>
        `<text x="${(left + (k + 0.5) * group).toFixed(1)}" y="${bottom + 16}" text-anchor="middle">${esc(cat)}</text>`,
    ),
    ...rects,
    ...legend(c.series.map((s, i) => ({ name: s.name, color: palette[i % palette.length]! }))),
  ].join("\n");
}
