// Max and average pooling (NCHW) and their gradients, plane by plane and output row by output
// row, with the JS target's semantics: a window holds the image cells it covers (padding is not
// counted in an average), NaN is the maximum, and the window's first maximum in row-major order
// gets the gradient.
//
// In each output row, the columns whose windows lie inside the image horizontally go 4 outputs
// at a time (one per lane; a tap's 4 cells are one load at stride 1, two loads and a shuffle at
// stride 2, four lane loads otherwise); the columns at the borders and the last ones go one at a
// time with their windows clipped. The max pool's gradient finds each lane's maximum as a byte
// offset and adds dy there lane by lane, in the JS target's order (overlapping windows may send
// two lanes to one cell). The average pool's gradient goes one output at a time.
import type { PoolGeometry } from "../../ops/pool.ts";
import { f32, get, i32, i32x4, ifThen, set, v, type Code, type Local } from "./code.ts";
import type { FuncBuilder } from "./func.ts";
import { kernelBuilder, type KernelParam } from "./kernel.ts";
import type { Func } from "./module.ts";
import { zeroFloats } from "./conv-work.ts";

export type PoolShape = PoolGeometry & { N: number | "param" };

export interface PoolSpec {
  name: string;
  kind: "pool" | "pool_dx";
  op: "max" | "avg";
  geo: PoolShape;
  comments?: readonly string[];
}

/** pool: x, out; max's gradient: dy, x, dx; avg's: dy, dx; then the batch if read at run time. */
export function poolParams(spec: PoolSpec): KernelParam[] {
  const names =
    spec.kind === "pool" ? ["x", "out"] : spec.op === "max" ? ["dy", "x", "dx"] : ["dy", "dx"];
  const params: KernelParam[] = names.map((name) => ({ name, type: "ptr" }));
  if (spec.geo.N === "param") params.push({ name: "N", type: "size" });
  return params;
}

export function poolKernel(spec: PoolSpec): Func {
  const fb = kernelBuilder(spec.name, poolParams(spec));
  fb.emit(new PoolGen(fb, spec).body());
  return fb.finish({ comments: spec.comments ?? [] });
}

class PoolGen {
  readonly g: PoolShape;
  /** the current plane of the image the windows cover (x, or dx) and of the output (out, or dy) */
  readonly win: Local;
  readonly yp: Local;
  /** the output row, its window's rows r0 <= r < r1 and the output column */
  readonly i: Local;
  readonly r0: Local;
  readonly r1: Local;
  readonly j: Local;
  /** the max pool's gradient: x - dx, so that a cell of dx plus it is the same cell of x */
  readonly xOff: Local | null;

  constructor(
    readonly fb: FuncBuilder,
    readonly spec: PoolSpec,
  ) {
    this.g = spec.geo;
    if (this.g.dilation.some((d) => d !== 1)) throw new Error("internal: a dilated pool");
    const l = (name: string) => fb.local(name, "i32");
    [this.win, this.yp, this.i, this.r0, this.r1, this.j] = ["win", "yp", "i", "r0", "r1", "j"].map(
      l,
    ) as [Local, Local, Local, Local, Local, Local];
    this.xOff = spec.kind === "pool_dx" && spec.op === "max" ? l("x_off") : null;
  }

  body(): Code {
    const { fb, g, spec } = this;
    const N = g.N === "param" ? i32.mul(get(fb.param("N")), i32.const(g.C)) : i32.const(g.N * g.C);
    const [plane, planes] = [fb.local("plane", "i32"), fb.local("planes", "i32")];
    const dx = spec.kind === "pool_dx" ? fb.param("dx") : null;
    return [
      set(planes, N),
      set(this.win, get(dx ?? fb.param("x"))),
      set(this.yp, get(fb.param(dx ? "dy" : "out"))),
      this.xOff ? set(this.xOff, i32.sub(get(fb.param("x")), get(dx!))) : [],
      dx ? this.zeroPlanes(planes) : [],
      fb.forUp(plane, i32.const(0), get(planes), 1, [
        fb.forUp(this.i, i32.const(0), i32.const(g.OH), 1, this.row()),
        set(this.win, i32.add(get(this.win), i32.const(g.H * g.W * 4))),
        set(this.yp, i32.add(get(this.yp), i32.const(g.OH * g.OW * 4))),
      ]),
    ];
  }

