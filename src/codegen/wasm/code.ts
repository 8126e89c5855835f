// Instructions as data, and the small combinators the kernels are written with. A `Code` is a
// tree of instructions in stack order; the combinators take their operands first, as the folded
// text format reads: `v.add(a, b)` is `a`, `b`, then `f32x4.add`. Locals, labels and functions are
// referred to by name; the encoder resolves names to indices (and labels to depths).
import { opInfo, type Mnemonic, type ValType } from "./isa.ts";

/** One instruction, or a comment (printed in the WAT, absent from the binary). */
export interface Instr {
  op: Mnemonic | "comment";
  /** i32/i64/f32/f64 constants, lane indices */
  value?: number | bigint;
  /** the local, global, function or label named */
  ref?: string;
  /** loads and stores: byte offset and alignment in bytes */
  mem?: { offset: number; align: number };
  /** v128.const (16 little-endian bytes) and i8x16.shuffle (16 lane indices) */
  bytes?: readonly number[];
  /** block, loop, if: the label this block is known by, and its result type */
  label?: string;
  result?: ValType;
  /** br_table: the targets, the last one the default */
  targets?: readonly string[];
  /** v128.const: how the WAT shows its lanes */
  lanes?: "f32x4" | "i32x4";
  /** comment text */
  text?: string;
}

/**
 * An instruction with its operands: `args` run first (pushing the operands), then `instr`. The
 * WAT printer shows it folded, `(f32x4.add (local.get $a) (local.get $b))`; the encoder flattens.
 */
export interface Folded {
  readonly instr: Instr;
  readonly args: readonly Code[];
}

export type Code = Instr | Folded | readonly Code[];

export function isFolded(code: Code): code is Folded {
  return !Array.isArray(code) && "instr" in (code as object);
}

/** The instructions in execution order. */
export function flatten(code: Code, out: Instr[] = []): Instr[] {
  if (Array.isArray(code)) for (const c of code as readonly Code[]) flatten(c, out);
  else if (isFolded(code)) {
    for (const a of code.args) flatten(a, out);
    out.push(code.instr);
  } else out.push(code as Instr);
  return out;
}

/** No instruction at all (an empty list, or lists of them). */
function isEmpty(code: Code): boolean {
  return Array.isArray(code) && (code as readonly Code[]).every(isEmpty);
}

/** A named local or parameter of a function. */
export interface Local {
  readonly name: string;
  readonly type: ValType;
}

/** `instr` applied to operands. */
export const fold = (instr: Instr, ...args: Code[]): Folded => ({ instr, args });

/** `operands...` then `op`. */
export function op(name: Mnemonic, ...operands: Code[]): Code {
  return fold({ op: name }, ...operands);
}

export const comment = (text: string): Instr => ({ op: "comment", text });

// ---- locals ----
export const get = (l: Local): Instr => ({ op: "local.get", ref: l.name });
export const set = (l: Local, value: Code): Code => fold({ op: "local.set", ref: l.name }, value);
export const tee = (l: Local, value: Code): Code => fold({ op: "local.tee", ref: l.name }, value);
export const call = (fn: string, ...args: Code[]): Code => fold({ op: "call", ref: fn }, ...args);

// ---- control ----
export const block = (label: string, body: Code, result?: ValType): Code => [
  result ? { op: "block", label, result } : { op: "block", label },
  body,
  { op: "end" },
];
export const loop = (label: string, body: Code): Code => [
  { op: "loop", label },
  body,
  { op: "end" },
];
export function ifThen(cond: Code, then: Code, otherwise?: Code, result?: ValType): Code {
  const head: Instr = result ? { op: "if", result } : { op: "if" };
  // an empty else is no else (as the text format's assemblers encode it)
  return otherwise === undefined || isEmpty(otherwise)
    ? [cond, head, then, { op: "end" }]
    : [cond, head, then, { op: "else" }, otherwise, { op: "end" }];
}
export const br = (label: string): Instr => ({ op: "br", ref: label });
export const brIf = (label: string, cond: Code): Code => fold({ op: "br_if", ref: label }, cond);

// ---- memory: `align` defaults to the natural alignment ----
function memOp(name: Mnemonic, offset = 0, align?: number): Instr {
  return { op: name, mem: { offset, align: align ?? opInfo(name).natural! } };
}
export const load = (name: Mnemonic, addr: Code, offset = 0, align?: number): Code =>
  fold(memOp(name, offset, align), addr);
export const store = (name: Mnemonic, addr: Code, value: Code, offset = 0, align?: number) =>
  fold(memOp(name, offset, align), addr, value);

// ---- scalars ----
const bin = (name: Mnemonic) => (a: Code, b: Code) => op(name, a, b);
const un = (name: Mnemonic) => (a: Code) => op(name, a);

export const i32 = {
  const: (value: number): Instr => ({ op: "i32.const", value: value | 0 }),
  add: bin("i32.add"),
  sub: bin("i32.sub"),
  mul: bin("i32.mul"),
  div_u: bin("i32.div_u"),
  rem_u: bin("i32.rem_u"),
  and: bin("i32.and"),
  or: bin("i32.or"),
  shl: bin("i32.shl"),
  shr_u: bin("i32.shr_u"),
  eq: bin("i32.eq"),
  eqz: un("i32.eqz"),
  ne: bin("i32.ne"),
  lt_s: bin("i32.lt_s"),
  le_s: bin("i32.le_s"),
  gt_s: bin("i32.gt_s"),
  ge_s: bin("i32.ge_s"),
  lt_u: bin("i32.lt_u"),
  load: (addr: Code, offset = 0) => load("i32.load", addr, offset),
  store: (addr: Code, value: Code, offset = 0) => store("i32.store", addr, value, offset),
};

