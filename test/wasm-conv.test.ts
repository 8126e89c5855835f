// The convolution kernels (src/codegen/wasm/conv.ts) against the ops' f64 reference (their
// `evaluate`): every geometry of the op table and more (tiles cut at every edge: output pixels
// and taps not a multiple of 4, channels per group not a multiple of 8 or 4; output rows short
// and long, at strides 1 and 2, for each form of col2im), the batch literal and read at run time,
// the forward's bias and activations; nothing is written past an output or the workspace.
import { describe, expect, it } from "vitest";
import * as ops from "../src/ops/index.ts";
import type { Node, Shape } from "../src/ir/node.ts";
import { make } from "../src/ops/op.ts";
import { interpret } from "../src/ir/interpret.ts";
import { geometryOf } from "../src/ops/conv.ts";
import { convKernel, convParams, type ConvSpec } from "../src/codegen/wasm/conv.ts";
import { convWork, type ConvKind } from "../src/codegen/wasm/conv-work.ts";
import type { Activation } from "../src/codegen/wasm/matmul.ts";
import { instantiate, SLOW, uniform } from "./wasm-helpers.ts";

interface Case {
  name: string;
  x: Shape;
  w: Shape;
  window: ops.Window;
  groups: number;
}

/** name, x, W, stride, padding (top, left, bottom, right), dilation, groups */
type Row = [
  string,
  Shape,
  Shape,
  [number, number],
  [number, number, number, number],
  [number, number],
  number,
];
const ROWS: Row[] = [
  ["plain", [2, 3, 5, 5], [4, 3, 3, 3], [1, 1], [0, 0, 0, 0], [1, 1], 1],
  ["stride 2, pad 1", [2, 2, 6, 5], [3, 2, 3, 3], [2, 2], [1, 1, 1, 1], [1, 1], 1],
  ["asymmetric", [1, 2, 5, 6], [2, 2, 2, 3], [1, 2], [0, 1, 1, 2], [1, 1], 1],
  ["dilation 2", [2, 1, 7, 6], [2, 1, 3, 2], [1, 1], [1, 0, 1, 0], [2, 2], 1],
  ["groups 2", [2, 4, 4, 4], [6, 2, 3, 3], [1, 1], [1, 1, 1, 1], [1, 1], 2],
  ["depthwise", [2, 3, 5, 4], [3, 1, 3, 3], [2, 1], [1, 1, 1, 1], [1, 1], 3],
  ["1x1", [3, 4, 3, 3], [2, 4, 1, 1], [1, 1], [0, 0, 0, 0], [1, 1], 1],
  ["13 channels", [2, 3, 7, 9], [13, 3, 2, 2], [1, 1], [0, 0, 0, 0], [1, 1], 1],
  ["groups 3 of 7", [1, 6, 6, 6], [21, 2, 3, 3], [1, 3], [2, 1, 0, 1], [1, 1], 3],
  ["lenet 1", [3, 1, 28, 28], [6, 1, 5, 5], [1, 1], [2, 2, 2, 2], [1, 1], 1],
  ["lenet 2", [3, 6, 14, 14], [16, 6, 5, 5], [1, 1], [0, 0, 0, 0], [1, 1], 1],
  ["rows of 38 (col2im's loop)", [2, 1, 3, 40], [3, 1, 2, 3], [1, 1], [0, 0, 0, 0], [1, 1], 1],
  ["rows of 34, stride 2", [1, 2, 3, 70], [2, 2, 2, 3], [1, 2], [0, 1, 0, 1], [1, 1], 1],
];
const CASES: Case[] = ROWS.map(([name, x, w, stride, pad, dilation, groups]) => ({
  name,
  x,
  w,
  window: { stride, pad, dilation },
  groups,
}));

