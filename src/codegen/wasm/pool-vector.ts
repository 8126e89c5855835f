// Pooling 4 outputs at a time (columns j..j+3 of an output row, one per lane), where their
// windows lie inside the image horizontally. A tap's 4 cells are one load at stride 1, two loads
// and a shuffle at stride 2, four lane loads otherwise. Without padding above and below, a
// window's rows are straight-line code at static offsets from its first row; else a loop.
//
// The max pool's gradient keeps each lane's first maximum (or first NaN): where the windows tile
// the image exactly, as the tap it is, and every cell of the windows is then written dy or 0;
// else as the address of its cell, and dy is added there lane by lane in the JS target's order
// (overlapping windows may send two lanes to one cell).
import { f32, get, i32, i32x4, set, v, type Code, type Local } from "./code.ts";
import type { PoolGen } from "./pool.ts";

/** The row of a tap in the image the windows cover (x, or dx) and in x; a static offset. */
interface Row {
  at: Code;
  x: Code;
  offset: number;
}

/** A tap (r, s) of the 4 windows (r is -1 where the rows are a loop). */
type Tap = (row: Row, r: number, s: number) => Code;

/** The windows of columns j..j+3 (`lanes` 4), or of column j in lane 0 (1). */
export function windowsAt(p: PoolGen, lanes: 4 | 1): Code {
  const { fb, g, spec } = p;
  const acc = fb.local("acc4", "v128");
  if (spec.kind === "pool_dx")
    return p.exact ? maxGradExact(p, acc, lanes) : maxGradScatter(p, acc, lanes);
  const rowsCount = p.staticRows
    ? f32.const(g.kh)
    : f32.convert_i32_s(i32.sub(get(p.r1), get(p.r0)));
  const mean = v.div(get(acc), v.splat(f32.mul(rowsCount, f32.const(g.kw))));
  const fold = spec.op === "max" ? v.max : v.add;
  return [
    set(acc, fb.f32x4(spec.op === "max" ? -Infinity : 0)),
    windows(p, (row, _, s) => set(acc, fold(get(acc), taps(p, row.x, row.offset, s, lanes)))),
    store(p.outAt(), spec.op === "max" ? get(acc) : mean, lanes),
  ];
}

/** `tap(...)` for every tap of the 4 windows, rows outermost. */
function windows(p: PoolGen, tap: Tap): Code {
  const { fb, g } = p;
  const [rowAt, xRow] = [fb.local("row_at", "i32"), fb.local("x_row", "i32")];
  const first = i32.mul(
    i32.sub(i32.mul(get(p.j), i32.const(g.stride[1])), i32.const(g.pad[1])),
    i32.const(4),
  );
  const start = (r: Code) => [
    set(rowAt, i32.add(i32.add(get(p.win), first), i32.mul(r, i32.const(g.W * 4)))),
    p.xOff ? set(xRow, i32.add(get(rowAt), get(p.xOff))) : [],
  ];
  const row = (r: number, offset: number) => {
    const at = { at: get(rowAt), x: get(p.xOff ? xRow : rowAt), offset };
    return Array.from({ length: g.kw }, (_, s) => tap(at, r, s));
  };
  if (p.staticRows)
    return [start(get(p.r0)), Array.from({ length: g.kh }, (_, r) => row(r, r * g.W * 4))];
  const r = fb.local("r", "i32");
  return fb.forUp(r, get(p.r0), get(p.r1), 1, [start(get(r)), row(-1, 0)]);
}

/** 4 lanes (or lane 0) of a vector stored at `addr` */
function store(addr: Code, value: Code, lanes: 4 | 1, offset = 0): Code {
  return lanes === 4 ? v.store(addr, value, offset) : f32.store(addr, v.lane(value, 0), offset);
}

/** The 4 cells of tap s of 4 adjacent windows (or 1), `offset` bytes from `row`. */
function taps(p: PoolGen, row: Code, offset: number, s: number, lanes: 4 | 1): Code {
  const sw = p.g.stride[1];
  const at = (k: number) => offset + 4 * (s + k);
  if (lanes === 1) return v.loadSplat(row, at(0));
  if (sw === 1) return v.load(row, at(0));
  if (sw === 2) return v.shuffle(v.load(row, at(0)), v.load(row, at(3)), [0, 2, 5, 7]);
  let cells: Code = v.loadZero(row, at(0));
  for (let l = 1; l < 4; l++) cells = v.loadLane(row, cells, l, at(l * sw));
  return cells;
}