  /** dx = 0 over every plane (the gradients are added into it) */
  zeroPlanes(planes: Local): Code {
    const [p, at] = [this.fb.local("p", "i32"), this.fb.local("zero_at", "i32")];
    const bytes = this.g.H * this.g.W * 4;
    return [
      set(at, get(this.win)),
      this.fb.forUp(p, i32.const(0), get(planes), 1, [
        zeroFloats(this.fb, at, this.g.H * this.g.W),
        set(at, i32.add(get(at), i32.const(bytes))),
      ]),
    ];
  }

  /** One output row: its window's rows, then its columns in order (by 4 where inside). */
  row(): Code {
    const { g } = this;
    const [lo, hi] = this.insideColumns();
    const vector = this.spec.kind === "pool" || this.spec.op === "max";
    const end = vector ? lo + Math.floor((hi - lo) / 4) * 4 : lo;
    const at = i32.mul(get(this.i), i32.const(g.stride[0]));
    return [
      clip(this.r0, this.r1, at, g.pad[0], g.kh, g.H),
      end > lo
        ? [
            this.oneByOne(0, lo),
            this.fb.forUp(this.j, i32.const(lo), i32.const(end), 4, this.fourAtOnce()),
            this.oneByOne(end, g.OW),
          ]
        : this.oneByOne(0, g.OW),
    ];
  }

  /** The columns j whose windows lie inside the image horizontally: lo <= j < hi. */
  insideColumns(): [number, number] {
    const { g } = this;
    const lo = Math.min(Math.ceil(g.pad[1] / g.stride[1]), g.OW);
    const hi = Math.min(Math.floor((g.W - g.kw + g.pad[1]) / g.stride[1]) + 1, g.OW);
    return [lo, Math.max(lo, hi)];
  }

  /** the output element (i, j) of the plane, in bytes */
  outAt(): Code {
    const cell = i32.add(i32.mul(get(this.i), i32.const(this.g.OW)), get(this.j));
    return i32.add(get(this.yp), i32.shl(cell, i32.const(2)));
  }

  /** Columns from..to one at a time: each window clipped to the image. */
  oneByOne(from: number, to: number): Code {
    if (from >= to) return [];
    const { fb, g } = this;
    const [s0, s1, r, s, cell] = ["s0", "s1", "r", "s", "cell"].map((n) => fb.local(n, "i32"));
    const each = (body: Code): Code =>
      fb.forUp(r!, get(this.r0), get(this.r1), 1, [
        fb.forUp(s!, get(s0!), get(s1!), 1, [
          set(
            cell!,
            i32.add(
              get(this.win),
              i32.shl(i32.add(i32.mul(get(r!), i32.const(g.W)), get(s!)), i32.const(2)),
            ),
          ),
          body,
        ]),
      ]);
    const count = f32.convert_i32_s(
      i32.mul(i32.sub(get(this.r1), get(this.r0)), i32.sub(get(s1!), get(s0!))),
    );
    return fb.forUp(this.j, i32.const(from), i32.const(to), 1, [
      clip(s0!, s1!, i32.mul(get(this.j), i32.const(g.stride[1])), g.pad[1], g.kw, g.W),
      this.one(each, cell!, count),
    ]);
  }

  /** One output: `each(body)` runs body at every cell of its window (its address in `cell`). */
  one(each: (body: Code) => Code, cell: Local, count: Code): Code {
    const { fb, spec } = this;
    const [acc, val] = [fb.local("acc", "f32"), fb.local("val", "f32")];
    const add = (at: Code, x: Code) => f32.store(at, f32.add(f32.load(at), x));
    if (spec.kind === "pool")
      return [
        set(acc, f32.const(spec.op === "max" ? -Infinity : 0)),
        each(set(acc, (spec.op === "max" ? f32.max : f32.add)(get(acc), f32.load(get(cell))))),
        f32.store(this.outAt(), spec.op === "max" ? get(acc) : f32.div(get(acc), count)),
      ];
    if (spec.op === "avg")
      return [set(acc, f32.div(f32.load(this.outAt()), count)), each(add(get(cell), get(acc)))];
    // the first maximum, or the first NaN: the JS target's `at < 0 || v > m || (v !== v && m === m)`
    const at = fb.local("at", "i32");
    const take = i32.or(
      i32.or(i32.lt_s(get(at), i32.const(0)), f32.gt(get(val), get(acc))),
      i32.and(f32.ne(get(val), get(val)), f32.eq(get(acc), get(acc))),
    );
    return [
      set(acc, f32.const(-Infinity)),
      set(at, i32.const(-1)),
      each([
        set(val, f32.load(i32.add(get(cell), get(this.xOff!)))),
        ifThen(take, [set(acc, get(val)), set(at, get(cell))]),
      ]),
      add(get(at), f32.load(this.outAt())),
    ];
  }

