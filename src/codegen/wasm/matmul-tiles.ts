// The tiles of the matrix product (see matmul.ts for the forms and the loops around them).
//
// splatTile (nn, tn): a tile of R <= 4 rows by W <= 8 columns. At each k, the row of B' under the
// tile is one or two vectors b0 b1 (B[k, j..j+7]); each row r of the tile splats A'[i+r, k] into
// all lanes and adds a * b0, a * b1 to its two accumulators. 8 accumulators + 2 vectors of B +
// 1 of A = 11 registers: nothing spills (4 x 16 would need 16 + 5). A' is read at A[i+r, k]
// (nn: rows K apart, k steps 1) or At[k, i+r] (tn: rows 1 apart, k steps M): one splat load each.
//
// dotTile (nt): B' = Bt^T, whose columns are rows of Bt, contiguous along k like the rows of A.
// A tile of R <= 2 rows by W <= 4 columns keeps one accumulator per output element, each summing
// 4 products of A[i+r, k..k+3] and Bt[j+c, k..k+3] per step (2 + 4 loads for 8 multiply-adds);
// a K % 4 tail loads single elements into lane 0. At the end the lanes of the 4 accumulators of a
// row are summed into one vector C[i+r, j..j+3] by shuffles, so the epilogue and the store are
// the same as in the splat tile.
import { get, i32, op, set, v, type Code, type Local } from "./code.ts";
import type { FuncBuilder } from "./func.ts";
import { dimCode, type Activation, type Dim, type MatmulSpec } from "./matmul.ts";
import * as M from "./simd-math.ts";

export interface TileCtx {
  fb: FuncBuilder;
  spec: MatmulSpec;
  M: Dim;
  N: Dim;
  K: Dim;
  /** the tile's first row and column */
  i: Local;
  j: Local;
  C: Local;
  A: Local;
  B: Local;
  bias: Local | null;
  /** per-column scale (a batchnorm folded into the layer), applied before the bias */
  scale: Local | null;
  /** M, N and K in bytes */
  bytes: Record<"M" | "N" | "K", Dim>;
}

/** M, N and K in bytes (4 per f32): literals, or i32 locals computed once in the prologue. */
export function sizesInBytes(fb: FuncBuilder, dims: Record<"M" | "N" | "K", Dim>) {
  const inBytes = (d: Dim): Dim => {
    if ("lit" in d) return { lit: d.lit * 4 };
    const l = fb.local(`${d.local.name}x4`, "i32");
    fb.emit(set(l, i32.shl(get(d.local), i32.const(2))));
    return { local: l };
  };
  return { M: inBytes(dims.M), N: inBytes(dims.N), K: inBytes(dims.K) };
}

/**
 * R rows of a matrix, `stride` bytes apart: one pointer with the rows at static offsets when the
 * stride is a literal, else one pointer per row.
 */
class Rows {
  private readonly ptrs: Local[];
  constructor(
    private readonly fb: FuncBuilder,
    name: string,
    private readonly count: number,
    private readonly stride: Dim,
  ) {
    const n = "lit" in stride ? 1 : count;
    this.ptrs = Array.from({ length: n }, (_, r) => fb.local(`${name}${r}`, "i32"));
  }
  init(base: Code): Code {
    if (this.ptrs.length === 1) return set(this.ptrs[0]!, base);
    return this.ptrs.map((p, r) =>
      set(p, r === 0 ? base : i32.add(get(this.ptrs[r - 1]!), dimCode(this.stride))),
    );
  }
  /** [pointer, static byte offset] of row r */
  at(r: number, extra = 0): [Code, number] {
    if ("lit" in this.stride) return [get(this.ptrs[0]!), r * this.stride.lit + extra];
    return [get(this.ptrs[r]!), extra];
  }
  advance(by: Dim): Code {
    return this.ptrs.map((p) => set(p, i32.add(get(p), dimCode(by))));
  }
  get rows(): number {
    return this.count;
  }
}

