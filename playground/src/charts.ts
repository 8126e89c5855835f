// The Train tab's charts: the loss curve (uPlot, log or linear) and each layer's gradient norm as a bar on a
// log scale (plain HTML: a bar per layer is clearer than a chart library's bar series).
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { h, short } from "./dom.ts";

/** A step count as an axis shows it: 900, 1.5k, 20k, 1.2M. */
export function compact(n: number | null): string {
  if (n === null || !Number.isFinite(n)) return "";
  const a = Math.abs(n);
  const [d, unit] = a >= 1e6 ? [1e6, "M"] : a >= 1e3 ? [1e3, "k"] : [1, ""];
  return `${Number((n / d).toPrecision(3))}${unit}`;
}

/** A loss as an axis shows it: 0.69, 0.001, 1e-5, 12. */
export function lossTick(v: number | null): string {
  if (v === null || !Number.isFinite(v)) return "";
  if (v === 0) return "0";
  const a = Math.abs(v);
  return a < 1e-3 || a >= 1e4 ? v.toExponential(0) : String(Number(v.toPrecision(2)));
}

type Tick = { text: string; at: number };

/**
 * The loss curve of the training and test points against the step: on a log scale (where a loss
 * that falls a thousandfold stays readable), or linear. Its tick labels, where they are drawn, are
 * written to the box's `data-ticks` (JSON of { x, y }: each label's text and position in px).
 */
export class LossChart {
  private readonly data: [number[], number[], number[]];
  private readonly plot: uPlot;

  constructor(
    private readonly parent: HTMLElement,
    private readonly log: boolean,
    data: [number[], number[], number[]] = [[], [], []],
    width = 360,
  ) {
    this.data = data;
    const ticks = (u: uPlot, i: number, key: string): Tick[] => {
      const axis = u.axes[i] as uPlot.Axis & { _splits?: number[]; _values?: (string | null)[] };
      return (axis._splits ?? []).flatMap((v, k) => {
        const text = axis._values?.[k];
        return text ? [{ text, at: u.valToPos(v, key) }] : [];
      });
    };
    this.plot = new uPlot(
      {
        width,
        height: 180,
        scales: { x: { time: false }, y: log ? { distr: 3 } : {} },
        axes: [
          { label: "step", space: 56, values: (_, splits) => splits.map(compact) },
          { label: "loss", size: 56, space: 24, values: (_, splits) => splits.map(lossTick) },
        ],
        series: [
          { label: "step" },
          { label: "train", stroke: "#0877bd", width: 1.5, points: { show: false } },
          { label: "test", stroke: "#f59322", width: 1.5, dash: [4, 3], points: { show: false } },
        ],
        legend: { live: false },
        cursor: { show: false },
        hooks: {
          draw: [
            (u) => {
              parent.dataset["ticks"] = JSON.stringify({
                x: ticks(u, 0, "x"),
                y: ticks(u, 1, "y"),
              });
            },
          ],
        },
      },
      this.shown(),
      parent,
    );
  }

  /** The data as drawn: on a log scale, a loss of 0 (a hinge loss's) is left out. */
  private shown(): uPlot.AlignedData {
    if (!this.log) return this.data;
    const positive = (v: number) => (v > 0 ? v : null);
    return [this.data[0], this.data[1].map(positive), this.data[2].map(positive)];
  }

  add(step: number, train: number, test: number): void {
    this.data[0].push(step);
    this.data[1].push(train);
    this.data[2].push(test);
    this.plot.setData(this.shown());
  }

  clear(): void {
    for (const d of this.data) d.length = 0;
    this.plot.setData(this.shown());
  }

  resize(width: number): void {
    this.plot.setSize({ width, height: 180 });
  }

  /** The same curve on the other scale (uPlot sets a scale's kind once). */
  remake(log: boolean): LossChart {
    const width = this.plot.width;
    this.plot.destroy();
    return new LossChart(this.parent, log, this.data, width);
  }
}

/** Where a gradient norm's bar ends: 1e-8 at the left, 10 at the right, on a log scale. */
export const barFraction = (norm: number): number =>
  norm > 0 ? Math.min(1, Math.max(0, (Math.log10(norm) + 8) / 9)) : 0;

/** Each layer's gradient norm as a bar. */
export function normBars(norms: readonly { layer: string; norm: number }[]): HTMLElement {
  return h(
    "div",
    { class: "norms", "aria-label": "gradient norm per layer" },
    ...norms.map(({ layer, norm }) =>
      h(
        "div",
        { class: "norm", "data-layer": layer, "data-norm": norm, title: `${layer}: ${norm}` },
        h("span", { class: "layer" }, layer),
        h(
          "span",
          { class: "track" },
          h("span", { class: "bar", style: `width: ${(100 * barFraction(norm)).toFixed(1)}%` }),
        ),
        h("span", { class: "value" }, short(norm)),
      ),
    ),
  );
}
