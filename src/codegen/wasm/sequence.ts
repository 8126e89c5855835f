// The sequence models' kernels on the wasm target, as the JS ones (js/sequence.ts) compute them:
// reading a table's rows at integer indices and adding back into them, a line's class and its
// one-hot gradient, the cross-entropy of integer classes from the logits, layernorm's input
// gradient, and the causal mask. Integer tensors (indices, classes) live in the one f32 memory as
// the floats they were fed as (exact below 2^24, far above any table's size), read back with
// i32.trunc_f32_s. Rows go 4 lanes at a time, then a tail of single numbers.
import { f32, get, i32, i32x4, op, set, v, type Code, type Local } from "./code.ts";
import type { FuncBuilder } from "./func.ts";
import { flatLoop, kernelBuilder, type KernelParam } from "./kernel.ts";
import type { Func } from "./module.ts";
import * as M from "./simd-math.ts";
import { mulSize, sizeCode, type Size } from "./sizes.ts";

/** A read or write of a table at the integer indices `idx`: one index a line, `count` lines. */
export interface TableKernelSpec {
  kind: "gather" | "scatter_add" | "pick" | "unpick" | "softmax_xent_int";
  name: string;
  params: readonly KernelParam[];
  /** the pointer params: the table (the gradient, the probabilities, the logits), the indices, the output */
  a: number;
  idx: number;
  out: number;
  count: Size;
  /** numbers per line of `a`: the table's row width, or the classes */
  width: number;
  /** the table's rows (scatter_add's output) */
  rows?: number;
}

export function tableKernel(spec: TableKernelSpec): Func {
  const fb = kernelBuilder(spec.name, spec.params);
  const [a, idx, out] = [spec.a, spec.idx, spec.out].map((p) => fb.params[p]!) as Local[];
  const i = fb.local("i", "i32");
  const n = fb.local("n", "i32");
  const [from, to] = [fb.local("from", "i32"), fb.local("to", "i32")];
  fb.emit(set(n, sizeCode(fb, spec.count)));
  const cell = (base: Local, k: Code) => i32.add(get(base!), i32.shl(k, i32.const(2)));
  /** line i's index */
  const index = () => op("i32.trunc_f32_s", f32.load(cell(idx!, get(i))));
  /** the byte offset of row r of a table of `width` numbers a row */
  const row = (base: Local, r: Code) => i32.add(get(base), i32.mul(r, i32.const(spec.width * 4)));
  const lines = (...body: Code[]) => fb.forUp(i, i32.const(0), get(n), 1, body);
  switch (spec.kind) {
    case "gather":
      // out[i] = w[idx[i]]
      fb.emit(
        lines(
          set(from, row(a!, index())),
          set(to, row(out!, get(i))),
          rowOp(to, from, spec.width, "copy"),
        ),
      );
      break;
    case "scatter_add":
      // dw = 0, then dw[idx[i]] += dy[i]: repeated indices add up
      fb.emit(
        zero(fb, out!, (spec.rows ?? 0) * spec.width),
        lines(
          set(to, row(out!, index())),
          set(from, row(a!, get(i))),
          rowOp(to, from, spec.width, "add"),
        ),
      );
      break;
    case "pick":
      // out[i] = p[i, y[i]]
      fb.emit(
        lines(
          f32.store(
            cell(out!, get(i)),
            f32.load(i32.add(row(a!, get(i)), i32.shl(index(), i32.const(2)))),
          ),
        ),
      );
      break;
    case "unpick":
      // dp = 0, then dp[i, y[i]] = dy[i]
      fb.emit(
        zero(fb, out!, mulSize(spec.count, spec.width)),
        lines(
          f32.store(
            i32.add(row(out!, get(i)), i32.shl(index(), i32.const(2))),
            f32.load(cell(a!, get(i))),
          ),
        ),
      );
      break;
    case "softmax_xent_int":
      // out[i] = lse(z[i]) - z[i, y[i]]
      fb.emit(
        lines(
          set(from, row(a!, get(i))),
          f32.store(cell(out!, get(i)), xentLine(fb, from, spec.width, index())),
        ),
      );
      break;
  }
  return fb.finish();
}

/** to[0..width) = from[0..width) (or +=), width a literal: unrolled vectors, then single numbers. */
function rowOp(to: Local, from: Local, width: number, how: "copy" | "add"): Code {
  const code: Code[] = [];
  const vectors = Math.floor(width / 4) * 16;
  for (let b = 0; b < vectors; b += 16) {
    const x = v.load(get(from), b);
    code.push(v.store(get(to), how === "copy" ? x : v.add(v.load(get(to), b), x), b));
  }
  for (let b = vectors; b < width * 4; b += 4) {
    const x = f32.load(get(from), b);
    code.push(f32.store(get(to), how === "copy" ? x : f32.add(f32.load(get(to), b), x), b));
  }
  return code;
}

