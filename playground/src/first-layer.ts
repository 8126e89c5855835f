// A convolutional network's first layer, as the MNIST tab shows it: which nodes of the graph are
// its filters and its feature maps, and the colours that paint them. No DOM here (the tests run
// it in Node); first-layer-view.ts draws.

/** What the choice needs of a node: `graphData`'s and `activations`' nodes both have it. */
export interface GraphLike {
  id: number;
  op: string;
  inputs: number[];
  name?: string;
}

export interface FirstConv<N extends GraphLike> {
  /** the first convolution whose kernel is a param */
  conv: N;
  /** its kernel, a param [out, in, kh, kw] (`c1.W`) */
  weight: N;
  /** the feature maps: the last node of the chain of per-element ops that follows the
   * convolution (its bias, its activation), before anything that changes the shape */
  maps: N;
  /** the chain's ops, from `conv2d` to the maps' own: `["conv2d", "add", "relu"]` */
  ops: string[];
  /** the op that takes the maps, where there is one (`max_pool2d`) */
  next?: string;
}

/** Ops that keep a map a map: a bias, a scale, an activation, a batchnorm. */
const perElement = new Set([
  "add",
  "sub",
  "mul",
  "relu",
  "leaky_relu",
  "elu",
  "gelu",
  "tanh",
  "sigmoid",
  "softplus",
  "batchnorm",
]);

/** The first convolution of `nodes` (in topological order), its kernel and its maps; or null. */
export function firstConv<N extends GraphLike>(nodes: readonly N[]): FirstConv<N> | null {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const conv = nodes.find((n) => n.op === "conv2d" && byId.get(n.inputs[1]!)?.op === "param");
  if (!conv) return null;
  const ops = [conv.op];
  let maps = conv;
  for (;;) {
    const users = nodes.filter((n) => n.inputs.includes(maps.id));
    const next = users.length === 1 ? users[0]! : undefined;
    if (!next || !perElement.has(next.op))
      return {
        conv,
        weight: byId.get(conv.inputs[1]!)!,
        maps,
        ops,
        ...(next ? { next: next.op } : {}),
      };
    maps = next;
    ops.push(next.op);
  }
}

/** `after relu, 28 x 28, before max_pool2d`: where in the layer the maps are taken. */
export function mapsCaption(layer: Pick<FirstConv<GraphLike>, "ops" | "next">, size: number[]) {
  const last = layer.ops[layer.ops.length - 1]!;
  const where = last === "conv2d" || last === "add" ? "the convolution" : last;
  const before = layer.next ? `, before ${layer.next}` : "";
  return `after ${where}, ${size.join(" x ")}${before}`;
}

/** The layer's binding, from its kernel's name: `c1` for `c1.W`. */
export const layerName = (weight: string): string => weight.replace(/\.W$/, "");

type RGB = [number, number, number];

// matplotlib's viridis at 0, 1/4, 1/2, 3/4 and 1: dark violet (nothing) to yellow (the most)
const viridis: RGB[] = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37],
];

/** viridis at t in [0, 1], linear between its five stops. */
export function sequential(t: number): RGB {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (viridis.length - 1);
  const i = Math.min(viridis.length - 2, Math.floor(x));
  const [a, b, f] = [viridis[i]!, viridis[i + 1]!, x - i];
  return a.map((v, k) => Math.round(v + f * (b[k]! - v))) as RGB;
}

// the page's two class colours: blue below zero, orange above, white at zero
const [negative, positive]: RGB[] = [
  [8, 119, 189],
  [245, 147, 34],
];

/** t in [-1, 1]: blue (-1), white (0), orange (1). */
export function diverging(t: number): RGB {
  const x = Math.min(1, Math.max(-1, Number.isFinite(t) ? t : 0));
  const end = x < 0 ? negative! : positive!;
  return end.map((v) => Math.round(255 + Math.abs(x) * (v - 255))) as RGB;
}

/** RGBA pixels of `values` (one picture of `n` values from `from`) in a colour of each. */
export function rgbaOf(
  values: ArrayLike<number>,
  from: number,
  n: number,
  colour: (v: number) => RGB,
): Uint8ClampedArray {
  const out = new Uint8ClampedArray(4 * n);
  for (let i = 0; i < n; i++) out.set([...colour(values[from + i]!), 255], 4 * i);
  return out;
}

/** The smallest and largest of values[from, from + n). */
export function range(values: ArrayLike<number>, from: number, n: number): [number, number] {
  let [lo, hi] = [Infinity, -Infinity];
  for (let i = from; i < from + n; i++) {
    lo = Math.min(lo, values[i]!);
    hi = Math.max(hi, values[i]!);
  }
  return [lo, hi];
}