  /** Columns j..j+3 at once, their windows inside the image horizontally. */
  fourAtOnce(): Code {
    const { fb, g, spec } = this;
    const [r, rowAt] = [fb.local("r", "i32"), fb.local("row_at", "i32")];
    const base = i32.mul(
      i32.sub(i32.mul(get(this.j), i32.const(g.stride[1])), i32.const(g.pad[1])),
      i32.const(4),
    );
    const rows = (body: (s: number) => Code): Code =>
      fb.forUp(r, get(this.r0), get(this.r1), 1, [
        set(rowAt, i32.add(i32.add(get(this.win), base), i32.mul(get(r), i32.const(g.W * 4)))),
        Array.from({ length: g.kw }, (_, s) => body(s)),
      ]);
    const acc = fb.local("acc4", "v128");
    if (spec.kind === "pool") {
      const rowsCount = f32.convert_i32_s(i32.sub(get(this.r1), get(this.r0)));
      const mean = v.div(get(acc), v.splat(f32.mul(rowsCount, f32.const(g.kw))));
      return [
        set(acc, fb.f32x4(spec.op === "max" ? -Infinity : 0)),
        rows((s) =>
          set(acc, (spec.op === "max" ? v.max : v.add)(get(acc), this.taps(get(rowAt), s))),
        ),
        v.store(this.outAt(), spec.op === "max" ? get(acc) : mean),
      ];
    }
    return this.maxGradFour(rows, rowAt, acc);
  }

  /**
   * The max pool's gradient at 4 outputs: each lane's first maximum (or first NaN) kept as the
   * address of its cell in dx, then dy added there lane by lane.
   */
  maxGradFour(rows: (body: (s: number) => Code) => Code, rowAt: Local, m: Local): Code {
    const { fb } = this;
    const sw = this.g.stride[1];
    const [at, val, take] = ["at4", "val4", "take"].map((n) => fb.local(n, "v128")) as Local[];
    const xRow = fb.local("x_row", "i32");
    const lanes = fb.i32x4Lanes([0, 4 * sw, 8 * sw, 12 * sw], "lane_step");
    const cell = (s: number) =>
      i32x4.add(i32x4.splat(i32.add(get(rowAt), i32.const(4 * s))), lanes);
    const first = v.or(i32x4.lt_s(get(at!), fb.i32x4(0)), v.gt(get(val!), get(m)));
    const nan = v.and(v.ne(get(val!), get(val!)), v.eq(get(m), get(m)));
    const dy = fb.local("dy4", "v128");
    return [
      set(m, fb.f32x4(-Infinity)),
      set(at!, fb.i32x4(-1)),
      rows((s) => [
        s === 0 ? set(xRow, i32.add(get(rowAt), get(this.xOff!))) : [],
        set(val!, this.taps(get(xRow), s)),
        set(take!, v.or(first, nan)),
        set(m, v.select(get(val!), get(m), get(take!))),
        set(at!, v.select(cell(s), get(at!), get(take!))),
      ]),
      set(dy, v.load(this.outAt())),
      [0, 1, 2, 3].map((l) => {
        const addr = i32x4.lane(get(at!), l);
        return f32.store(addr, f32.add(f32.load(addr), v.lane(get(dy), l)));
      }),
    ];
  }

  /** The 4 cells of tap s of 4 adjacent windows: at stride 1 one load, at 2 two, else four. */
  taps(row: Code, s: number): Code {
    const sw = this.g.stride[1];
    const at = (k: number) => 4 * (s + k);
    if (sw === 1) return v.load(row, at(0));
    if (sw === 2) return v.shuffle(v.load(row, at(0)), v.load(row, at(3)), [0, 2, 5, 7]);
    let lanes: Code = v.loadZero(row, at(0));
    for (let l = 1; l < 4; l++) lanes = v.loadLane(row, lanes, l, at(l * sw));
    return lanes;
  }
}
/** lo = max(0, at - pad), hi = min(n, at - pad + k): a window's cells inside the image */
function clip(lo: Local, hi: Local, at: Code, pad: number, k: number, n: number): Code {
  return [
    set(lo, i32.sub(at, i32.const(pad))),
    set(hi, i32.add(get(lo), i32.const(k))),
    ifThen(i32.lt_s(get(lo), i32.const(0)), set(lo, i32.const(0))),
    ifThen(i32.gt_s(get(hi), i32.const(n)), set(hi, i32.const(n))),
  ];
}
