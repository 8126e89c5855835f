// A loss curve drawn in the terminal with plain characters: the values are averaged into at most
// `width` columns and scaled onto `height` rows, with the range on the left.

export interface CurveOptions {
  width?: number;
  height?: number;
  /** what the x axis counts, printed under it */
  x?: string;
}

export function terminalCurve(values: number[], options: CurveOptions = {}): string {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return "";
  const width = Math.min(options.width ?? 60, finite.length);
  const height = options.height ?? 10;
  const columns = Array.from({ length: width }, (_, c) => {
    const from = Math.floor((c * finite.length) / width);
    const to = Math.max(from + 1, Math.floor(((c + 1) * finite.length) / width));
    let s = 0;
    for (let i = from; i < to; i++) s += finite[i]!;
    return s / (to - from);
  });
  const lo = columns.reduce((m, v) => Math.min(m, v), Infinity);
  const hi = columns.reduce((m, v) => Math.max(m, v), -Infinity);
  const row = (v: number) => (hi > lo ? Math.round(((v - lo) / (hi - lo)) * (height - 1)) : 0);
  const grid = Array.from({ length: height }, () => Array<string>(width).fill(" "));
  columns.forEach((v, c) => {
    const r = row(v);
    const prev = c > 0 ? row(columns[c - 1]!) : r;
    // a vertical stroke joins a column to the one before it, so steep drops read as a line
    for (let k = Math.min(r, prev) + 1; k < Math.max(r, prev); k++) grid[k]![c] = "│";
    grid[r]![c] = "•";
  });
  const label = (v: number) => v.toPrecision(3);
  const pad = Math.max(label(lo).length, label(hi).length);
  const lines = grid.reverse().map((cells, i) => {
    const tag = i === 0 ? label(hi) : i === height - 1 ? label(lo) : "";
    return `${tag.padStart(pad)} ┤${cells.join("")}`.trimEnd();
  });
  lines.push(`${" ".repeat(pad)} └${"─".repeat(width)}`);
  if (options.x) lines.push(`${" ".repeat(pad + 2)}${options.x}`);
  return lines.join("\n");
}
