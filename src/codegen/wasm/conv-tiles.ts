// The register tile of the forward convolution and of its weight gradient: a product
//   C^T[row, o] = sum_e X[row, e] B[e, o]
// whose left operand is never stored: X[row, e] is the image element at
//   image + rowTable[row] + innerTable[e]
// (forward: rows are output pixels, e runs over the taps, B = W^T; weight gradient: rows are taps,
// e runs over the output pixels, B = dy^T). A tile of R <= 4 rows by V <= 2 vectors of 4 output
// channels keeps its sums in 8 v128 locals as matmul-tiles.ts's splat tile does: at each e, one
// i32 load of the offset, one or two vectors of B, and per row one splat of X against them (8
// accumulators + 2 of B + 1 of X = 11 registers). C is stored channel-major (NCHW, or dW's
// [O, taps]), so the epilogue turns each 4 x 4 block around with 8 shuffles and stores 4 rows of
// a channel as one vector.
import { comment, get, i32, set, v, type Code, type Local } from "./code.ts";
import type { FuncBuilder } from "./func.ts";
import type { Activation } from "./matmul.ts";
import { accumulators, activate, loadPartial, storePartial } from "./matmul-tiles.ts";
import { transpose4 } from "./conv-work.ts";

export interface IndirectTile {
  fb: FuncBuilder;
  /** the image (of the group): rows and entries are byte offsets from it */
  image: Local;
  /** the tile's first row's entry in the row table (the next rows' 4 bytes apart) */
  rows: Local;
  /** the inner table's first entry, and how many entries it has */
  inner: Local;
  innerCount: number;
  /** B's row of entry 0 at the tile's first channel; B's rows `bStride` bytes apart */
  b: Local;
  bStride: number;
  /** C's element (tile's first channel, tile's first row); channels `outStride` bytes apart */
  out: Local;
  outStride: number;
  /** the bias at the tile's first channel, added before the activation */
  bias: Local | null;
  activation?: Activation;
  /** C += the tile (the weight gradient summed over the batch) */
  accumulate?: boolean;
}

/**
 * One tile: R rows, V vectors of channels of which `channels` are stored. Rows `rowStep` bytes
 * apart in the image (4 output pixels in one output row) are read at static offsets from the
 * first one: one address per entry instead of R.
 */
export function indirectTile(
  t: IndirectTile,
  R: number,
  V: number,
  channels: number,
  rowStep?: number,
): Code {
  const { fb } = t;
  const acc = accumulators(fb, R, V);
  const x = acc.slice(0, rowStep === undefined ? R : 1).map((_, r) => fb.local(`x${r}`, "i32"));
  const [off, e, end, b] = ["off", "e", "e_end", "b"].map((n) => fb.local(n, "i32")) as Local[];
  const bv = acc[0]!.map((_, c) => fb.local(`b${c}`, "v128"));
  const a = fb.local("a", "v128");
  const at = fb.local("at", "i32");
  const splat = (r: number) =>
    rowStep === undefined
      ? v.loadSplat(i32.add(get(x[r]!), get(off!)))
      : v.loadSplat(get(at), r * rowStep);
  const step = [
    rowStep === undefined
      ? set(off!, i32.load(get(e!)))
      : set(at, i32.add(get(x[0]!), i32.load(get(e!)))),
    bv.map((l, c) => set(l, v.load(get(b!), 16 * c))),
    acc.map((row, r) => [
      set(a, splat(r)),
      row.map((sum, c) => set(sum, v.add(get(sum), v.mul(get(a), get(bv[c]!))))),
    ]),
    set(b!, i32.add(get(b!), i32.const(t.bStride))),
  ];
  const what = `${R} rows x ${channels} channels${rowStep ? `, rows ${rowStep} bytes apart` : ""}`;
  return [
    comment(`a tile of ${what}: per entry, its offset, ${V} vectors of B, ${R} splats of x`),
    acc.flat().map((l) => set(l, fb.f32x4(0))),
    x.map((l, r) => set(l, i32.add(get(t.image), i32.load(get(t.rows), 4 * r)))),
    set(b!, get(t.b)),
    set(end!, i32.add(get(t.inner), i32.const(t.innerCount * 4))),
    fb.forUp(e!, get(t.inner), get(end!), 4, step),
    comment(
      `${t.bias ? "bias, " : ""}${t.activation ? `${t.activation}, ` : ""}each 4 x 4 block turned: ${R} rows of a channel per ${t.accumulate ? "add and " : ""}store`,
    ),
    acc[0]!.map((_, c) => storeChannels(t, acc, c, Math.min(4, channels - 4 * c))),
  ];
}

/**
 * Channels 4c .. 4c + lanes - 1 of the tile: bias and activation on the sums, the 4 x 4 block
 * transposed, and each channel's R rows stored as one vector (added to C's with `accumulate`).
 */
function storeChannels(t: IndirectTile, acc: Local[][], c: number, lanes: number): Code {
  const { fb } = t;
  const R = acc.length;
  const bias = t.bias ? loadPartial(get(t.bias), 16 * c, lanes) : null;
  const rows = [0, 1, 2, 3].map((r) => fb.local(`row${r}`, "v128"));
  const value = (r: number): Code => {
    if (r >= R) return fb.f32x4(0);
    const sum = get(acc[r]![c]!);
    return activate(fb, t.activation, bias ? v.add(sum, bias) : sum);
  };
  // rows[r] holds 4 channels of row r; cols[l] holds 4 rows of channel l
  const turned = transpose4(fb, rows.map(get));
  const col = fb.local("col", "v128");
  return [
    rows.map((l, r) => set(l, value(r))),
    turned.code,
    turned.cols.slice(0, lanes).map((x, l) => {
      const at = (4 * c + l) * t.outStride;
      const sum = t.accumulate ? v.add(loadPartial(get(t.out), at, R), x) : x;
      return [set(col, sum), storePartial(get(t.out), at, R, col)];
    }),
  ];
}

/**
 * Tiles of 4 rows by 8 channels over [rows, channels]: loops over whole tiles, then the last
 * rows (fewer than 4) and the last channels (fewer than 8, in one or two vectors).
 * `tile(R, V, channels)` is the code of one tile at (row, oc).
 */
export function tileLoops(
  fb: FuncBuilder,
  rows: number,
  channels: number,
  row: Local,
  oc: Local,
  tile: (R: number, V: number, channels: number) => Code,
): Code {
  const across = (R: number): Code => {
    const rest = channels % 8;
    return [
      fb.forUp(oc, i32.const(0), i32.const(channels - 7), 8, tile(R, 2, 8)),
      rest === 0 ? [] : [set(oc, i32.const(channels - rest)), tile(R, Math.ceil(rest / 4), rest)],
    ];
  };
  const last = rows % 4;
  return [
    fb.forUp(row, i32.const(0), i32.const(rows - 3), 4, across(4)),
    last === 0 ? [] : [set(row, i32.const(rows - last)), across(last)],
  ];
}
