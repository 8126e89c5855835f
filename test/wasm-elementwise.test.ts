// Elementwise kernels: every elementwise op of the registry has a wasm form (this fails when an op
// is added without one), each computes what its reference `evaluate` computes over edge values,
// and the loop nest reads every operand at the right index for every layout: contiguous,
// broadcast along either axis, strided (transposed), sizes read at run time, odd sizes, out +=,
// in place.
import { describe, expect, it } from "vitest";
import { registry } from "../src/ops/index.ts";
import type { OpName } from "../src/ops/names.ts";
import { WASM_OPS } from "../src/codegen/wasm/ops.ts";
import { elementwiseKernel, type ElementwiseSpec } from "../src/codegen/wasm/elementwise.ts";
import type { Expr, KernelParam } from "../src/codegen/wasm/kernel.ts";
import { broadcastStrides, dyn, type Size } from "../src/codegen/wasm/sizes.ts";
import { opKernel } from "./wasm-fixtures.ts";
import { instantiate, uniform } from "./wasm-helpers.ts";

const ELEMENTWISE = (Object.keys(registry) as OpName[]).filter(
  (op) => registry[op].kind === "elementwise",
);

describe("the op table", () => {
  it.each(ELEMENTWISE)("%s has a wasm form", (op) => {
    expect(WASM_OPS[op], `add ${op} to src/codegen/wasm/ops.ts`).toBeTypeOf("function");
  });

  it("has entries only for ops of the registry", () => {
    for (const op of Object.keys(WASM_OPS)) expect(registry).toHaveProperty(op);
  });
});

const f32 = Math.fround;
const EDGES = [
  -Infinity,
  -1e10,
  -88.8,
  -20,
  -3,
  -1,
  -0.5,
  -1e-8,
  -0,
  0,
  1e-40,
  1e-8,
  0.25,
  0.5,
  0.999,
  1,
  2,
  3,
  20,
  88.8,
  1e10,
  Infinity,
  NaN,
].map(f32);
const PROBABILITIES = [0, 1e-30, 1e-8, 0.01, 0.25, 0.5, 0.75, 0.999, 1 - 2 ** -24, 1].map(f32);
const LOSSES: OpName[] = ["bce", "bce_dp", "bce_dy", "xent", "xent_dp", "xent_dy"];

/** Argument tuples: every edge value (unary), or pairs of them (binary), or random 5-tuples. */
function argsFor(op: OpName): number[][] {
  const arity = registry[op].arity;
  const values = LOSSES.includes(op) ? [...PROBABILITIES, -0.5, 1.5, NaN] : EDGES;
  if (arity === 1) return values.map((x) => [x]);
  if (arity === 2) return values.flatMap((a) => values.map((b) => [a, b]));
  const cols = Array.from({ length: arity }, (_, k) => uniform(64, k + 1, -3, 3));
  return Array.from({ length: 64 }, (_, i) => cols.map((c) => c[i]!));
}

/** The op's own reference evaluation, in f64, of f32 inputs. */
function reference(op: OpName, args: number[][]): number[] {
  const def = registry[op];
  const attrs = { alpha: 0.3, shape: [args.length] };
  const inputs = Array.from({ length: def.arity }, (_, k) => ({
    data: Float64Array.from(args, (a) => a[k]!),
    shape: [args.length],
  }));
  const env = { leaf: () => new Float64Array(0), dim: () => 0 };
  return Array.from(def.evaluate(inputs, attrs, [args.length], env, null as never));
}

/**
 * f32 agreement: the same NaN or Inf, else within 1e-5 relative, or within 1e-6 of the inputs'
 * magnitude (where a formula such as batchnorm's gamma xhat + beta cancels, f32 keeps no more),
 * or 1e-24 absolute (bce at p = 1e-30: the f64 reference rounds 1 - p to 1, the kernel does not).
 */
function agrees(got: number, want: number, args: number[]): boolean {
  const w = f32(want);
  if (Number.isNaN(w)) return Number.isNaN(got);
  if (!Number.isFinite(w)) return got === w;
  const scale = args.reduce((s, a) => s + (Number.isFinite(a) ? Math.abs(a) : 0), 0);
  return Math.abs(got - want) <= 1e-5 * Math.abs(want) + 1e-6 * scale + 1e-24;
}

