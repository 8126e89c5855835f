// The binary encoder: LEB128 numbers, sections, the code of each function (names resolved to
// indices, labels to depths) and the "name" custom section with function and local names, so
// that stack traces and devtools show `matmul_nn` and `$acc00` rather than `func[3]` and `var7`.
import { flatten, type Instr } from "./code.ts";
import { VALTYPE_CODE, opInfo, type Imm, type Mnemonic } from "./isa.ts";
import { checkBytes, checkCounts, WASM_LIMITS } from "./limits.ts";
import {
  funcIndices,
  localGroups,
  localIndices,
  signature,
  typesOf,
  type Func,
  type FuncType,
  type Module,
} from "./module.ts";

const scratchBytes = new Uint8Array(8);
const scratch = new DataView(scratchBytes.buffer);
const utf8Encoder = new TextEncoder();

/** A growable byte buffer with the encodings of the binary format. */
export class Bytes {
  private buf: Uint8Array<ArrayBuffer> = new Uint8Array(256);
  length = 0;

  /** room for `n` more bytes */
  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const bigger = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
    bigger.set(this.buf);
    this.buf = bigger;
  }

  byte(b: number): this {
    this.reserve(1);
    this.buf[this.length++] = b & 0xff;
    return this;
  }

  bytes(bs: ArrayLike<number>): this {
    this.reserve(bs.length);
    if (bs instanceof Uint8Array) this.buf.set(bs, this.length);
    else for (let i = 0; i < bs.length; i++) this.buf[this.length + i] = bs[i]! & 0xff;
    this.length += bs.length;
    return this;
  }

  /** unsigned LEB128: 7 bits a byte, low first, the high bit set on all but the last */
  u32(n: number): this {
    let x = n >>> 0;
    do {
      const b = x & 0x7f;
      x >>>= 7;
      this.byte(x === 0 ? b : b | 0x80);
    } while (x !== 0);
    return this;
  }

  /** signed LEB128: stop once the remaining bits are all copies of the sign bit */
  s64(n: bigint): this {
    let x = BigInt.asIntN(64, n);
    for (;;) {
      const b = Number(x & 0x7fn);
      x >>= 7n;
      const done = (x === 0n && (b & 0x40) === 0) || (x === -1n && (b & 0x40) !== 0);
      this.byte(done ? b : b | 0x80);
      if (done) return this;
    }
  }

  /** s64's encoding of a 32-bit integer, in numbers (`>>` keeps the sign as BigInt's does) */
  s32(n: number): this {
    let x = n | 0;
    for (;;) {
      const b = x & 0x7f;
      x >>= 7;
      const done = (x === 0 && (b & 0x40) === 0) || (x === -1 && (b & 0x40) !== 0);
      this.byte(done ? b : b | 0x80);
      if (done) return this;
    }
  }

  f32(x: number): this {
    scratch.setFloat32(0, x, true);
    return this.bytes(scratchBytes.subarray(0, 4));
  }

  f64(x: number): this {
    scratch.setFloat64(0, x, true);
    return this.bytes(scratchBytes);
  }

  name(s: string): this {
    const utf8 = utf8Encoder.encode(s);
    return this.u32(utf8.length).bytes(utf8);
  }

  /** a length-prefixed vector of what `write` writes into a fresh buffer */
  sized(write: (b: Bytes) => void): this {
    const inner = new Bytes();
    write(inner);
    return this.u32(inner.length).bytes(inner.buf.subarray(0, inner.length));
  }

  done(): Uint8Array<ArrayBuffer> {
    return this.buf.slice(0, this.length);
  }
}

const SECTION = { type: 1, import: 2, function: 3, memory: 5, export: 7, code: 10 } as const;

function section(out: Bytes, id: number, write: (b: Bytes) => void): void {
  out.byte(id).sized(write);
}

