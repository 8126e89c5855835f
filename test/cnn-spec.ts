// Small convolutional networks as specs: the few that show every option, and random ones. A spec
// is written as `.nn` source here and built by hand in torch by test/torch_cnn_driver.py.
import { rng } from "./helpers.ts";

type Pair = [number, number];
type Pads = [number, number, number, number] | "same";

export type Layer = { name: string } & (
  | {
      kind: "conv";
      out: number;
      kernel: Pair;
      stride: Pair;
      padding: Pads;
      dilation: Pair;
      groups: number;
      bias: boolean;
    }
  | { kind: "pool"; op: "max" | "avg"; kernel: Pair; stride: Pair; padding: Pads }
  | { kind: "batchnorm" }
  | { kind: "act"; fn: "relu" | "tanh" }
  | { kind: "transpose"; perm: number[] }
  | { kind: "dense"; out: number }
);

export interface Net {
  label: string;
  /** C, H, W of the input */
  input: [number, number, number];
  layers: Layer[];
  /** global_avg_pool, flatten, or rows: [batch, C, H W] through dense (rank 3) */
  head: { kind: "gap" } | { kind: "flatten" } | { kind: "rows"; out: number };
  /** inputs and weights rounded to integers, so that max pool's windows hold ties */
  grid: boolean;
}

export const CLASSES = 3;

const list = (xs: readonly number[]) => `[${xs.join(", ")}]`;

function call(l: Layer, x: string): string {
  switch (l.kind) {
    case "conv": {
      const pad = l.padding === "same" ? '"same"' : list(l.padding);
      const args = `kernel: ${list(l.kernel)}, stride: ${list(l.stride)}, padding: ${pad}`;
      const more = `dilation: ${list(l.dilation)}, groups: ${l.groups}, bias: ${l.bias}`;
      return `conv2d(${x}, ${l.out}, ${args}, ${more})`;
    }
    case "pool": {
      const pad = l.padding === "same" ? '"same"' : list(l.padding);
      return `${l.op}_pool2d(${x}, ${list(l.kernel)}, stride: ${list(l.stride)}, padding: ${pad})`;
    }
    case "batchnorm":
      return `batchnorm(${x})`;
    case "act":
      return `${l.fn}(${x})`;
    case "transpose":
      return `transpose(${x}, ${list(l.perm)})`;
    case "dense":
      return `dense(${x}, ${l.out})`;
  }
}

/** The network as a `.nn` model: one binding per layer, named as the layer. */
export function source(net: Net): string {
  const lines = [
    "model cnn {",
    `  input x: [batch, ${net.input.join(", ")}]`,
    `  target y: [batch, ${CLASSES}]`,
  ];
  let x = "x";
  for (const l of net.layers) {
    lines.push(`  ${l.name} = ${call(l, x)}`);
    x = l.name;
  }
  const h = net.head;
  if (h.kind === "gap") lines.push(`  z = global_avg_pool(${x}) |> dense(${CLASSES})`);
  else if (h.kind === "flatten") lines.push(`  z = flatten(${x}) |> dense(${CLASSES})`);
  else {
    lines.push(`  r = reshape(${x}, [batch, ${shapeOf(net)[0]}, -1]) |> dense(${h.out})`);
    lines.push(`  z = flatten(r) |> dense(${CLASSES})`);
  }
  lines.push("  p = softmax(z)", "  output p", "  loss = mean(cross_entropy(p, y))");
  return [...lines, "  optimizer = sgd(lr: 0.1)", "}", ""].join("\n");
}

/** The output length of a window along one axis (TensorFlow's for "same"). */
function outLength(n: number, k: number, s: number, d: number, pad: [number, number] | null) {
  if (!pad) return Math.ceil(n / s);
  return Math.floor((n + pad[0] + pad[1] - d * (k - 1) - 1) / s) + 1;
}

/** [C, H, W] after `layers` (the batch left out). */
function shapeAfter(input: number[], layers: Layer[]): number[] {
  let s = [...input];
  for (const l of layers) {
    if (l.kind === "conv" || l.kind === "pool") {
      const d = l.kind === "conv" ? l.dilation : [1, 1];
      const pads = l.padding;
      const side = (a: 0 | 1): [number, number] | null =>
        pads === "same" ? null : [pads[a], pads[a + 2]!];
      const len = (a: 0 | 1) => outLength(s[a + 1]!, l.kernel[a], l.stride[a], d[a]!, side(a));
      s = [l.kind === "conv" ? l.out : s[0]!, len(0), len(1)];
    } else if (l.kind === "transpose") s = l.perm.slice(1).map((p) => s[p - 1]!);
    else if (l.kind === "dense") s = [s[0]!, s[1]!, l.out];
  }
  return s;
}

export const shapeOf = (net: Net) => shapeAfter(net.input, net.layers);

type Kind = Layer["kind"];
const kinds: Kind[] = ["conv", "pool", "batchnorm", "act", "transpose", "dense"];

