// Kernels over the lines of a tensor: each array is viewed as [outer, n, inner] and every line
// (o, :, i) goes through the same passes along its n elements: reductions (a sum or a max, whose
// results later passes read), per-line values computed from those, maps that write an element
// per element, and per-line results. softmax, log_softmax, softmax + cross-entropy, its gradient
// and the reductions are all such pass lists (lines-kernels.ts).
//
// Two vectorizations, chosen by the layout:
// - inner = 1 (the line is contiguous: a softmax over the last axis, a row sum): 4 elements of
//   one line at a time, then a tail of single elements; reductions end with a lane reduction
//   that leaves the result in every lane.
// - inner > 1 (lines interleaved: a column sum, the bias gradient): 4 lines at a time, one per
//   lane, each j one vector load; the inner % 4 last lines one at a time in lane 0.
import { f32, get, i32, set, v, type Code, type Local } from "./code.ts";
import type { FuncBuilder } from "./func.ts";
import { kernelBuilder, paramOf, type KernelParam } from "./kernel.ts";
import type { Func } from "./module.ts";
import { literal, mulSize, sizeCode, type Size } from "./sizes.ts";

/** The value of the element of the array at pointer param `ptr`, in the current lanes. */
export type Read = (ptr: number) => Code;

export type Pass =
  /** one loop along the line: vals[name] = sum (or max) of value(element), for each entry */
  | { kind: "reduce"; op: "sum" | "max"; into: readonly Accumulate[] }
  /** vals[name] = value(vals), once per line */
  | { kind: "let"; name: string; value: (vals: LineVals) => Code }
  /** vals[name] = the per-line input at `ptr` (shaped [outer, inner]; one number if `broadcast`) */
  | { kind: "input"; name: string; ptr: number; broadcast?: boolean }
  /** out[element] = value(element) along the line; the values also summed as vals[sumAs] */
  | { kind: "map"; out: number; value: (read: Read, vals: LineVals) => Code; sumAs?: string }
  /** out[line] = value(vals): one number per line, the output shaped [outer, inner] */
  | { kind: "result"; out: number; value: (vals: LineVals) => Code };

export interface Accumulate {
  name: string;
  value: (read: Read, vals: LineVals) => Code;
}

/** Per-line values by name (each in every lane that holds the line). */
export type LineVals = Record<string, Code>;

export interface LineSpec {
  name: string;
  params: readonly KernelParam[];
  outer: Size;
  n: Size;
  inner: Size;
  /** each line is `count` runs of n elements, `stride` (a literal) elements apart (inner = 1) */
  runs?: Runs;
  passes: (fb: FuncBuilder) => Pass[];
  comments?: readonly string[];
}

/**
 * A line in runs: the reductions over the batch and the plane of [N, C, H, W] per channel C are
 * lines of N runs of H W elements, C H W apart.
 */
export interface Runs {
  count: Size;
  stride: number;
}

/** Wraps the per-element code of a pass, `run(mode, at)`, in the loop along the line. */
type Loop = (run: (mode: Mode, at: (ptr: number) => Code) => Code) => Code;

interface Mode {
  /** 4 elements of one line, 4 lines, or 1 element (lane 0, the others copies or masked) */
  lanes: "along" | "across" | "one";
}

export function lineKernel(spec: LineSpec): Func {
  const fb = kernelBuilder(spec.name, spec.params);
  const passes = spec.passes(fb);
  for (const p of passes)
    if (p.kind === "map" || p.kind === "result") paramOf(fb, spec.params, p.out, "ptr");
  const g = new LineGen(fb, spec, passes);
  if (spec.runs && literal(spec.inner) !== 1)
    throw new Error("internal: runs of interleaved lines");
  fb.emit(literal(spec.inner) === 1 ? g.rows() : g.columns());
  return fb.finish({ comments: spec.comments ?? [] });
}

class LineGen {
  private readonly sizes = new Map<string, Code>();
  /** a size as code; one read at run time is computed once, in the prologue */
  private size(s: Size, name: string): Code {
    if (literal(s) !== undefined) return i32.const(literal(s)!);
    let code = this.sizes.get(name);
    if (!code) {
      const l = this.fb.local(name, "i32");
      this.fb.emit(set(l, sizeCode(this.fb, s)));
      code = get(l);
      this.sizes.set(name, code);
    }
    return code;
  }
  /** byte offset of the current line's first element (from every array's base) */
  private readonly line: Local;
  /** byte offset of the current line's result */
  private readonly res: Local;