/** base[0..n) = 0 */
function zero(fb: FuncBuilder, base: Local, n: Size): Code {
  return flatLoop(fb, n, (off, lanes) =>
    lanes === 4
      ? v.store(i32.add(get(base), off), fb.f32x4(0))
      : f32.store(i32.add(get(base), off), f32.const(0)),
  );
}

/**
 * lse(z) - z[y] for the line of `width` logits at byte `from`, lse = max + ln sum e^(z - max):
 * the max and the sum 4 classes at a time, the tail one at a time in lane 0.
 */
function xentLine(fb: FuncBuilder, from: Local, width: number, y: Code): Code {
  const mx = fb.local("mx", "v128");
  const total = fb.local("total", "v128");
  const vectors = Array.from({ length: Math.floor(width / 4) }, (_, k) => k * 16);
  const tail = Array.from({ length: width % 4 }, (_, t) => vectors.length * 16 + t * 4);
  const lane0 = fb.i32x4Lanes([-1, 0, 0, 0], "lane0");
  return [
    set(mx, fb.f32x4(-Infinity)),
    vectors.map((b) => set(mx, v.max(get(mx), v.load(get(from), b)))),
    tail.map((b) => set(mx, v.max(get(mx), v.loadSplat(get(from), b)))),
    set(mx, lanes(fb, get(mx), "max")),
    set(total, fb.f32x4(0)),
    vectors.map((b) =>
      set(total, v.add(get(total), M.exp(fb, v.sub(v.load(get(from), b), get(mx))))),
    ),
    tail.map((b) =>
      set(
        total,
        v.add(get(total), v.and(M.exp(fb, v.sub(v.loadSplat(get(from), b), get(mx))), lane0)),
      ),
    ),
    f32.sub(
      v.lane(v.add(get(mx), M.log(fb, lanes(fb, get(total), "sum"))), 0),
      f32.load(i32.add(get(from), i32.shl(y, i32.const(2)))),
    ),
  ];
}

/** the sum (or max) of the 4 lanes, in every lane */
export function lanes(fb: FuncBuilder, x: Code, how: "sum" | "max"): Code {
  const t = fb.local("lanes", "v128");
  const f = how === "sum" ? v.add : v.max;
  return [
    set(t, f(x, v.shuffle(x, x, [2, 3, 0, 1]))),
    f(get(t), v.shuffle(get(t), get(t), [1, 0, 3, 2])),
  ];
}

/** Where layernorm_dx reads a row's statistic or a feature's gamma: its own, or one for all. */
export interface Strided {
  ptr: number;
  /** bytes from one row (or feature) to the next: 4, or 0 for one number read by all */
  step: 0 | 4;
}

/**
 * layernorm's input gradient per row of D numbers (D a literal):
 *   dx = invstd / D (D d - sum(d) - xhat sum(d xhat)),  d = dy gamma,  xhat = (x - mean) invstd,
 * both sums in one pass along the row, dx in a second, 4 features at a time.
 */