/** The memory's limits: a flag (max present or not; shared), then min and max in pages. */
function limits(b: Bytes, min: number, max?: number, shared = false): void {
  if (shared && max === undefined) throw new Error("internal: a shared memory needs a maximum");
  if (max === undefined) b.byte(0x00).u32(min);
  else
    b.byte(shared ? 0x03 : 0x01)
      .u32(min)
      .u32(max);
}

/** The module's binary; throws WasmTooLarge for a module past an engine's limits. */
export function encode(m: Module): Uint8Array<ArrayBuffer> {
  checkCounts(m);
  const { types, indexOf } = typesOf(m);
  const funcs = funcIndices(m);
  const out = new Bytes().bytes([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
  section(out, SECTION.type, (b) => {
    b.u32(types.length);
    for (const t of types) {
      b.byte(0x60).u32(t.params.length);
      t.params.forEach((p) => b.byte(VALTYPE_CODE[p]));
      b.u32(t.results.length);
      t.results.forEach((r) => b.byte(VALTYPE_CODE[r]));
    }
  });
  importSection(out, m, indexOf);
  section(out, SECTION.function, (b) => {
    b.u32(m.funcs.length);
    for (const f of m.funcs) b.u32(indexOf(signature(f)));
  });
  if (!m.memory.import)
    section(out, SECTION.memory, (b) =>
      limits(b.u32(1), m.memory.min, m.memory.max, m.memory.shared),
    );
  exportSection(out, m, funcs);
  section(out, SECTION.code, (b) => {
    b.u32(m.funcs.length);
    for (const f of m.funcs)
      b.sized((body) => {
        encodeBody(body, f, funcs);
        checkBytes(`the body of ${f.name}`, body.length, WASM_LIMITS.bodyBytes);
      });
  });
  nameSection(out, m);
  checkBytes("the module", out.length, WASM_LIMITS.moduleBytes);
  return out.done();
}

/** Imported functions, then the memory if it is imported. */
function importSection(out: Bytes, m: Module, indexOf: (t: FuncType) => number): void {
  const mem = m.memory.import;
  if (m.imports.length === 0 && !mem) return;
  section(out, SECTION.import, (b) => {
    b.u32(m.imports.length + (mem ? 1 : 0));
    for (const i of m.imports) b.name(i.module).name(i.field).byte(0x00).u32(indexOf(i));
    if (mem) {
      b.name(mem.module).name(mem.field).byte(0x02);
      limits(b, m.memory.min, m.memory.max, m.memory.shared);
    }
  });
}

/** Exported functions, then the memory if it is exported; no section when nothing is. */
function exportSection(out: Bytes, m: Module, funcs: Map<string, number>): void {
  const exports = m.funcs.filter((f) => f.export !== undefined);
  if (exports.length === 0 && !m.memory.export) return;
  section(out, SECTION.export, (b) => {
    b.u32(exports.length + (m.memory.export ? 1 : 0));
    for (const f of exports) b.name(f.export!).byte(0x00).u32(funcs.get(f.name)!);
    if (m.memory.export) b.name(m.memory.export).byte(0x02).u32(0);
  });
}

function encodeBody(b: Bytes, f: Func, funcs: Map<string, number>): void {
  const groups = localGroups(f.locals);
  b.u32(groups.length);
  for (const g of groups) b.u32(g.count).byte(VALTYPE_CODE[g.type]);
  const locals = localIndices(f);
  const labels: (string | undefined)[] = [];
  for (const ins of flatten(f.body)) {
    if (ins.op === "comment") continue;
    encodeInstr(b, ins, ins.op, { locals, funcs, labels, fn: f.name });
  }
  b.byte(0x0b);
  if (labels.length > 0) throw new Error(`internal: ${f.name} has an unclosed block`);
}

interface Scope {
  locals: Map<string, number>;
  funcs: Map<string, number>;
  /** the open blocks' labels, innermost last */
  labels: (string | undefined)[];
  fn: string;
}

function depth(scope: Scope, label: string | undefined): number {
  const d = label === undefined ? -1 : scope.labels.lastIndexOf(label);
  if (d < 0) throw new Error(`internal: ${scope.fn} branches to unknown label ${label}`);
  return scope.labels.length - 1 - d;
}

function lookup(map: Map<string, number>, name: string | undefined, what: string, fn: string) {
  const i = name === undefined ? undefined : map.get(name);
  if (i === undefined) throw new Error(`internal: ${fn} uses unknown ${what} ${name}`);
  return i;
}

/** How each kind of immediate is written after its opcode. */
const IMMEDIATES: Record<Imm, (b: Bytes, ins: Instr, scope: Scope) => void> = {
  none: () => {},
  block: (b, ins, scope) => {
    b.byte(ins.result ? VALTYPE_CODE[ins.result] : 0x40);
    scope.labels.push(ins.label);
  },
  i32: (b, ins) => b.s32(Number(ins.value)),
  i64: (b, ins) => b.s64(BigInt(ins.value!)),
  f32: (b, ins) => b.f32(Number(ins.value)),
  f64: (b, ins) => b.f64(Number(ins.value)),
  local: (b, ins, scope) => b.u32(lookup(scope.locals, ins.ref, "local", scope.fn)),
  global: () => {
    throw new Error("internal: globals are not supported");
  },
  func: (b, ins, scope) => b.u32(lookup(scope.funcs, ins.ref, "function", scope.fn)),
  label: (b, ins, scope) => b.u32(depth(scope, ins.ref)),
  labels: (b, ins, scope) => {
    b.u32(ins.targets!.length - 1);
    ins.targets!.forEach((t) => b.u32(depth(scope, t)));
  },
  // alignment as its log2, then the offset
  mem: (b, ins) => b.u32(Math.log2(ins.mem!.align)).u32(ins.mem!.offset),
  memlane: (b, ins) =>
    b.u32(Math.log2(ins.mem!.align)).u32(ins.mem!.offset).byte(Number(ins.value)),
  lane: (b, ins) => b.byte(Number(ins.value)),
  bytes16: (b, ins) => b.bytes(ins.bytes!),
  memidx: (b) => b.byte(0x00),
};

function encodeInstr(b: Bytes, ins: Instr, op: Mnemonic, scope: Scope): void {
  const info = opInfo(op);
  if (info.prefix) b.byte(info.prefix).u32(info.code);
  else b.byte(info.code);
  if (op === "end") scope.labels.pop();
  IMMEDIATES[info.imm](b, ins, scope);
}

/** The "name" custom section: subsection 1 names functions, subsection 2 their locals. */
function nameSection(out: Bytes, m: Module): void {
  const funcs = funcIndices(m);
  out.byte(0x00).sized((s) => {
    s.name("name");
    s.byte(0x01).sized((b) => {
      b.u32(funcs.size);
      for (const [name, i] of funcs) b.u32(i).name(name);
    });
    s.byte(0x02).sized((b) => {
      // every function, imports with no names (as wabt writes it)
      b.u32(m.imports.length + m.funcs.length);
      m.imports.forEach((_, i) => b.u32(i).u32(0));
      for (const f of m.funcs) {
        b.u32(funcs.get(f.name)!);
        const all = [...f.params, ...f.locals];
        b.u32(all.length);
        all.forEach((l, i) => b.u32(i).name(l.name));
      }
    });
  });
}

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** What `btoa` gives for the bytes, written directly (no string of char codes in between). */
export function base64(bytes: Uint8Array): string {
  const out: string[] = [];
  const char = (n: number) => BASE64[n & 63]!;
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out.push(char(n >> 18) + char(n >> 12) + char(n >> 6) + char(n));
  }
  const rest = bytes.length - i;
  if (rest > 0) {
    const n = (bytes[i]! << 16) | (rest === 2 ? bytes[i + 1]! << 8 : 0);
    out.push(char(n >> 18) + char(n >> 12) + (rest === 2 ? char(n >> 6) : "=") + "=");
  }
  return out.join("");
}