  constructor(
    readonly fb: FuncBuilder,
    readonly spec: LineSpec,
    readonly passes: Pass[],
  ) {
    this.line = fb.local("line", "i32");
    this.res = fb.local("res", "i32");
  }

  private base(ptr: number): Code {
    return get(this.fb.params[ptr]!);
  }

  /** inner = 1: for each line, each pass runs along it 4 elements at a time, then the tail. */
  rows(): Code {
    const { fb, spec } = this;
    const o = fb.local("o", "i32");
    const jb = fb.local("jb", "i32");
    const nb = this.size(mulSize(spec.n, 4), "nbytes");
    const lit = literal(spec.n);
    const vecEnd = lit !== undefined ? i32.const(lit * 4 - 12) : i32.sub(nb, i32.const(12));
    const runs = spec.runs;
    const seg = runs ? fb.local("run", "i32") : null;
    const start = seg ? i32.add(get(this.line), get(seg)) : get(this.line);
    const at = (ptr: number) => i32.add(i32.add(this.base(ptr), start), get(jb));
    const along: Loop = (run) => [
      fb.forUp(jb, i32.const(0), vecEnd, 16, run({ lanes: "along" }, at)),
      fb.forUp(jb, null, nb, 4, run({ lanes: "one" }, at)),
    ];
    // a line in runs: the same loops over each run
    const runBytes = runs ? this.size(mulSize(runs.count, runs.stride * 4), "run_end") : null;
    const loop: Loop = !seg
      ? along
      : (run) => fb.forUp(seg, i32.const(0), runBytes!, runs!.stride * 4, along(run));
    const body = this.linePasses(loop, { lanes: "along" });
    return [
      set(this.line, i32.const(0)),
      set(this.res, i32.const(0)),
      fb.forUp(o, i32.const(0), this.size(spec.outer, "outer"), 1, [
        body,
        set(this.line, i32.add(get(this.line), nb)),
        set(this.res, i32.add(get(this.res), i32.const(4))),
      ]),
    ];
  }

  /** inner > 1: for each outer index, lines 4 at a time (one per lane), then one at a time. */
  columns(): Code {
    const { fb, spec } = this;
    const o = fb.local("o", "i32");
    const i = fb.local("i", "i32");
    const j = fb.local("j", "i32");
    const elem = fb.local("elem", "i32");
    const inner = this.size(spec.inner, "inner");
    const stride = this.size(mulSize(spec.inner, 4), "stride");
    const at = (ptr: number) => i32.add(this.base(ptr), get(elem));
    const group = (mode: Mode) =>
      this.linePasses(
        (run) => [
          set(elem, get(this.line)),
          fb.forUp(j, i32.const(0), this.size(spec.n, "n"), 1, [
            run(mode, at),
            set(elem, i32.add(get(elem), stride)),
          ]),
        ],
        mode,
      );
    // line = (o n inner + i) * 4 and res = (o inner + i) * 4, with i stepping by 4 lanes, then 1
    const start = (k: Code) => [
      set(
        this.line,
        i32.shl(i32.add(i32.mul(i32.mul(get(o), this.size(spec.n, "n")), inner), k), i32.const(2)),
      ),
      set(this.res, i32.shl(i32.add(i32.mul(get(o), inner), k), i32.const(2))),
    ];
    return fb.forUp(o, i32.const(0), this.size(spec.outer, "outer"), 1, [
      fb.forUp(i, i32.const(0), i32.sub(inner, i32.const(3)), 4, [
        start(get(i)),
        group({ lanes: "across" }),
      ]),
      fb.forUp(i, null, inner, 1, [start(get(i)), group({ lanes: "one" })]),
    ]);
  }

