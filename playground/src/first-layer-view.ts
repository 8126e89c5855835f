// The MNIST tab's picture of a convolutional model's first layer: one column per channel, its
// learned filter (blue below zero, orange above, one scale for all) above the feature map it makes
// of the digit (viridis, each map from its least to its largest value).
import { h } from "./dom.ts";
import { diverging, mapsCaption, range, rgbaOf, sequential } from "./first-layer.ts";
import type { FirstLayer, Maps } from "./mnist-session.ts";

/** A canvas of `width` x `height` pixels showing `rgba`. */
function picture(
  cls: string,
  label: string,
  width: number,
  height: number,
  rgba: Uint8ClampedArray,
) {
  const c = h("canvas", { class: cls, width, height, "aria-label": label });
  c.getContext("2d")!.putImageData(new ImageData(new Uint8ClampedArray(rgba), width, height), 0, 0);
  return c;
}

export class FirstLayerView {
  readonly element = h("section", { class: "first-layer", "aria-label": "first layer" });
  private layer: FirstLayer | null = null;
  private maps: Maps | null = null;

  constructor() {
    this.element.hidden = true;
  }

  /** The filters of a trained model's first layer (null: a model without one, nothing shown). */
  show(layer: FirstLayer | null): void {
    this.layer = layer;
    this.maps = null;
    this.render();
  }

  /** The maps of the digit drawn (null: none). */
  showMaps(maps: Maps | null): void {
    this.maps = maps;
    this.render();
  }

  private render(): void {
    const layer = this.layer;
    this.element.hidden = layer === null;
    if (!layer) return this.element.replaceChildren();
    const [out, inputs, kh, kw] = layer.shape as [number, number, number, number];
    const maps = this.maps;
    const size = maps ? maps.shape.slice(1) : [];
    const which = inputs > 1 ? ` (their first input channel of ${inputs})` : "";
    this.element.replaceChildren(
      h("h3", {}, `${layer.layer}: the ${out} learned ${kh} x ${kw} filters of ${layer.weight}`),
      h(
        "p",
        { class: "hint" },
        `Each filter${which} above the feature map it makes of the digit: ` +
          (maps
            ? `${mapsCaption(layer, size)}. Blue weights are negative, orange positive (one scale, ` +
              `±${scale(layer).toPrecision(2)}); each map runs from dark (its least) to yellow (its most).`
            : "draw a digit, or take a held-out one, to see them."),
      ),
      h("div", { class: "channels" }, ...Array.from({ length: out }, (_, o) => this.channel(o))),
    );
  }

  /** Channel `o`: its filter, its map and the map's largest value. */
  private channel(o: number): HTMLElement {
    const layer = this.layer!;
    const [, inputs, kh, kw] = layer.shape as [number, number, number, number];
    const s = scale(layer);
    const taps = kh * kw;
    const filter = rgbaOf(layer.filters, o * inputs * taps, taps, (v) => diverging(v / s));
    const figure = h(
      "figure",
      { class: "channel" },
      picture("filter", `filter ${o + 1}`, kw, kh, filter),
    );
    const maps = this.maps;
    if (maps) {
      const [, height, width] = maps.shape as [number, number, number];
      const n = height * width;
      const [lo, hi] = range(maps.values, o * n, n);
      const paint = (v: number) => sequential(hi > lo ? (v - lo) / (hi - lo) : 0);
      figure.append(
        picture("map", `feature map ${o + 1}`, width, height, rgbaOf(maps.values, o * n, n, paint)),
        h("figcaption", {}, `${o + 1}: max ${hi.toFixed(2)}`),
      );
    } else figure.append(h("figcaption", {}, String(o + 1)));
    return figure;
  }
}

/** The largest weight's size: the filters' one scale. */
function scale(layer: FirstLayer): number {
  const [lo, hi] = range(layer.filters, 0, layer.filters.length);
  return Math.max(Math.abs(lo), Math.abs(hi)) || 1;
}
