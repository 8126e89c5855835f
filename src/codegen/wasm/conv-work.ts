// A convolution's workspace and the code that fills it. The three convolution kernels (conv.ts)
// read the input image through two tables of byte offsets, so that the element a tap (c, p, q)
// meets at an output pixel (i, j) is
//   image + taps[c, p, q] + pix[i, j],  taps = ((c Hp + p d) Wp + q d') 4,  pix = (i s Wp + j s') 4
// over the image padded to Hp x Wp (a copy with zero borders, made per image when the window
// reaches past the edges; without padding the image is read where it is). Nothing in the
// workspace grows with the batch: it holds one image, one group's panel and the two tables.
import type { ConvGeometry } from "../../ops/conv.ts";
import { comment, f32, get, i32, set, v, type Code, type Local } from "./code.ts";
import type { FuncBuilder } from "./func.ts";
import { flatLoop } from "./kernel.ts";

/** A convolution's sizes as the generators take them: all literals but the batch. */
export type ConvShape = Omit<ConvGeometry, "N"> & { N: number | "param" };

export type ConvKind = "conv2d" | "conv2d_dx" | "conv2d_dw";

/** The sizes the kernels derive from a geometry. */
export interface ConvSizes {
  /** input and output channels per group; Ogp: Og rounded up to whole vectors */
  Cg: number;
  Og: number;
  Ogp: number;
  /** taps per group (Cg kh kw) and output pixels (OH OW) */
  Kg: number;
  P: number;
  /** the image as the kernels read it: padded, or the input's own size */
  padded: boolean;
  Hp: number;
  Wp: number;
}

export function convSizes(g: ConvShape): ConvSizes {
  const padded = g.pad.some((p) => p > 0);
  const Og = g.O / g.groups;
  return {
    Cg: g.C / g.groups,
    Og,
    Ogp: Math.ceil(Og / 4) * 4,
    Kg: (g.C / g.groups) * g.kh * g.kw,
    P: g.OH * g.OW,
    padded,
    Hp: padded ? g.H + g.pad[0] + g.pad[2] : g.H,
    Wp: padded ? g.W + g.pad[1] + g.pad[3] : g.W,
  };
}

/** Byte offsets of the workspace's regions from its start (each 16-byte aligned). */
export interface ConvWork {
  taps: number;
  pix: number;
  /** the padded image [C, Hp, Wp] (the input's for conv2d and conv2d_dw, dx's for conv2d_dx) */
  image?: number;
  /** conv2d: W^T of every group, [groups, Kg, Ogp]; conv2d_dw: dy^T of one group, [P, Ogp] */
  panel?: number;
  /** conv2d_dx: one group's columns W^T dy, [Kg, P] */
  cols?: number;
  /** the workspace's size in floats */
  floats: number;
}

export function convWork(g: ConvShape, kind: ConvKind): ConvWork {
  const s = convSizes(g);
  let top = 0;
  const take = (floats: number) => {
    const at = top;
    top += Math.ceil(floats / 4) * 16;
    return at;
  };
  const work: ConvWork = { taps: take(s.Kg), pix: take(s.P), floats: 0 };
  if (s.padded) work.image = take(g.C * s.Hp * s.Wp);
  if (kind === "conv2d") work.panel = take(g.groups * s.Kg * s.Ogp);
  if (kind === "conv2d_dw") work.panel = take(s.P * s.Ogp);
  if (kind === "conv2d_dx") work.cols = take(s.Kg * s.P);
  work.floats = top / 4;
  return work;
}

/** One digit of a mixed-radix index: its extent and what a unit of it adds to the offset. */
interface Digit {
  extent: number;
  scale: number;
}

/**
 * i32 table[e] = sum over digits of digit(e) scale, e in [0, count), the digits of e listed
 * slowest first (e = ((d0 extent1 + d1) extent2 + d2)...).
 */
function offsetTable(fb: FuncBuilder, table: Code, digits: Digit[]): Code {
  const count = digits.reduce((n, d) => n * d.extent, 1);
  const e = fb.local("e", "i32");
  const terms: Code[] = [];
  let below = 1;
  for (const d of [...digits].reverse()) {
    const quotient = below === 1 ? get(e) : i32.div_u(get(e), i32.const(below));
    const digit = below * d.extent === count ? quotient : i32.rem_u(quotient, i32.const(d.extent));
    if (d.extent > 1) terms.push(i32.mul(digit, i32.const(d.scale)));
    below *= d.extent;
  }
  const [first, ...rest] = terms;
  const value = rest.reduce((a, b) => i32.add(a, b), first ?? i32.const(0));
  return fb.forUp(e, i32.const(0), i32.const(count), 1, [
    i32.store(i32.add(table, i32.shl(get(e), i32.const(2))), value),
  ]);
}

/** The tap and pixel tables (once per call: they depend on the geometry only). */
export function offsetTables(fb: FuncBuilder, g: ConvShape, work: Local, w: ConvWork): Code {
  const s = convSizes(g);
  const at = (offset: number) => i32.add(get(work), i32.const(offset));
  return [
    comment(
      "the tables: taps[c, p, q] = ((c Hp + p d) Wp + q d') 4, pix[i, j] = (i s Wp + j s') 4",
    ),
    offsetTable(fb, at(w.taps), [
      { extent: s.Cg, scale: s.Hp * s.Wp * 4 },
      { extent: g.kh, scale: g.dilation[0] * s.Wp * 4 },
      { extent: g.kw, scale: g.dilation[1] * 4 },
    ]),
    offsetTable(fb, at(w.pix), [
      { extent: g.OH, scale: g.stride[0] * s.Wp * 4 },
      { extent: g.OW, scale: g.stride[1] * 4 },
    ]),
  ];
}

