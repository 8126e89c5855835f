// The WebAssembly instructions the kernels use: one table from the text-format mnemonic to the
// binary opcode and the kind of immediate that follows it. The binary encoder and the WAT printer
// both read this table, so a kernel's binary and its text cannot disagree on an instruction.
// (Opcodes: the WebAssembly core spec 2.0, its fixed-width SIMD proposal and relaxed SIMD.)

/** A value type of the WebAssembly stack. */
export type ValType = "i32" | "i64" | "f32" | "f64" | "v128";

export const VALTYPE_CODE: Record<ValType, number> = {
  i32: 0x7f,
  i64: 0x7e,
  f32: 0x7d,
  f64: 0x7c,
  v128: 0x7b,
};

/**
 * What follows an opcode: nothing; a signed LEB128 (i32/i64 const); IEEE bytes (f32/f64 const); a
 * local, global, function or label index; a block type; a memory argument (align, offset); a lane
 * index; a memory argument then a lane; 16 raw bytes (v128.const, i8x16.shuffle); br_table's
 * label vector; or the memory index byte of memory.size/grow.
 */
export type Imm =
  | "none"
  | "i32"
  | "i64"
  | "f32"
  | "f64"
  | "local"
  | "global"
  | "func"
  | "label"
  | "block"
  | "mem"
  | "lane"
  | "memlane"
  | "bytes16"
  | "labels"
  | "memidx";

export interface OpInfo {
  /** the opcode; for the 0xfd (SIMD) prefix, the LEB128-encoded sub-opcode */
  code: number;
  prefix?: 0xfd;
  imm: Imm;
  /** loads and stores: the natural alignment in bytes (the default of the text format) */
  natural?: number;
}

const plain = (code: number): OpInfo => ({ code, imm: "none" });
const simd = (code: number, imm: Imm = "none", natural?: number): OpInfo =>
  natural === undefined ? { code, prefix: 0xfd, imm } : { code, prefix: 0xfd, imm, natural };
const mem = (code: number, natural: number): OpInfo => ({ code, imm: "mem", natural });