describe("every elementwise op against its reference evaluation", () => {
  const ops = ELEMENTWISE.filter((op) => op !== "expand");
  it.each(ops)("%s", (op) => {
    const args = argsFor(op);
    const n = args.length;
    const inst = instantiate([opKernel(op, "param")], 4);
    const arity = registry[op].arity;
    const ptrs = Array.from({ length: arity }, (_, k) => inst.put(args.map((a) => a[k]!)));
    const out = inst.alloc(n);
    inst.fns[`op_${op}`]!(out, ...ptrs, n);
    const got = inst.f32(out, n);
    const want = reference(op, args);
    const bad = args.filter((a, i) => !agrees(got[i]!, want[i]!, a));
    const show = bad.slice(0, 5).map((a) => {
      const i = args.indexOf(a);
      return `${op}(${a.join(", ")}) = ${got[i]}, want ${want[i]}`;
    });
    expect(show).toEqual([]);
  });
});

// ---- loop structure ----

const ptr = (name: string): KernelParam => ({ name, type: "ptr" });
const load = (p: number, strides: Size[]): Expr => ({ kind: "load", ptr: p, strides });
const op = (name: OpName, ...args: Expr[]): Expr => ({ kind: "op", op: name, args });

interface Case {
  name: string;
  shape: number[];
  /** each input's own shape (broadcast against `shape`) or explicit strides over it */
  inputs: { shape?: number[]; strides?: number[]; size: number }[];
  expr: (loads: Expr[]) => Expr;
  ref: (xs: number[]) => number;
  dynamic?: number[];
  accumulate?: boolean;
  inPlace?: boolean;
  scalar?: number;
}

const cases: Case[] = [
  ...[1, 3, 4, 5, 7, 8, 9, 17, 33].map((n) => ({
    name: `a + b over [${n}]`,
    shape: [n],
    inputs: [
      { shape: [n], size: n },
      { shape: [n], size: n },
    ],
    expr: (l: Expr[]) => op("add", l[0]!, l[1]!),
    ref: ([a, b]: number[]) => a! + b!,
  })),
  ...(
    [
      [1, 1],
      [3, 5],
      [5, 9],
      [7, 17],
      [33, 3],
      [2, 33],
    ] as const
  ).map(([m, n]) => ({
    name: `relu(x + bias) over [${m}, ${n}], bias [${n}]`,
    shape: [m, n],
    inputs: [
      { shape: [m, n], size: m * n },
      { shape: [n], size: n },
    ],
    expr: (l: Expr[]) => op("relu", op("add", l[0]!, l[1]!)),
    ref: ([x, b]: number[]) => Math.max(0, f32(x! + b!)),
  })),
  {
    name: "x * column over [9, 7], column [9, 1] (one splat per row)",
    shape: [9, 7],
    inputs: [
      { shape: [9, 7], size: 63 },
      { shape: [9, 1], size: 9 },
    ],
    expr: (l) => op("mul", l[0]!, l[1]!),
    ref: ([x, c]) => x! * c!,
  },
  {
    name: "rank 3: [2, 3, 5] - [3, 1]",
    shape: [2, 3, 5],
    inputs: [
      { shape: [2, 3, 5], size: 30 },
      { shape: [3, 1], size: 3 },
    ],
    expr: (l) => op("sub", l[0]!, l[1]!),
    ref: ([x, c]) => x! - c!,
  },
  {
    name: "a transposed read: x stored [7, 5] read as [5, 7] (gathered lanes)",
    shape: [5, 7],
    inputs: [
      { strides: [1, 5], size: 35 },
      { shape: [5, 7], size: 35 },
    ],
    expr: (l) => op("add", l[0]!, l[1]!),
    ref: ([x, y]) => x! + y!,
  },
  {
    name: "the batch read at run time: [batch, 10] + [10]",
    shape: [13, 10],
    dynamic: [0],
    inputs: [
      { shape: [13, 10], size: 130 },
      { shape: [10], size: 10 },
    ],
    expr: (l) => op("add", l[0]!, l[1]!),
    ref: ([x, b]) => x! + b!,
  },
  {
    name: "out += x * s, s an f32 param",
    shape: [6, 5],
    accumulate: true,
    scalar: 2.5,
    inputs: [{ shape: [6, 5], size: 30 }],
    expr: (l) => op("mul", l[0]!, { kind: "scalar", param: 2 }),
    ref: ([x]) => x! * 2.5,
  },
  {
    name: "in place: x = x * x - 1",
    shape: [11],
    inPlace: true,
    inputs: [{ shape: [11], size: 11 }],
    expr: (l) => op("sub", op("mul", l[0]!, l[0]!), { kind: "const", value: 1 }),
    ref: ([x]) => f32(x! * x!) - 1,
  },
  {
    name: "a scalar output",
    shape: [],
    inputs: [
      { shape: [], size: 1 },
      { shape: [], size: 1 },
    ],
    expr: (l) => op("div", l[0]!, l[1]!),
    ref: ([a, b]) => a! / b!,
  },
];