/** `floats` zeros from `ptr` on. */
export function zeroFloats(fb: FuncBuilder, ptr: Local, floats: number): Code {
  return flatLoop(fb, floats, (at, lanes) =>
    lanes === 4
      ? v.store(i32.add(get(ptr), at), fb.f32x4(0))
      : f32.store(i32.add(get(ptr), at), f32.const(0)),
  );
}

/** Where a block of planes of rows sits: its first element and the steps between rows and planes. */
export interface Planes {
  at: Code;
  row: number;
  plane: number;
}

/**
 * Copies `planes` x `rows` rows of `width` floats from one layout to another (the image into its
 * padded copy, or back): the rows 4 floats at a time, then a tail.
 */
export function copyPlanes(
  fb: FuncBuilder,
  from: Planes,
  to: Planes,
  size: { planes: number; rows: number; width: number },
): Code {
  const [src, dst, row] = [fb.local("src", "i32"), fb.local("dst", "i32"), fb.local("row", "i32")];
  const plane = fb.local("plane", "i32");
  const copy = flatLoop(fb, size.width, (at, lanes) =>
    lanes === 4
      ? v.store(i32.add(get(dst), at), v.load(i32.add(get(src), at)))
      : f32.store(i32.add(get(dst), at), f32.load(i32.add(get(src), at))),
  );
  const step = (l: Local, by: number) => set(l, i32.add(get(l), i32.const(by)));
  return [
    set(src, from.at),
    set(dst, to.at),
    fb.forUp(plane, i32.const(0), i32.const(size.planes), 1, [
      fb.forUp(row, i32.const(0), i32.const(size.rows), 1, [
        copy,
        step(src, from.row),
        step(dst, to.row),
      ]),
      step(src, from.plane - size.rows * from.row),
      step(dst, to.plane - size.rows * to.row),
    ]),
  ];
}

/**
 * The 4 x 4 transpose of 4 vectors (given as local reads): the shuffles into `half` locals, and
 * the 4 columns as code reading them (column l holds lane l of each row).
 */
export function transpose4(fb: FuncBuilder, rows: Code[]): { code: Code; cols: Code[] } {
  const [r0, r1, r2, r3] = rows as [Code, Code, Code, Code];
  const half = [0, 1, 2, 3].map((k) => fb.local(`half${k}`, "v128"));
  const [h0, h1, h2, h3] = half.map(get) as [Code, Code, Code, Code];
  return {
    code: [
      set(half[0]!, v.shuffle(r0, r1, [0, 4, 1, 5])),
      set(half[1]!, v.shuffle(r0, r1, [2, 6, 3, 7])),
      set(half[2]!, v.shuffle(r2, r3, [0, 4, 1, 5])),
      set(half[3]!, v.shuffle(r2, r3, [2, 6, 3, 7])),
    ],
    cols: [
      v.shuffle(h0, h2, [0, 1, 4, 5]),
      v.shuffle(h0, h2, [2, 3, 6, 7]),
      v.shuffle(h1, h3, [0, 1, 4, 5]),
      v.shuffle(h1, h3, [2, 3, 6, 7]),
    ],
  };
}

/**
 * dst[c, r] = src[r, c] for a [rows, cols] matrix, dst's rows `stride` floats apart (a panel of
 * whole vectors: the columns past `rows` are left as they are). Blocks of 4 x 4 go through
 * vectors; the last columns of each 4 rows, and the last rows, one float at a time.
 */
export function transposeInto(
  fb: FuncBuilder,
  src: Code,
  dst: Code,
  size: { rows: number; cols: number; stride: number },
): Code {
  const { rows, cols, stride } = size;
  const [from, to, at, r, c] = ["from", "to", "to_base", "r", "c"].map((n) => fb.local(n, "i32"));
  const step = (l: Local, by: number) => set(l, i32.add(get(l), i32.const(by)));
  const block = [0, 1, 2, 3].map((k) => fb.local(`block${k}`, "v128"));
  const t = transpose4(fb, block.map(get));
  const four = [
    block.map((l, k) => set(l, v.load(get(from!), k * cols * 4))),
    t.code,
    t.cols.map((col, l) => v.store(get(to!), col, l * stride * 4)),
    step(from!, 16),
    step(to!, 16 * stride),
  ];
  const one = (n: number) => [
    Array.from({ length: n }, (_, k) =>
      f32.store(get(to!), f32.load(get(from!), k * cols * 4), 4 * k),
    ),
    step(from!, 4),
    step(to!, 4 * stride),
  ];
  // rows r.. r + n - 1 (n = 4 or 1), from column 0 on: by 4 x 4 blocks, then one column at a time
  const rowsFrom = (n: number) => [
    set(to!, i32.add(get(at!), i32.shl(get(r!), i32.const(2)))),
    n === 4 ? fb.forUp(c!, i32.const(0), i32.const(cols - 3), 4, four) : [],
    fb.forUp(c!, n === 4 ? null : i32.const(0), i32.const(cols), 1, one(n)),
    step(from!, (n - 1) * cols * 4),
  ];
  return [
    set(from!, src),
    set(at!, dst),
    fb.forUp(r!, i32.const(0), i32.const(rows - 3), 4, rowsFrom(4)),
    fb.forUp(r!, null, i32.const(rows), 1, rowsFrom(1)),
  ];
}
