// The elementwise loop: out[index] = expr (or += expr) over every index of a shape. The dims are
// first coalesced (two dims merge where every operand steps through them as through one, so a
// [64, 784] map is one loop of 50176), then the innermost dim runs 4 lanes at a time with a scalar
// tail, and the outer dims are plain loops carrying one row pointer per operand. Along the inner
// dim an operand is contiguous (v128.load), broadcast (one load32_splat per row, e.g. a [M, 1]
// column against [M, N]), or strided (four lane loads). The tail runs the same f32x4 code on
// lanes that all hold the one element (load32_splat) and stores lane 0, so body and tail are one
// computation.
import { f32, get, i32, set, v, type Code, type Local } from "./code.ts";
import type { FuncBuilder } from "./func.ts";
import { addr, kernelBuilder, paramOf, type Expr, type KernelParam } from "./kernel.ts";
import type { Func } from "./module.ts";
import { WASM_OPS } from "./ops.ts";
import { literal, mulSize, rowMajor, sizeCode, sizeEq, type Size } from "./sizes.ts";

export interface ElementwiseSpec {
  name: string;
  params: readonly KernelParam[];
  /** the pointer param of the output, written row-major */
  out: number;
  shape: readonly Size[];
  expr: Expr;
  /** out += expr */
  accumulate?: boolean;
  comments?: readonly string[];
}

type LoadExpr = Extract<Expr, { kind: "load" }>;

interface Operand {
  ptr: number;
  /** strides after coalescing, one per loop */
  strides: Size[];
}

function loadsOf(e: Expr, out: LoadExpr[] = []): LoadExpr[] {
  if (e.kind === "load") out.push(e);
  if (e.kind === "op") e.args.forEach((a) => loadsOf(a, out));
  return out;
}

const loadKey = (l: { ptr: number; strides: readonly Size[] }) =>
  `${l.ptr}:${l.strides.map((s) => JSON.stringify(s)).join(",")}`;

/**
 * Drops dims of extent 1 and merges dim d into d+1 wherever every operand has
 * stride[d] = stride[d+1] * extent[d+1].
 */
export function coalesce(shape: readonly Size[], strides: readonly (readonly Size[])[]) {
  const keep = shape.map((_, d) => d).filter((d) => literal(shape[d]!) !== 1);
  let extents: Size[] = [];
  let out: Size[][] = strides.map(() => []);
  for (const d of keep) {
    const last = extents.length - 1;
    const mergeable =
      last >= 0 && strides.every((s, o) => sizeEq(out[o]![last]!, mulSize(s[d]!, shape[d]!)));
    if (mergeable) {
      extents[last] = mulSize(extents[last]!, shape[d]!);
      out = out.map((s, o) => [...s.slice(0, last), strides[o]![d]!]);
    } else {
      extents.push(shape[d]!);
      out = out.map((s, o) => [...s, strides[o]![d]!]);
    }
  }
  if (extents.length === 0) {
    extents = [1];
    out = out.map(() => [1]);
  }
  return { extents, strides: out };
}

export function elementwiseKernel(spec: ElementwiseSpec): Func {
  const fb = kernelBuilder(spec.name, spec.params);
  paramOf(fb, spec.params, spec.out, "ptr");
  const loads = [...new Map(loadsOf(spec.expr).map((l) => [loadKey(l), l])).values()];
  loads.forEach((l) => paramOf(fb, spec.params, l.ptr, "ptr"));
  const all = [{ ptr: spec.out, strides: rowMajor(spec.shape) }, ...loads];
  const { extents, strides } = coalesce(
    spec.shape,
    all.map((o) => o.strides),
  );
  const operands: Operand[] = all.map((o, k) => ({ ptr: o.ptr, strides: strides[k]! }));
  const keyOf = new Map(loads.map((l, k) => [loadKey(l), operands[k + 1]!]));
  const gen = new Gen(fb, spec, extents, operands, keyOf);
  fb.emit(
    gen.nest(
      0,
      operands.map((o) => get(fb.params[o.ptr]!)),
    ),
  );
  return fb.finish({ comments: spec.comments ?? [] });
}

class Gen {
  private readonly scalars = new Map<number, Code>();

  constructor(
    readonly fb: FuncBuilder,
    readonly spec: ElementwiseSpec,
    readonly extents: Size[],
    readonly operands: Operand[],
    readonly keyOf: Map<string, Operand>,
  ) {}

  /** i32 code for a size, kept in a local when it is read at run time */
  private size(s: Size, name: string): Code {
    if (literal(s) !== undefined) return i32.const(literal(s)!);
    const l = this.fb.local(name, "i32");
    this.fb.emit(set(l, sizeCode(this.fb, s)));
    return get(l);
  }

  /** The loop over dim `d`, given each operand's byte address at the start of the dim. */
  nest(d: number, bases: Code[]): Code {
    if (d === this.extents.length - 1) return this.inner(bases);
    const i = this.fb.local(`i${d}`, "i32");
    const end = this.size(this.extents[d]!, `n${d}`);
    const pointers = this.operands.map((o, k) => {
      if (literal(o.strides[d]!) === 0) return null;
      const p = this.fb.local(`p${k}_${d}`, "i32");
      return { p, step: this.size(mulSize(o.strides[d]!, 4), `step${k}_${d}`) };
    });
    const inner = this.nest(
      d + 1,
      pointers.map((q, k) => (q ? get(q.p) : bases[k]!)),
    );
    const advance = pointers.flatMap((q) => (q ? [set(q.p, i32.add(get(q.p), q.step))] : []));
    return [
      pointers.flatMap((q, k) => (q ? [set(q.p, bases[k]!)] : [])),
      this.fb.forUp(i, i32.const(0), end, 1, [inner, advance]),
    ];
  }