/** A random layer of `kind` for an input of `shape` (whether it fits is the caller's check). */
function randomLayer(
  r: () => number,
  name: string,
  shape: number[],
  kind: Kind,
  grid: boolean,
): Layer {
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const [C] = shape as [number];
  if (kind === "conv") {
    const groups = pick([1, 2, 3, C].filter((g) => C % g === 0));
    const kernel: Pair = [int(1, 3), int(1, 3)];
    const padding: Pads = pick(["same", [int(0, 2), int(0, 2), int(0, 2), int(0, 2)]] as const);
    const more = {
      stride: [int(1, 2), int(1, 2)] as Pair,
      dilation: [int(1, 2), int(1, 2)] as Pair,
    };
    return {
      name,
      kind,
      out: groups * int(1, 3),
      kernel,
      padding,
      groups,
      bias: r() < 0.7,
      ...more,
    };
  }
  if (kind === "pool") {
    const op = grid ? "max" : pick(["max", "avg"] as const);
    const kernel: Pair = [int(2, 3), int(1, 3)];
    const stride: Pair = [int(1, kernel[0]), int(1, kernel[1])];
    const [ph, pw] = [int(0, kernel[0] >> 1), int(0, kernel[1] >> 1)];
    const padding: Pads = op === "max" && r() < 0.3 ? "same" : [ph, pw, ph, pw];
    return { name, kind, op, kernel, stride, padding };
  }
  if (kind === "transpose")
    return {
      name,
      kind,
      perm: [
        0,
        ...pick([
          [2, 1, 3],
          [3, 2, 1],
          [1, 3, 2],
          [2, 3, 1],
        ]),
      ],
    };
  if (kind === "dense") return { name, kind, out: int(2, 4) };
  if (kind === "act") return { name, kind, fn: pick(["relu", "tanh"] as const) };
  return { name, kind };
}

/**
 * A random network: a conv2d, then layers of every kind in a random order (only max pools for a
 * grid network), each with random options where they fit, then a head.
 */
export function randomNet(seed: number, grid: boolean): Net {
  const r = rng(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const input: Net["input"] = [int(1, 3), int(6, 9), int(6, 9)];
  const first: Layer = {
    name: "l1",
    kind: "conv",
    out: int(2, 4),
    kernel: [int(1, 3), int(1, 3)],
    stride: [1, 1],
    padding: "same",
    dilation: [1, 1],
    groups: 1,
    bias: !grid,
  };
  const layers: Layer[] = [first];
  const order = grid ? ["pool", "pool", "pool"] : [...kinds, "conv", "pool"];
  for (let i = order.length - 1; i > 0; i--) {
    const j = int(0, i);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  for (const kind of order as Kind[])
    for (let tries = 0; tries < 5; tries++) {
      const layer = randomLayer(r, `l${layers.length + 1}`, shapeAfter(input, layers), kind, grid);
      if (shapeAfter(input, [...layers, layer]).every((d) => d >= 1 && d <= 12)) {
        layers.push(layer);
        break;
      }
    }
  const heads: Net["head"][] = [{ kind: "gap" }, { kind: "flatten" }, { kind: "rows", out: 2 }];
  return { label: `random ${seed}`, input, layers, head: heads[int(0, 2)]!, grid };
}

const conv = (name: string, out: number, more: Partial<Layer & { kind: "conv" }>): Layer => ({
  name,
  kind: "conv",
  out,
  kernel: [3, 3],
  stride: [1, 1],
  padding: [0, 0, 0, 0],
  dilation: [1, 1],
  groups: 1,
  bias: true,
  ...more,
});

const pool = (name: string, op: "max" | "avg", kernel: number[], stride: number[], padding: Pads) =>
  ({ name, kind: "pool", op, kernel, stride, padding }) as Layer;

/** The networks that show every option: strides, paddings, dilation, groups, both pools, ties. */
export const fixedNets: Net[] = [
  {
    label: "strides, asymmetric padding, dilation, groups; depthwise; batchnorm; avg pool",
    input: [2, 9, 8],
    layers: [
      conv("l1", 4, { stride: [2, 1], padding: [1, 0, 2, 1], dilation: [1, 2], groups: 2 }),
      { name: "l2", kind: "act", fn: "relu" },
      conv("l3", 8, { padding: "same", dilation: [2, 1], groups: 4, bias: false }),
      { name: "l4", kind: "batchnorm" },
      pool("l5", "avg", [3, 3], [2, 1], [1, 1, 1, 1]),
    ],
    head: { kind: "flatten" },
    grid: false,
  },
  {
    label: '"same" at stride 2 (even kernel), max pool "same", transpose, dense at rank 4 and 3',
    input: [3, 7, 8],
    layers: [
      conv("l1", 4, { kernel: [2, 4], stride: [2, 2], padding: "same" }),
      { name: "l2", kind: "act", fn: "tanh" },
      pool("l3", "max", [2, 2], [1, 2], "same"),
      { name: "l4", kind: "transpose", perm: [0, 3, 1, 2] },
      { name: "l5", kind: "dense", out: 3 },
    ],
    head: { kind: "rows", out: 2 },
    grid: false,
  },
  {
    label: "ties in overlapping max pools, global_avg_pool",
    input: [2, 8, 8],
    layers: [
      conv("l1", 3, { kernel: [2, 2], bias: false }),
      pool("l2", "max", [3, 3], [1, 1], [1, 1, 1, 1]),
      pool("l3", "max", [2, 3], [2, 2], [0, 1, 0, 1]),
    ],
    head: { kind: "gap" },
    grid: true,
  },
];