/**
 * Each lane's first maximum, or first NaN (the JS target's `at < 0 || v > m || (v !== v &&
 * m === m)`), as `which(row, r, s)` of the tap holding it: the maximum in `m`, the taps in `at`.
 */
function firstMax(p: PoolGen, m: Local, at: Local, which: Tap, lanes: 4 | 1): Code {
  const { fb } = p;
  const [val, take] = [fb.local("val4", "v128"), fb.local("take", "v128")];
  const first = v.or(i32x4.lt_s(get(at), fb.i32x4(0)), v.gt(get(val), get(m)));
  const nan = v.and(v.ne(get(val), get(val)), v.eq(get(m), get(m)));
  return [
    set(m, fb.f32x4(-Infinity)),
    set(at, fb.i32x4(-1)),
    windows(p, (row, r, s) => [
      set(val, taps(p, row.x, row.offset, s, lanes)),
      set(take, v.or(first, nan)),
      set(m, v.select(get(val), get(m), get(take))),
      set(at, v.select(which(row, r, s), get(at), get(take))),
    ]),
  ];
}

/** Overlapping or padded windows: each lane's maximum as its cell's address, dy added there. */
function maxGradScatter(p: PoolGen, m: Local, lanes: 4 | 1): Code {
  const { fb } = p;
  const sw = p.g.stride[1];
  const [at, dy] = [fb.local("at4", "v128"), fb.local("dy4", "v128")];
  const step = fb.i32x4Lanes([0, 4 * sw, 8 * sw, 12 * sw], "lane_step");
  return [
    firstMax(
      p,
      m,
      at,
      (row, _, s) => i32x4.add(i32x4.splat(i32.add(row.at, i32.const(row.offset + 4 * s))), step),
      lanes,
    ),
    set(dy, lanes === 4 ? v.load(p.outAt()) : v.loadSplat(p.outAt())),
    [0, 1, 2, 3].slice(0, lanes).map((l) => {
      const addr = i32x4.lane(get(at), l);
      return f32.store(addr, f32.add(f32.load(addr), v.lane(get(dy), l)));
    }),
  ];
}

/**
 * Windows that tile the image: each lane's maximum as its tap r kw + s; then every tap's cells
 * written at once, dy where it is the maximum, else 0. Taps 2 apart (2 x 2 windows) are
 * interleaved into two whole vectors; wider ones are written lane by lane.
 */
function maxGradExact(p: PoolGen, m: Local, lanes: 4 | 1): Code {
  const { fb, g } = p;
  const [at, dy, even] = ["at4", "dy4", "even"].map((n) => fb.local(n, "v128")) as Local[];
  const value = (r: number, s: number) =>
    v.and(get(dy!), i32x4.eq(get(at!), fb.i32x4(r * g.kw + s)));
  const write: Tap = (row, r, s) => {
    if (lanes === 1) return store(row.at, value(r, s), 1, row.offset + 4 * s);
    if (g.kw === 1) return v.store(row.at, value(r, s), row.offset);
    if (g.kw === 2 && s === 0) return set(even!, value(r, s));
    const cells = fb.local("cells", "v128");
    if (g.kw === 2)
      return [
        set(cells, value(r, s)),
        v.store(row.at, v.shuffle(get(even!), get(cells), [0, 4, 1, 5]), row.offset),
        v.store(row.at, v.shuffle(get(even!), get(cells), [2, 6, 3, 7]), row.offset + 16),
      ];
    return [
      set(cells, value(r, s)),
      [0, 1, 2, 3].map((l) => v.storeLane(row.at, get(cells), l, row.offset + 4 * (l * g.kw + s))),
    ];
  };
  return [
    firstMax(p, m, at!, (_, r, s) => fb.i32x4(r * g.kw + s), lanes),
    set(dy!, lanes === 4 ? v.load(p.outAt()) : v.loadSplat(p.outAt())),
    windows(p, write),
  ];
}