  /** The innermost dim: 4 lanes at a time, then the remaining elements one by one. */
  private inner(bases: Code[]): Code {
    const d = this.extents.length - 1;
    const n = this.extents[d]!;
    const jb = this.fb.local("jb", "i32"); // byte offset along the dim, of a contiguous operand
    const lit = literal(n);
    const vecEnd = lit !== undefined ? i32.const((lit - 3) * 4) : this.size(mulSize(n, 4), "nb");
    const vecBound = lit !== undefined ? vecEnd : i32.sub(vecEnd, i32.const(12));
    const end = lit !== undefined ? i32.const(lit * 4) : vecEnd;
    // operands broadcast along the inner dim: one splat per row
    const splats = this.operands.map((o, k) => {
      if (k === 0 || literal(o.strides[d]!) !== 0) return null;
      return this.fb.local(`row${k}`, "v128");
    });
    const rowSetup = splats.flatMap((s, k) => (s ? [set(s, v.loadSplat(bases[k]!))] : []));
    const body = (lanes: 4 | 1) => this.element(lanes, bases, get(jb), splats);
    return [
      rowSetup,
      this.fb.forUp(jb, i32.const(0), vecBound, 16, body(4)),
      this.fb.forUp(jb, null, end, 4, body(1)),
    ];
  }

  /** One step of the inner loop: 4 lanes, or 1 (the tail). */
  private element(lanes: 4 | 1, bases: Code[], jb: Code, splats: (Local | null)[]): Code {
    const stmts: Code[] = [];
    const memo = new Map<Expr, Code>();
    const d = this.extents.length - 1;
    const address = (k: number) => {
      const s = this.operands[k]!.strides[d]!;
      if (literal(s) === 1) return addr(bases[k]!, jb);
      return addr(bases[k]!, i32.mul(jb, sizeCode(this.fb, s)));
    };
    const emit = (e: Expr): Code => {
      const seen = memo.get(e);
      if (seen) return seen;
      let value: Code;
      if (e.kind === "const") value = this.fb.f32x4(e.value);
      else if (e.kind === "scalar") value = this.scalar(e.param);
      else if (e.kind === "load") {
        const k = this.operands.indexOf(this.keyOf.get(loadKey(e))!);
        const l = this.fb.local(`x${k}`, "v128");
        stmts.push(set(l, this.load(k, address(k), lanes, splats[k] ?? null)));
        value = get(l);
      } else {
        const l = this.fb.local(e.op, "v128");
        stmts.push(set(l, this.op(e, emit)));
        value = get(l);
      }
      memo.set(e, value);
      return value;
    };
    const value = emit(this.spec.expr);
    const out = address(0);
    if (lanes === 4) {
      const sum = this.spec.accumulate ? v.add(v.load(out), value) : value;
      return [stmts, v.store(out, sum)];
    }
    const lane0 = v.lane(value, 0);
    return [stmts, f32.store(out, this.spec.accumulate ? f32.add(f32.load(out), lane0) : lane0)];
  }

  private op(e: Extract<Expr, { kind: "op" }>, emit: (e: Expr) => Code): Code {
    const rule = WASM_OPS[e.op];
    if (!rule) throw new Error(`internal: no wasm emission for op ${e.op}`);
    const args = e.args.map(emit);
    const consts = e.args.map((a) => (a.kind === "const" ? a.value : undefined));
    return rule(this.fb, args, e.attrs ?? {}, consts);
  }

  /** An operand's value at `at`: 4 lanes (contiguous, splat or gathered), or one element. */
  private load(k: number, at: Code, lanes: 4 | 1, splat: Local | null): Code {
    if (splat) return get(splat);
    const s = this.operands[k]!.strides[this.extents.length - 1]!;
    if (lanes === 1) return v.loadSplat(at);
    if (literal(s) === 1) return v.load(at);
    // strided: gather the four lanes from one base address
    const base = this.fb.local(`at${k}`, "i32");
    const step = literal(s) !== undefined ? literal(s)! * 4 : null;
    let acc: Code = v.loadZero(get(base));
    for (let lane = 1; lane < 4; lane++) {
      const where =
        step !== null
          ? get(base)
          : addr(get(base), i32.mul(i32.const(lane * 4), sizeCode(this.fb, s)));
      acc = v.loadLane(where, acc, lane, step !== null ? step * lane : 0);
    }
    return [set(base, at), acc];
  }

  /** An f32 param in every lane, splatted once in the prologue. */
  private scalar(param: number): Code {
    let s = this.scalars.get(param);
    if (!s) {
      const p = paramOf(this.fb, this.spec.params, param, "f32");
      const l = this.fb.local(`${p.name}_x4`, "v128");
      this.fb.emit(set(l, v.splat(get(p))));
      s = get(l);
      this.scalars.set(param, s);
    }
    return s;
  }
}