function stridesOf(c: Case, k: number, shape: Size[]): Size[] {
  const input = c.inputs[k]!;
  if (input.strides) return input.strides;
  const own: Size[] = input.shape!.map((d, i) => {
    const axis = c.shape.length - input.shape!.length + i;
    return c.dynamic?.includes(axis) && d === c.shape[axis] ? shape[axis]! : d;
  });
  return broadcastStrides(own, shape);
}

describe("the loop nest reads every operand at the right index", () => {
  it.each(cases.map((c) => [c.name, c] as const))("%s", (_, c) => {
    const params: KernelParam[] = [ptr("out"), ...c.inputs.map((__, k) => ptr(`x${k}`))];
    if (c.scalar !== undefined) params.push({ name: "s", type: "f32" });
    const sizeParam = params.length;
    if (c.dynamic) params.push({ name: "batch", type: "size" });
    const shape: Size[] = c.shape.map((d, i) => (c.dynamic?.includes(i) ? dyn(sizeParam) : d));
    const loads = c.inputs.map((__, k) => load(c.inPlace ? 0 : k + 1, stridesOf(c, k, shape)));
    const spec: ElementwiseSpec = {
      name: "k",
      params,
      out: 0,
      shape,
      expr: c.expr(loads),
      accumulate: c.accumulate,
    };
    const inst = instantiate([elementwiseKernel(spec)], 2);
    const data = c.inputs.map((input, k) => uniform(input.size, 10 + k, -2, 2));
    const size = c.shape.reduce((a, b) => a * b, 1);
    const initial = uniform(size, 99, -1, 1);
    const out = c.inPlace ? inst.put(data[0]!) : inst.put(initial);
    const ptrs = c.inPlace ? [] : data.map((d) => inst.put(d));
    const extra = [
      ...(c.scalar !== undefined ? [c.scalar] : []),
      ...(c.dynamic ? [c.shape[0]!] : []),
    ];
    inst.fns["k"]!(out, ...ptrs, ...extra);
    // the reference: each output index reads each input through its strides
    const strides = c.inputs.map((__, k) => stridesOf(c, k, c.shape) as number[]);
    const want = Array.from({ length: size }, (__, flat) => {
      let rest = flat;
      const idx = c.shape.map(() => 0);
      for (let d = c.shape.length - 1; d >= 0; d--) {
        idx[d] = rest % c.shape[d]!;
        rest = Math.floor(rest / c.shape[d]!);
      }
      const xs = data.map((d, k) => d[idx.reduce((s, i, a) => s + i * strides[k]![a]!, 0)]!);
      const value = f32(c.ref(xs));
      return c.accumulate ? f32(initial[flat]! + value) : value;
    });
    expect(Array.from(inst.f32(out, size))).toEqual(want);
    // the slack after the output is untouched (still NaN): no store past the end
    expect(inst.f32(out + size * 4, 1)[0]).toBeNaN();
  });
});