export const ISA = {
  // control
  unreachable: plain(0x00),
  nop: plain(0x01),
  block: { code: 0x02, imm: "block" },
  loop: { code: 0x03, imm: "block" },
  if: { code: 0x04, imm: "block" },
  else: plain(0x05),
  end: plain(0x0b),
  br: { code: 0x0c, imm: "label" },
  br_if: { code: 0x0d, imm: "label" },
  br_table: { code: 0x0e, imm: "labels" },
  return: plain(0x0f),
  call: { code: 0x10, imm: "func" },
  drop: plain(0x1a),
  select: plain(0x1b),
  // variables
  "local.get": { code: 0x20, imm: "local" },
  "local.set": { code: 0x21, imm: "local" },
  "local.tee": { code: 0x22, imm: "local" },
  "global.get": { code: 0x23, imm: "global" },
  "global.set": { code: 0x24, imm: "global" },
  // memory
  "i32.load": mem(0x28, 4),
  "f32.load": mem(0x2a, 4),
  "f64.load": mem(0x2b, 8),
  "i32.store": mem(0x36, 4),
  "f32.store": mem(0x38, 4),
  "f64.store": mem(0x39, 8),
  "memory.size": { code: 0x3f, imm: "memidx" },
  "memory.grow": { code: 0x40, imm: "memidx" },
  // constants
  "i32.const": { code: 0x41, imm: "i32" },
  "i64.const": { code: 0x42, imm: "i64" },
  "f32.const": { code: 0x43, imm: "f32" },
  "f64.const": { code: 0x44, imm: "f64" },
  // i32 comparisons and arithmetic
  "i32.eqz": plain(0x45),
  "i32.eq": plain(0x46),
  "i32.ne": plain(0x47),
  "i32.lt_s": plain(0x48),
  "i32.lt_u": plain(0x49),
  "i32.gt_s": plain(0x4a),
  "i32.gt_u": plain(0x4b),
  "i32.le_s": plain(0x4c),
  "i32.le_u": plain(0x4d),
  "i32.ge_s": plain(0x4e),
  "i32.ge_u": plain(0x4f),
  "i32.clz": plain(0x67),
  "i32.ctz": plain(0x68),
  "i32.add": plain(0x6a),
  "i32.sub": plain(0x6b),
  "i32.mul": plain(0x6c),
  "i32.div_s": plain(0x6d),
  "i32.div_u": plain(0x6e),
  "i32.rem_u": plain(0x70),
  "i32.and": plain(0x71),
  "i32.or": plain(0x72),
  "i32.xor": plain(0x73),
  "i32.shl": plain(0x74),
  "i32.shr_s": plain(0x75),
  "i32.shr_u": plain(0x76),
  // f32 comparisons and arithmetic
  "f32.eq": plain(0x5b),
  "f32.ne": plain(0x5c),
  "f32.lt": plain(0x5d),
  "f32.gt": plain(0x5e),
  "f32.le": plain(0x5f),
  "f32.ge": plain(0x60),
  "f32.abs": plain(0x8b),
  "f32.neg": plain(0x8c),
  "f32.sqrt": plain(0x91),
  "f32.add": plain(0x92),
  "f32.sub": plain(0x93),
  "f32.mul": plain(0x94),
  "f32.div": plain(0x95),
  "f32.min": plain(0x96),
  "f32.max": plain(0x97),
  // f64 comparisons and arithmetic
  "f64.eq": plain(0x61),
  "f64.ne": plain(0x62),
  "f64.lt": plain(0x63),
  "f64.gt": plain(0x64),
  "f64.le": plain(0x65),
  "f64.ge": plain(0x66),
  "f64.abs": plain(0x99),
  "f64.neg": plain(0x9a),
  "f64.sqrt": plain(0x9f),
  "f64.add": plain(0xa0),
  "f64.sub": plain(0xa1),
  "f64.mul": plain(0xa2),
  "f64.div": plain(0xa3),
  "f64.min": plain(0xa4),
  "f64.max": plain(0xa5),
  // conversions
  "i32.trunc_f32_s": plain(0xa8),
  "f32.convert_i32_s": plain(0xb2),
  "f32.convert_i32_u": plain(0xb3),
  "f32.demote_f64": plain(0xb6),
  "f64.convert_i32_s": plain(0xb7),
  "f64.convert_i32_u": plain(0xb8),
  "f64.promote_f32": plain(0xbb),
  "i32.reinterpret_f32": plain(0xbc),
  "f32.reinterpret_i32": plain(0xbe),
  // SIMD: memory
  "v128.load": simd(0x00, "mem", 16),
  "v128.load32_splat": simd(0x09, "mem", 4),
  "v128.store": simd(0x0b, "mem", 16),
  "v128.load32_lane": simd(0x56, "memlane", 4),
  "v128.store32_lane": simd(0x5a, "memlane", 4),
  "v128.load32_zero": simd(0x5c, "mem", 4),
  // SIMD: constants, shuffles, lanes
  "v128.const": simd(0x0c, "bytes16"),
  "i8x16.shuffle": simd(0x0d, "bytes16"),
  "i32x4.splat": simd(0x11),
  "f32x4.splat": simd(0x13),
  "i32x4.extract_lane": simd(0x1b, "lane"),
  "i32x4.replace_lane": simd(0x1c, "lane"),
  "f32x4.extract_lane": simd(0x1f, "lane"),
  "f32x4.replace_lane": simd(0x20, "lane"),
  // SIMD: comparisons (all-ones lanes where true)
  "i32x4.eq": simd(0x37),
  "i32x4.ne": simd(0x38),
  "i32x4.lt_s": simd(0x39),
  "i32x4.lt_u": simd(0x3a),
  "i32x4.gt_s": simd(0x3b),
  "i32x4.gt_u": simd(0x3c),
  "i32x4.le_u": simd(0x3e),
  "i32x4.ge_u": simd(0x40),
  "f32x4.eq": simd(0x41),
  "f32x4.ne": simd(0x42),
  "f32x4.lt": simd(0x43),
  "f32x4.gt": simd(0x44),
  "f32x4.le": simd(0x45),
  "f32x4.ge": simd(0x46),
  // SIMD: bitwise
  "v128.not": simd(0x4d),
  "v128.and": simd(0x4e),
  "v128.andnot": simd(0x4f),
  "v128.or": simd(0x50),
  "v128.xor": simd(0x51),
  "v128.bitselect": simd(0x52),
  "v128.any_true": simd(0x53),
  // SIMD: f32x4 rounding
  "f32x4.ceil": simd(0x67),
  "f32x4.floor": simd(0x68),
  "f32x4.trunc": simd(0x69),
  "f32x4.nearest": simd(0x6a),
  // SIMD: i32x4 arithmetic and shifts (the exp/log bit tricks, the dropout hash)
  "i32x4.shl": simd(0xab),
  "i32x4.shr_s": simd(0xac),
  "i32x4.shr_u": simd(0xad),
  "i32x4.add": simd(0xae),
  "i32x4.sub": simd(0xb1),
  "i32x4.mul": simd(0xb5),
  "i32x4.min_s": simd(0xb6),
  "i32x4.max_s": simd(0xb8),
  // SIMD: f32x4 arithmetic
  "f32x4.abs": simd(0xe0),
  "f32x4.neg": simd(0xe1),
  "f32x4.sqrt": simd(0xe3),
  "f32x4.add": simd(0xe4),
  "f32x4.sub": simd(0xe5),
  "f32x4.mul": simd(0xe6),
  "f32x4.div": simd(0xe7),
  "f32x4.min": simd(0xe8),
  "f32x4.max": simd(0xe9),
  "f32x4.pmin": simd(0xea),
  "f32x4.pmax": simd(0xeb),
  // SIMD: conversions
  "i32x4.trunc_sat_f32x4_s": simd(0xf8),
  "i32x4.trunc_sat_f32x4_u": simd(0xf9),
  "f32x4.convert_i32x4_s": simd(0xfa),
  "f32x4.convert_i32x4_u": simd(0xfb),
  "f32x4.demote_f64x2_zero": simd(0x5e),
  "f64x2.promote_low_f32x4": simd(0x5f),
  // SIMD: f64x2 (sums kept in f64 where f32 would lose too much)
  "f64x2.splat": simd(0x14),
  "f64x2.extract_lane": simd(0x21, "lane"),
  "f64x2.add": simd(0xf0),
  "f64x2.mul": simd(0xf2),
  // relaxed SIMD (only where the engine validates it; see features.ts)
  "f32x4.relaxed_madd": simd(0x105),
  "f32x4.relaxed_nmadd": simd(0x106),
} satisfies Record<string, OpInfo>;

/** A mnemonic of the text format, e.g. "f32x4.add". */
export type Mnemonic = keyof typeof ISA;

export function opInfo(op: Mnemonic): OpInfo {
  return ISA[op] as OpInfo;
}
