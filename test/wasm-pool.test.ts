// The pooling kernels (src/codegen/wasm/pool.ts) against the ops' f64 reference: both pools and
// their gradients over windows with overlap, padding and strides 1, 2 and 3 (the three ways the
// vector path loads a tap), rows whose columns are all at the borders, windows that tile the
// image (the max pool's gradient written without sums: 1, 2 and 3 wide), the batch literal and
// read at run time; inputs with ties (the first maximum gets the gradient) and NaNs (the maximum,
// the first of them getting the gradient); nothing written past an output.
import { describe, expect, it } from "vitest";
import * as ops from "../src/ops/index.ts";
import type { Node, Shape } from "../src/ir/node.ts";
import { make } from "../src/ops/op.ts";
import { interpret } from "../src/ir/interpret.ts";
import { poolGeometryOf } from "../src/ops/pool.ts";
import { poolKernel, poolParams, type PoolSpec } from "../src/codegen/wasm/pool.ts";
import { instantiate, SLOW, uniform } from "./wasm-helpers.ts";

/** name, x, kernel, stride, padding (top, left, bottom, right) */
type Row = [string, Shape, [number, number], [number, number], [number, number, number, number]];
const ROWS: Row[] = [
  ["2x2", [2, 3, 4, 6], [2, 2], [2, 2], [0, 0, 0, 0]],
  ["3x3, stride 2, overlapping", [1, 2, 7, 5], [3, 3], [2, 2], [0, 0, 0, 0]],
  ["3x2, padding 1", [2, 2, 5, 4], [3, 2], [2, 1], [1, 1, 1, 1]],
  ["lenet 1", [2, 6, 28, 28], [2, 2], [2, 2], [0, 0, 0, 0]],
  ["3x3, stride 1, padding 1", [2, 2, 9, 13], [3, 3], [1, 1], [1, 1, 1, 1]],
  ["2x3, stride 3, asymmetric padding", [1, 3, 8, 23], [2, 3], [3, 3], [1, 1, 0, 1]],
  ["wide window, stride 2", [1, 2, 6, 21], [1, 4], [1, 2], [0, 2, 0, 1]],
  ["3x3 tiling the image", [1, 2, 9, 15], [3, 3], [3, 3], [0, 0, 0, 0]],
  ["2x1 tiling the image", [2, 2, 4, 9], [2, 1], [2, 1], [0, 0, 0, 0]],
];

type Kind = "max_pool2d" | "avg_pool2d" | "max_pool2d_dx" | "avg_pool2d_dx";

function nodeOf(row: Row, kind: Kind): { node: Node; inputs: Node[] } {
  const [, shape, kernel, stride, pad] = row;
  const window = { stride, pad, dilation: [1, 1] as [number, number] };
  const x = ops.param("x", shape);
  const y = ops.pool2d(kind.startsWith("max") ? "max" : "avg", x, kernel, window);
  if (!kind.endsWith("_dx")) return { node: y, inputs: [x] };
  const dy = ops.param("dy", y.shape);
  const attrs = ops.poolAttrs(kernel, window);
  if (kind === "max_pool2d_dx")
    return { node: make(ops.maxPool2dDxOp, [dy, x], attrs), inputs: [dy, x] };
  const image = { ...attrs, image: [shape[2]!, shape[3]!] };
  return { node: make(ops.avgPool2dDxOp, [dy], image), inputs: [dy] };
}

const size = (s: Shape) => s.reduce<number>((a, d) => a * (d as number), 1);

/** x with many ties (multiples of 1/4 in [-1, 1]) and, where asked, a NaN every 13th cell. */
function imageData(n: number, seed: number, nans: boolean): Float32Array {
  const x = uniform(n, seed).map((u) => Math.round(u * 4) / 4);
  if (nans) for (let i = 5; i < n; i += 13) x[i] = NaN;
  return x;
}

function run(row: Row, kind: Kind, batch: "literal" | "param", nans: boolean) {
  const { node, inputs } = nodeOf(row, kind);
  const geo = { ...poolGeometryOf(node), N: row[1][0] as number };
  const spec: PoolSpec = {
    name: "pool",
    kind: kind.endsWith("_dx") ? "pool_dx" : "pool",
    op: kind.startsWith("max") ? "max" : "avg",
    geo: { ...geo, N: batch === "param" ? "param" : geo.N },
  };
  const inst = instantiate([poolKernel(spec)], 64);
  const values = new Map(
    inputs.map((n, i) => {
      const name = n.attrs["name"] as string;
      const data = name === "x" ? imageData(size(n.shape), 3, nans) : uniform(size(n.shape), 9 + i);
      return [name, data];
    }),
  );
  const ptrs = inputs.map((n) => inst.put(values.get(n.attrs["name"] as string)!));
  const out = inst.alloc(size(node.shape));
  const args = [...ptrs, out, ...(batch === "param" ? [geo.N] : [])];
  expect(args.length).toBe(poolParams(spec).length);
  inst.fns["pool"]!(...args);
  const f64 = new Map([...values].map(([k, a]) => [k, Float64Array.from(a)]));
  const want = interpret([node], { values: f64, dims: {} }).get(node)!.data;
  const got = inst.f32(out, want.length);
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const [a, b] = [got[i]!, want[i]!];
    const e = Number.isNaN(b) ? (Number.isNaN(a) ? 0 : Infinity) : Math.abs(a - b);
    worst = Math.max(worst, Number.isNaN(e) ? Infinity : e);
  }
  return { worst, intact: Number.isNaN(inst.f32(out + want.length * 4, 1)[0]) };
}

describe("pooling and its gradients on the wasm target against f64", { timeout: SLOW }, () => {
  const kinds: Kind[] = ["max_pool2d", "avg_pool2d", "max_pool2d_dx", "avg_pool2d_dx"];
  it.each(ROWS.flatMap((r) => kinds.map((k) => [k, r[0], r] as const)))(
    "%s, %s",
    (kind, _, row) => {
      for (const batch of ["literal", "param"] as const)
        for (const nans of kind.startsWith("max") ? [false, true] : [false]) {
          const r = run(row, kind, batch, nans);
          expect(r.worst, `${batch}${nans ? ", NaNs" : ""}`).toBeLessThan(1e-6);
          expect(r.intact).toBe(true);
        }
    },
  );
});
