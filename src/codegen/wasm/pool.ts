// Max and average pooling (NCHW) and their gradients, plane by plane and output row by output
// row, with the JS target's semantics: a window holds the image cells it covers (padding is not
// counted in an average), NaN is the maximum, and the window's first maximum in row-major order
// gets the gradient.
//
// In each output row, the columns whose windows lie inside the image horizontally go 4 outputs
// at a time (pool-vector.ts); the columns at the borders and the last ones go one at a time with
// their windows clipped. The average pool's gradient goes one output at a time.
import type { PoolGeometry } from "../../ops/pool.ts";
import { comment, f32, get, i32, ifThen, set, type Code, type Local } from "./code.ts";
import type { FuncBuilder } from "./func.ts";
import { kernelBuilder, type KernelParam } from "./kernel.ts";
import type { Func } from "./module.ts";
import { zeroFloats } from "./conv-work.ts";
import { windowsAt } from "./pool-vector.ts";

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

/** A pool kernel being generated: its planes, output rows and columns. */
export class PoolGen {
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
  /**
   * The max pool's gradient where the windows tile the image exactly (stride = window, no
   * padding, sizes multiples of the window): every cell of dx is written once, dy or 0, with no
   * zeros first and no sums.
   */
  readonly exact: boolean;
  /** no padding above or below: a window's rows are its first row and the kh - 1 after it */
  readonly staticRows: boolean;

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
    const g = this.g;
    this.xOff = spec.kind === "pool_dx" && spec.op === "max" ? l("x_off") : null;
    this.staticRows = g.pad[0] === 0 && g.pad[2] === 0;
    this.exact =
      this.xOff !== null &&
      g.pad.every((p) => p === 0) &&
      g.stride[0] === g.kh &&
      g.stride[1] === g.kw &&
      g.H === g.OH * g.kh &&
      g.W === g.OW * g.kw;
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
      dx && !this.exact
        ? [comment("dx = 0: the gradients are added into it"), this.zeroPlanes(planes)]
        : [],
      comment(`plane by plane, output row by output row: ${this.what()}`),
      fb.forUp(plane, i32.const(0), get(planes), 1, [
        fb.forUp(this.i, i32.const(0), i32.const(g.OH), 1, this.row()),
        set(this.win, i32.add(get(this.win), i32.const(g.H * g.W * 4))),
        set(this.yp, i32.add(get(this.yp), i32.const(g.OH * g.OW * 4))),
      ]),
    ];
  }

  /** What each output computes, for the comment above the loops. */
  what(): string {
    const { spec } = this;
    if (spec.kind === "pool") return `the ${spec.op === "max" ? "maximum" : "mean"} of each window`;
    if (spec.op === "avg") return "dy / count added to each cell of the window";
    return this.exact
      ? "each window's cells written: dy at its first maximum, 0 elsewhere"
      : "dy added at each window's first maximum";
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

  /**
   * One output row: its window's rows, then its columns in order: where the windows lie inside
   * the image horizontally 4 at a time and the rest of them one lane at a time with the same
   * code, elsewhere one at a time with each window clipped.
   */
  row(): Code {
    const { fb, g } = this;
    const [lo, hi] = this.insideColumns();
    const vector = this.spec.kind === "pool" || this.spec.op === "max";
    const end = lo + Math.floor((hi - lo) / 4) * 4;
    const at = i32.mul(get(this.i), i32.const(g.stride[0]));
    const columns = (from: number, to: number, lanes: 4 | 1) =>
      from < to
        ? fb.forUp(this.j, i32.const(from), i32.const(to), lanes, windowsAt(this, lanes))
        : [];
    return [
      clip(this.r0, this.r1, at, g.pad[0], g.kh, g.H),
      vector
        ? [this.oneByOne(0, lo), columns(lo, end, 4), columns(end, hi, 1), this.oneByOne(hi, g.OW)]
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
    const dy = f32.load(this.outAt());
    return [
      set(acc, f32.const(-Infinity)),
      set(at, i32.const(-1)),
      each([
        set(val, f32.load(i32.add(get(cell), get(this.xOff!)))),
        ifThen(take, [set(acc, get(val)), set(at, get(cell))]),
      ]),
      this.exact
        ? each(
            ifThen(
              i32.eq(get(cell), get(at)),
              f32.store(get(cell), dy),
              f32.store(get(cell), f32.const(0)),
            ),
          )
        : add(get(at), dy),
    ];
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