/** i * rowLength + j, in bytes, plus base */
function at2(base: Local, i: Code, rowLength: Dim, j: Code): Code {
  return i32.add(get(base), i32.shl(i32.add(i32.mul(i, dimCode(rowLength)), j), i32.const(2)));
}

/** acc + a * b, fused where relaxed SIMD is enabled */
function madd(spec: MatmulSpec, acc: Code, a: Code, b: Code): Code {
  return spec.relaxed ? op("f32x4.relaxed_madd", a, b, acc) : v.add(acc, v.mul(a, b));
}

/** `w` (1-4) f32s at [ptr + off]: a vector, or lanes 0..w-1 with zeros after */
export function loadPartial(ptr: Code, off: number, w: number): Code {
  if (w === 4) return v.load(ptr, off);
  let acc: Code = v.loadZero(ptr, off);
  for (let lane = 1; lane < w; lane++) acc = v.loadLane(ptr, acc, lane, off + 4 * lane);
  return acc;
}

export function storePartial(ptr: Code, off: number, w: number, value: Local): Code {
  if (w === 4) return v.store(ptr, get(value), off);
  return Array.from({ length: w }, (_, lane) => v.storeLane(ptr, get(value), lane, off + 4 * lane));
}

/**
 * C[i+r, j+4c ..] = activation(sum * scale[j+4c ..] + bias[j+4c ..]) (+ the old C): `w` lanes of
 * the sum stored.
 */
function epilogue(ctx: TileCtx, sum: Code, c: [Code, number], col: number, w: number) {
  const { fb, spec } = ctx;
  let value = sum;
  const scale = columnAt(ctx, ctx.scale, col);
  const bias = columnAt(ctx, ctx.bias, col);
  if (scale) value = v.mul(value, loadPartial(scale, 0, w));
  if (bias) value = v.add(value, loadPartial(bias, 0, w));
  value = activate(fb, spec.activation, value);
  if (spec.accumulate) value = v.add(loadPartial(c[0], c[1], w), value);
  const out = fb.local("out", "v128");
  return [set(out, value), storePartial(c[0], c[1], w, out)];
}

/** An epilogue's activation of 4 lanes (relu(NaN) is 0, as the JS target's Math.max(x, 0)). */
export function activate(fb: FuncBuilder, activation: Activation | undefined, value: Code): Code {
  if (activation === "relu") return v.pmax(fb.f32x4(0), value);
  if (activation === "sigmoid") return M.sigmoid(fb, value);
  if (activation === "tanh") return M.tanh(fb, value);
  return value;
}

export function accumulators(fb: FuncBuilder, rows: number, cols: number): Local[][] {
  return Array.from({ length: rows }, (_, r) =>
    Array.from({ length: cols }, (_, c) => fb.local(`acc${r}${c}`, "v128")),
  );
}

/** The address of a per-column vector (bias, scale) under the tile's columns, or null. */
function columnAt(ctx: TileCtx, vector: Local | null, colOffset: number): Code | null {
  if (!vector) return null;
  return i32.add(get(vector), i32.shl(i32.add(get(ctx.j), i32.const(colOffset)), i32.const(2)));
}

export function splatTile(ctx: TileCtx, R: number, W: number): Code {
  const { fb, spec } = ctx;
  const widths = W === 8 ? [4, 4] : [W];
  const acc = accumulators(fb, R, widths.length);
  const tn = spec.form === "tn";
  const a = new Rows(fb, "a", R, tn ? { lit: 4 } : ctx.bytes.K);
  const b = fb.local("b", "i32");
  const k = fb.local("k", "i32");
  const bv = widths.map((_, c) => fb.local(`b${c}`, "v128"));
  const av = fb.local("a", "v128");
  const aStart = tn
    ? at2(ctx.A, i32.const(0), ctx.M, get(ctx.i))
    : at2(ctx.A, get(ctx.i), ctx.K, i32.const(0));
  const step = [
    widths.map((w, c) => set(bv[c]!, loadPartial(get(b), 16 * c, w))),
    acc.map((row, r) => [
      set(av, v.loadSplat(...a.at(r))),
      row.map((sum, c) => set(sum, madd(spec, get(sum), get(av), get(bv[c]!)))),
    ]),
    a.advance(tn ? ctx.bytes.M : { lit: 4 }),
    set(b, i32.add(get(b), dimCode(ctx.bytes.N))),
  ];
  const c = new Rows(fb, "c", R, ctx.bytes.N);
  return [
    acc.flat().map((l) => set(l, fb.f32x4(0))),
    a.init(aStart),
    set(b, at2(ctx.B, i32.const(0), ctx.N, get(ctx.j))),
    fb.forUp(k, i32.const(0), dimCode(ctx.K), 1, step),
    c.init(at2(ctx.C, get(ctx.i), ctx.N, get(ctx.j))),
    acc.map((row, r) =>
      row.map((sum, cv) => epilogue(ctx, get(sum), c.at(r, 16 * cv), 4 * cv, widths[cv]!)),
    ),
  ];
}