export const f32 = {
  const: (value: number): Instr => ({ op: "f32.const", value: Math.fround(value) }),
  add: bin("f32.add"),
  sub: bin("f32.sub"),
  mul: bin("f32.mul"),
  div: bin("f32.div"),
  max: bin("f32.max"),
  eq: bin("f32.eq"),
  ne: bin("f32.ne"),
  gt: bin("f32.gt"),
  sqrt: un("f32.sqrt"),
  convert_i32_s: un("f32.convert_i32_s"),
  convert_i32_u: un("f32.convert_i32_u"),
  load: (addr: Code, offset = 0) => load("f32.load", addr, offset),
  store: (addr: Code, value: Code, offset = 0) => store("f32.store", addr, value, offset),
};

/** Little-endian bytes of four f32 lanes (or four i32 lanes when `ints`). */
export function lanesBytes(lanes: readonly number[], ints = false): number[] {
  const buf = new DataView(new ArrayBuffer(16));
  lanes.forEach((x, i) => (ints ? buf.setInt32(i * 4, x, true) : buf.setFloat32(i * 4, x, true)));
  return Array.from(new Uint8Array(buf.buffer));
}

/** f32x4 arithmetic and the v128 operations the kernels use. */
export const v = {
  const: (x: number): Instr => ({
    op: "v128.const",
    bytes: lanesBytes([x, x, x, x]),
    lanes: "f32x4",
  }),
  constI: (x: number): Instr => ({
    op: "v128.const",
    bytes: lanesBytes([x, x, x, x], true),
    lanes: "i32x4",
  }),
  splat: un("f32x4.splat"),
  add: bin("f32x4.add"),
  sub: bin("f32x4.sub"),
  mul: bin("f32x4.mul"),
  div: bin("f32x4.div"),
  min: bin("f32x4.min"),
  max: bin("f32x4.max"),
  /** b < a ? b : a (one instruction on x64; NaN in `a` passes through) */
  pmin: bin("f32x4.pmin"),
  /** a < b ? b : a (one instruction on x64; NaN in `a` passes through) */
  pmax: bin("f32x4.pmax"),
  neg: un("f32x4.neg"),
  abs: un("f32x4.abs"),
  sqrt: un("f32x4.sqrt"),
  nearest: un("f32x4.nearest"),
  eq: bin("f32x4.eq"),
  ne: bin("f32x4.ne"),
  lt: bin("f32x4.lt"),
  gt: bin("f32x4.gt"),
  le: bin("f32x4.le"),
  ge: bin("f32x4.ge"),
  and: bin("v128.and"),
  or: bin("v128.or"),
  xor: bin("v128.xor"),
  andnot: bin("v128.andnot"),
  not: un("v128.not"),
  /** lanes of `a` where `mask` is set, else of `b` */
  select: (a: Code, b: Code, mask: Code) => op("v128.bitselect", a, b, mask),
  anyTrue: un("v128.any_true"),
  lane: (x: Code, lane: number): Code => fold({ op: "f32x4.extract_lane", value: lane }, x),
  replaceLane: (x: Code, lane: number, value: Code): Code =>
    fold({ op: "f32x4.replace_lane", value: lane }, x, value),
  shuffle: (a: Code, b: Code, lanes: readonly number[]): Code =>
    fold(
      {
        op: "i8x16.shuffle",
        bytes: lanes.flatMap((l) => [l * 4, l * 4 + 1, l * 4 + 2, l * 4 + 3]),
      },
      a,
      b,
    ),
  load: (addr: Code, offset = 0, align = 4) => load("v128.load", addr, offset, align),
  store: (addr: Code, value: Code, offset = 0, align = 4) =>
    store("v128.store", addr, value, offset, align),
  /** one f32 from memory in every lane */
  loadSplat: (addr: Code, offset = 0) => load("v128.load32_splat", addr, offset),
  /** one f32 from memory in lane 0, zeros in the others */
  loadZero: (addr: Code, offset = 0) => load("v128.load32_zero", addr, offset),
  loadLane: (addr: Code, into: Code, lane: number, offset = 0): Code =>
    fold({ op: "v128.load32_lane", mem: { offset, align: 4 }, value: lane }, addr, into),
  storeLane: (addr: Code, value: Code, lane: number, offset = 0): Code =>
    fold({ op: "v128.store32_lane", mem: { offset, align: 4 }, value: lane }, addr, value),
};

/** i32x4 lanes: the bit manipulations of exp/log and the dropout hash. */
export const i32x4 = {
  splat: un("i32x4.splat"),
  add: bin("i32x4.add"),
  sub: bin("i32x4.sub"),
  mul: bin("i32x4.mul"),
  shl: (a: Code, bits: Code) => op("i32x4.shl", a, bits),
  shr_s: (a: Code, bits: Code) => op("i32x4.shr_s", a, bits),
  shr_u: (a: Code, bits: Code) => op("i32x4.shr_u", a, bits),
  eq: bin("i32x4.eq"),
  gt_s: bin("i32x4.gt_s"),
  lt_s: bin("i32x4.lt_s"),
  lt_u: bin("i32x4.lt_u"),
  min_s: bin("i32x4.min_s"),
  max_s: bin("i32x4.max_s"),
  truncSat: un("i32x4.trunc_sat_f32x4_s"),
  convert: un("f32x4.convert_i32x4_s"),
  lane: (x: Code, lane: number): Code => fold({ op: "i32x4.extract_lane", value: lane }, x),
};
