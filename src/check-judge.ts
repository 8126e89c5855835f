// The verdict of a gradient check (check.ts): each comparison against what the finite differences
// can resolve. A central difference over a span of 2h has an error of about (the loss's rounding
// noise) / h; the noise is measured as the median of the directions' third differences (each is
// that noise times about sqrt(10), plus a negligible 2 h^3 L''') and is at least one rounding of
// the largest loss seen, 2^-52 |L|.
import type { CheckRow } from "./check.ts";
import type { Direction, Element, Slot } from "./check-probes.ts";

export interface Probed {
  name: string;
  slot: Slot;
  /** the leaf's shape, with named dims at their sizes */
  shape: number[];
  elements: (Element & { numeric: number; span: number })[];
  directions: (Direction & { numeric: number; third: number })[];
}

/** The relative error's floor, in units of the gradient (times |s| for a direction). */
const FLOOR = 1e-3;
/** Two loss values, each off by up to four times the noise. */
const NOISE_MULTIPLE = 8;
const EPS = 2 ** -52;

interface Comparison {
  what: () => string;
  symbolic: number;
  numeric: number;
  floor: number;
  /** the difference allowed */
  allowed: number;
}

export function judge(
  probed: Probed[],
  o: { h: number; tolerance: number; largest: number },
): CheckRow[] {
  const thirds = probed.flatMap((p) => p.directions.map((d) => Math.abs(d.third)));
  const finite = thirds.filter((t) => Number.isFinite(t));
  const noise = Math.max(EPS * o.largest, median(finite) / Math.sqrt(10));
  const within = (numeric: number, floor: number) => o.tolerance * (floor + Math.abs(numeric));
  return probed.map((p) => {
    const comparisons: Comparison[] = [
      ...p.elements.map((e) => ({
        what: () => `element ${indexText(e.index, p.shape)}`,
        symbolic: e.symbolic,
        numeric: e.numeric,
        floor: FLOOR,
        allowed: within(e.numeric, FLOOR) + (NOISE_MULTIPLE * noise) / e.span,
      })),
      ...p.directions.map((d, k) => ({
        what: () =>
          `random direction ${k + 1} (over ${d.indices.length.toLocaleString("en-US")} elements)`,
        symbolic: d.symbolic,
        numeric: d.numeric,
        floor: FLOOR * d.norm,
        allowed:
          within(d.numeric, FLOOR * d.norm) +
          (NOISE_MULTIPLE * noise) / (2 * o.h) +
          Math.abs(d.third) / o.h,
      })),
    ];
    return row(p, comparisons, o.tolerance, noise);
  });
}

function row(p: Probed, comparisons: Comparison[], tolerance: number, noise: number): CheckRow {
  let worst = 0;
  let nearest: Comparison | undefined;
  let ratio = -1;
  for (const c of comparisons) {
    const off = Math.abs(c.symbolic - c.numeric);
    worst = Math.max(worst, off / (c.floor + Math.abs(c.numeric)));
    // NaN is never within anything: it fails, and is the one shown
    const r = Number.isNaN(off) ? Infinity : off / c.allowed;
    if (r > ratio) [nearest, ratio] = [c, r];
  }
  const row = { name: p.name, checked: p.elements.length, directions: p.directions.length };
  const counts = { ...row, size: p.slot.size, worst, ok: ratio <= 1 };
  const n = (v: number) => v.toPrecision(6);
  if (nearest && ratio > 1) {
    const detail =
      `${nearest.what()}: symbolic ${n(nearest.symbolic)}, finite differences ` +
      `${n(nearest.numeric)} (a difference of ${n(nearest.allowed)} is allowed)`;
    return { ...counts, detail };
  }
  if (!(worst > tolerance)) return counts;
  const detail =
    `relative errors above ${tolerance} here are within what finite differences resolve ` +
    `(the loss is computed to about ${noise.toExponential(1)})`;
  return { ...counts, detail };
}

function median(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** A flat index as `[i, j, ...]` of the shape (`the value` of a scalar). */
function indexText(flat: number, shape: number[]): string {
  if (shape.length === 0) return "(the scalar)";
  const index: number[] = [];
  for (let k = shape.length - 1; k >= 0; k--) {
    index.unshift(flat % shape[k]!);
    flat = Math.floor(flat / shape[k]!);
  }
  return `[${index.join(", ")}]`;
}