/** One vector of the sums of the lanes of each of 4 vectors (absent ones count as 0). */
function laneSums(fb: FuncBuilder, xs: Code[]): Code {
  const [a, b, c, d] = [0, 1, 2, 3].map((k) => xs[k] ?? fb.f32x4(0)) as [Code, Code, Code, Code];
  // (a0+a2, a1+a3, b0+b2, b1+b3), then the same for c and d
  const ab = v.add(v.shuffle(a, b, [0, 1, 4, 5]), v.shuffle(a, b, [2, 3, 6, 7]));
  const cd = v.add(v.shuffle(c, d, [0, 1, 4, 5]), v.shuffle(c, d, [2, 3, 6, 7]));
  const [sab, sab2] = [fb.local("ab", "v128"), fb.local("cd", "v128")];
  return [
    set(sab, ab),
    set(sab2, cd),
    v.add(
      v.shuffle(get(sab), get(sab2), [0, 2, 4, 6]),
      v.shuffle(get(sab), get(sab2), [1, 3, 5, 7]),
    ),
  ];
}

export function dotTile(ctx: TileCtx, R: number, W: number): Code {
  const { fb, spec } = ctx;
  const acc = accumulators(fb, R, W);
  const rowBytes = ctx.bytes.K;
  const a = new Rows(fb, "a", R, rowBytes);
  const b = new Rows(fb, "b", W, rowBytes);
  const kb = fb.local("kb", "i32");
  const av = acc.map((_, r) => fb.local(`a${r}`, "v128"));
  const bv = acc[0]!.map((_, c) => fb.local(`b${c}`, "v128"));
  const step = (lanes: 4 | 1) => {
    const load = lanes === 4 ? v.load : v.loadZero;
    return [
      av.map((l, r) => set(l, load(...a.at(r)))),
      bv.map((l, c) => set(l, load(...b.at(c)))),
      acc.map((row, r) =>
        row.map((sum, c) => set(sum, madd(spec, get(sum), get(av[r]!), get(bv[c]!)))),
      ),
      a.advance({ lit: lanes * 4 }),
      b.advance({ lit: lanes * 4 }),
    ];
  };
  const kEnd = ctx.bytes.K;
  const vecEnd = "lit" in kEnd ? i32.const(kEnd.lit - 12) : i32.sub(get(kEnd.local), i32.const(12));
  const c = new Rows(fb, "c", R, ctx.bytes.N);
  return [
    acc.flat().map((l) => set(l, fb.f32x4(0))),
    a.init(at2(ctx.A, get(ctx.i), ctx.K, i32.const(0))),
    b.init(at2(ctx.B, get(ctx.j), ctx.K, i32.const(0))),
    fb.forUp(kb, i32.const(0), vecEnd, 16, step(4)),
    fb.forUp(kb, null, dimCode(kEnd), 4, step(1)),
    c.init(at2(ctx.C, get(ctx.i), ctx.N, get(ctx.j))),
    acc.map((row, r) => epilogue(ctx, laneSums(fb, row.map(get)), c.at(r), 0, W)),
  ];
}
