// The Train tab's charts: the loss curve (uPlot) and each layer's gradient norm as a bar on a
// log scale (plain HTML: a bar per layer is clearer than a chart library's bar series).
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { h, short } from "./dom.ts";

export class LossChart {
  private readonly data: [number[], number[], number[]] = [[], [], []];
  private readonly plot: uPlot;

  constructor(parent: HTMLElement) {
    this.plot = new uPlot(
      {
        width: 360,
        height: 180,
        scales: { x: { time: false } },
        axes: [{ label: "step" }, { label: "loss", size: 56 }],
        series: [
          { label: "step" },
          { label: "train", stroke: "#0877bd", width: 1.5, points: { show: false } },
          { label: "test", stroke: "#f59322", width: 1.5, dash: [4, 3], points: { show: false } },
        ],
        legend: { live: false },
        cursor: { show: false },
      },
      [[], [], []],
      parent,
    );
  }

  add(step: number, train: number, test: number): void {
    this.data[0].push(step);
    this.data[1].push(train);
    this.data[2].push(test);
    this.plot.setData(this.data);
  }

  clear(): void {
    for (const d of this.data) d.length = 0;
    this.plot.setData(this.data);
  }

  resize(width: number): void {
    this.plot.setSize({ width, height: 180 });
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