  /**
   * The passes of one line (or group of lines): `loop(run)` wraps a pass's per-element code
   * `run(mode, at)` in the loop over the line.
   */
  private linePasses(loop: Loop, groupMode: Mode): Code {
    const { fb } = this;
    const vals: LineVals = {};
    const code: Code[] = [];
    for (const pass of this.passes) {
      if (pass.kind === "let" || pass.kind === "input") {
        const l = fb.local(pass.name, "v128");
        const value =
          pass.kind === "let"
            ? pass.value(vals)
            : this.loadInput(pass.ptr, pass.broadcast === true, groupMode);
        code.push(set(l, value));
        vals[pass.name] = get(l);
      } else if (pass.kind === "result") {
        code.push(this.storeResult(pass.out, pass.value(vals), groupMode));
      } else code.push(this.alongLine(pass, vals, loop, groupMode));
    }
    return code;
  }

  /**
   * A reduce or map pass: one loop along the line, accumulators set before it and reduced across
   * lanes after it (when the lanes hold one line), their results added to `vals`.
   */
  private alongLine(
    p: Extract<Pass, { kind: "reduce" | "map" }>,
    vals: LineVals,
    loop: Loop,
    groupMode: Mode,
  ): Code {
    const { fb } = this;
    const op = p.kind === "map" ? "sum" : p.op;
    const sums: Accumulate[] = p.kind === "map" ? [] : [...p.into];
    const names = [...sums.map((a) => a.name), ...(p.kind === "map" && p.sumAs ? [p.sumAs] : [])];
    const accs = names.map((name) => fb.local(name, "v128"));
    const body = loop((mode, at) => {
      const read = this.reader(mode, at);
      // a tail element along a line: only lane 0 counts towards a sum
      const masked = mode.lanes === "one" && groupMode.lanes === "along" && op === "sum";
      const add = (acc: Local, x: Code) =>
        set(acc, this.combine(op, get(acc), masked ? v.and(x, this.lane0()) : x));
      if (p.kind !== "map") return sums.map((a, k) => add(accs[k]!, a.value(read, vals)));
      const value = fb.local("mapped", "v128");
      return [
        set(value, p.value(read, vals)),
        this.store(at(p.out), get(value), mode),
        accs.length > 0 ? add(accs[0]!, get(value)) : [],
      ];
    });
    names.forEach((name, k) => (vals[name] = get(accs[k]!)));
    return [
      accs.map((acc) => set(acc, fb.f32x4(op === "sum" ? 0 : -Infinity))),
      body,
      groupMode.lanes === "along" ? accs.map((acc) => set(acc, this.allLanes(get(acc), op))) : [],
    ];
  }

  private combine(op: "sum" | "max", a: Code, x: Code): Code {
    return op === "sum" ? v.add(a, x) : v.max(a, x);
  }

  private lane0(): Code {
    return this.fb.i32x4Lanes([-1, 0, 0, 0], "lane0");
  }

  /** a per-line input: the line's number in every lane, or 4 lines' numbers */
  private loadInput(ptr: number, broadcast: boolean, mode: Mode): Code {
    paramOf(this.fb, this.spec.params, ptr, "ptr");
    if (broadcast) return v.loadSplat(this.base(ptr));
    const addr = i32.add(this.base(ptr), get(this.res));
    return mode.lanes === "across" ? v.load(addr) : v.loadSplat(addr);
  }

  private reader(mode: Mode, at: (ptr: number) => Code): Read {
    return (ptr) => {
      paramOf(this.fb, this.spec.params, ptr, "ptr");
      return mode.lanes === "one" ? v.loadSplat(at(ptr)) : v.load(at(ptr));
    };
  }

  private store(addr: Code, value: Code, mode: Mode): Code {
    return mode.lanes === "one" ? f32.store(addr, v.lane(value, 0)) : v.store(addr, value);
  }

  private storeResult(out: number, value: Code, mode: Mode): Code {
    const addr = i32.add(this.base(out), get(this.res));
    return mode.lanes === "across" ? v.store(addr, value) : f32.store(addr, v.lane(value, 0));
  }

  /** the sum (or max) of the 4 lanes, in every lane */
  private allLanes(x: Code, op: "sum" | "max"): Code {
    const t = this.fb.local("lanes", "v128");
    const f = op === "sum" ? v.add : v.max;
    return [
      set(t, f(x, v.shuffle(x, x, [2, 3, 0, 1]))),
      f(get(t), v.shuffle(get(t), get(t), [1, 0, 3, 2])),
    ];
  }
}