export function layernormDxKernel(spec: {
  name: string;
  params: readonly KernelParam[];
  rows: Size;
  D: number;
  dy: number;
  x: number;
  mean: Strided;
  invstd: Strided;
  gamma: Strided;
  dx: number;
}): Func {
  const fb = kernelBuilder(spec.name, spec.params);
  const p = (k: number) => fb.params[k]!;
  const [r, n, at, stat] = ["r", "rows", "at", "stat"].map((s) => fb.local(s, "i32")) as Local[];
  const [m, s, sumD, sumDX] = ["m", "s", "sum_d", "sum_dx"].map((s) =>
    fb.local(s, "v128"),
  ) as Local[];
  const D = spec.D;
  const lane0 = fb.i32x4Lanes([-1, 0, 0, 0], "lane0");
  // the element at byte offset b of the row: 4 lanes, or one number in every lane
  const read = (ptr: number, b: number, four: boolean) =>
    four
      ? v.load(i32.add(get(p(ptr)), get(at!)), b)
      : v.loadSplat(i32.add(get(p(ptr)), get(at!)), b);
  const gammaAt = (b: number, four: boolean) =>
    spec.gamma.step === 0
      ? v.loadSplat(get(p(spec.gamma.ptr)))
      : four
        ? v.load(get(p(spec.gamma.ptr)), b)
        : v.loadSplat(get(p(spec.gamma.ptr)), b);
  const statOf = (st: Strided) =>
    v.loadSplat(st.step === 0 ? get(p(st.ptr)) : i32.add(get(p(st.ptr)), get(stat!)));
  const offsets = Array.from({ length: D }, (_, j) => j * 4);
  const groups = offsets.filter((b) => b % 16 === 0 && b + 16 <= D * 4);
  const tail = offsets.slice(groups.length * 4);
  const d = (b: number, four: boolean) => v.mul(read(spec.dy, b, four), gammaAt(b, four));
  const xhat = (b: number, four: boolean) => v.mul(v.sub(read(spec.x, b, four), get(m!)), get(s!));
  const sums = (b: number, four: boolean) => {
    const keep = (x: Code) => (four ? x : v.and(x, lane0));
    const dl = fb.local("d", "v128");
    return [
      set(dl, d(b, four)),
      set(sumD!, v.add(get(sumD!), keep(get(dl)))),
      set(sumDX!, v.add(get(sumDX!), keep(v.mul(get(dl), xhat(b, four))))),
    ];
  };
  const scale = fb.local("scale", "v128");
  const write = (b: number, four: boolean) => {
    const value = v.mul(
      get(scale),
      v.sub(v.sub(v.mul(fb.f32x4(D), d(b, four)), get(sumD!)), v.mul(xhat(b, four), get(sumDX!))),
    );
    const where = i32.add(get(p(spec.dx)), get(at!));
    return four ? v.store(where, value, b) : f32.store(where, v.lane(value, 0), b);
  };
  fb.emit(
    set(n!, sizeCode(fb, spec.rows)),
    set(at!, i32.const(0)),
    set(stat!, i32.const(0)),
    fb.forUp(r!, i32.const(0), get(n!), 1, [
      set(m!, statOf(spec.mean)),
      set(s!, statOf(spec.invstd)),
      set(sumD!, fb.f32x4(0)),
      set(sumDX!, fb.f32x4(0)),
      groups.map((b) => sums(b, true)),
      tail.map((b) => sums(b, false)),
      set(sumD!, lanes(fb, get(sumD!), "sum")),
      set(sumDX!, lanes(fb, get(sumDX!), "sum")),
      set(scale, v.div(get(s!), fb.f32x4(D))),
      groups.map((b) => write(b, true)),
      tail.map((b) => write(b, false)),
      set(at!, i32.add(get(at!), i32.const(D * 4))),
      set(stat!, i32.add(get(stat!), i32.const(4))),
    ]),
  );
  return fb.finish();
}

/**
 * The causal mask over `batch` blocks of [T, U]: out = x where j <= i, else the fill (-inf, or 0
 * for the gradient), 4 columns at a time against their lane's column number.
 */
export function causalMaskKernel(spec: {
  name: string;
  params: readonly KernelParam[];
  batch: Size;
  T: number;
  U: number;
  x: number;
  out: number;
  fill: number;
}): Func {
  const fb = kernelBuilder(spec.name, spec.params);
  const [x, out] = [fb.params[spec.x]!, fb.params[spec.out]!];
  const [b, n, i, at] = ["b", "blocks", "i", "at"].map((s) => fb.local(s, "i32")) as Local[];
  const row = fb.local("row", "v128");
  const { T, U } = spec;
  const fill = fb.f32x4(spec.fill);
  const vectors = Math.floor(U / 4) * 16;
  const cell = (base: Local) => i32.add(get(base), get(at!));
  const code: Code[] = [];
  for (let off = 0; off < vectors; off += 16) {
    const j = off / 4;
    const later = i32x4.gt_s(fb.i32x4Lanes([j, j + 1, j + 2, j + 3], "cols"), get(row));
    code.push(v.store(cell(out), v.select(fill, v.load(cell(x), off), later), off));
  }
  for (let off = vectors; off < U * 4; off += 4) {
    const later = i32.gt_s(i32.const(off / 4), get(i!));
    code.push(
      f32.store(cell(out), op("select", f32.const(spec.fill), f32.load(cell(x), off), later), off),
    );
  }
  fb.emit(
    set(n!, sizeCode(fb, spec.batch)),
    set(at!, i32.const(0)),
    fb.forUp(b!, i32.const(0), get(n!), 1, [
      fb.forUp(i!, i32.const(0), i32.const(T), 1, [
        set(row, i32x4.splat(get(i!))),
        code,
        set(at!, i32.add(get(at!), i32.const(U * 4))),
      ]),
    ]),
  );
  return fb.finish();
}