/** The node of `kind` for a case, its inputs, and its output's shape. */
function nodeOf(c: Case, kind: ConvKind): { node: Node; inputs: Node[] } {
  const x = ops.param("x", c.x);
  const w = ops.param("w", c.w);
  const y = ops.conv2d(x, w, c.window, c.groups);
  if (kind === "conv2d") return { node: y, inputs: [x, w] };
  const attrs = ops.convAttrs({ ...c.window, groups: c.groups });
  const dy = ops.param("dy", y.shape);
  if (kind === "conv2d_dx")
    return {
      node: make(ops.conv2dDxOp, [dy, w], { ...attrs, image: [c.x[2]!, c.x[3]!] }),
      inputs: [dy, w],
    };
  return {
    node: make(ops.conv2dDwOp, [x, dy], { ...attrs, kernel: [c.w[2]!, c.w[3]!] }),
    inputs: [x, dy],
  };
}

const size = (s: Shape) => s.reduce<number>((a, d) => a * (d as number), 1);
const ACTS: Record<Activation, (x: number) => number> = {
  identity: (x) => x,
  relu: (x) => Math.max(x, 0),
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  tanh: Math.tanh,
};

/**
 * Runs the kernel of `kind` for a case (batch literal or a param) and returns its worst error
 * relative to the largest magnitude of the reference, and whether the slack after every region
 * (poisoned with NaN) is intact.
 */
function run(c: Case, kind: ConvKind, batch: "literal" | "param", activation?: Activation) {
  const { node, inputs } = nodeOf(c, kind);
  const geo = geometryOf(node);
  const N = geo.N as number;
  const spec: ConvSpec = {
    name: "conv",
    kind,
    geo: { ...geo, N: batch === "param" ? "param" : N },
    ...(activation ? { bias: true, activation } : {}),
  };
  const inst = instantiate(convKernel(spec), 256);
  const values = new Map(
    inputs.map((n, i) => [n.attrs["name"] as string, uniform(size(n.shape), 7 + i)]),
  );
  const bias = uniform(geo.O, 99);
  const ptrs = inputs.map((n) => inst.put(values.get(n.attrs["name"] as string)!));
  if (activation) ptrs.push(inst.put(bias));
  const out = inst.alloc(size(node.shape));
  const work = inst.alloc(convWork(spec.geo, kind).floats);
  const args = [...ptrs, out, work, ...(batch === "param" ? [N] : [])];
  expect(args.length).toBe(convParams(spec).length);
  inst.fns["conv"]!(...args);
  const f64 = new Map([...values].map(([k, a]) => [k, Float64Array.from(a)]));
  const ref = interpret([node], { values: f64, dims: {} }).get(node)!.data;
  const want = Array.from(ref, (r, i) =>
    activation ? ACTS[activation](r + bias[Math.floor(i / (geo.OH * geo.OW)) % geo.O]!) : r,
  );
  const got = inst.f32(out, want.length);
  const scale = Math.max(1, ...want.map(Math.abs));
  const worst = Math.max(...want.map((w, i) => Math.abs(got[i]! - w) / scale));
  const slack = [out + want.length * 4, work + convWork(spec.geo, kind).floats * 4];
  const intact = slack.every((at) => Number.isNaN(inst.f32(at, 1)[0]));
  return { worst, intact };
}

describe(
  "conv2d, conv2d_dx and conv2d_dw on the wasm target against f64",
  { timeout: SLOW },
  () => {
    const kinds: ConvKind[] = ["conv2d", "conv2d_dx", "conv2d_dw"];
    it.each(CASES.flatMap((c) => kinds.map((k) => [k, c.name, c] as const)))(
      "%s, %s",
      (kind, _, c) => {
        for (const batch of ["literal", "param"] as const) {
          const r = run(c, kind, batch);
          expect(r.worst, batch).toBeLessThan(2e-6);
          expect(r.intact, batch).toBe(true);
        }
      },
    );

    it.each(["identity", "relu", "sigmoid", "tanh"] as const)(
      "conv2d with the bias and %s in its epilogue",
      (activation) => {
        for (const c of [CASES[1]!, CASES[4]!, CASES[7]!]) {
          const r = run(c, "conv2d", "param", activation);
          expect(r.worst, c.name).toBeLessThan(2e-6);
          expect(r.intact, c.name).toBe(true);
        }
      },
    );
  },
);
