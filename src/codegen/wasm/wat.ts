// The WebAssembly text of a module, for reading: expressions folded as the kernels build them,
// `(f32x4.add (local.get $acc) (f32x4.mul ...))` (or flat, one instruction per line), blocks and
// loops indented, every local, label and function by name, f32 constants as the shortest decimal
// that reads back as the same f32, and the comments the kernels attach. wabt's wat2wasm turns this text into the very
// bytes `encode` writes (test/wasm-encoder.test.ts checks it).
import { flatten, isFolded, type Code, type Instr } from "./code.ts";
import { opInfo, type Mnemonic, type ValType } from "./isa.ts";
import { signature, typesOf, type Func, type FuncType, type Module } from "./module.ts";
import { isWatId, watComment, watString } from "../text.ts";

/** `$name`: every name of a function, local or label is a WAT identifier by construction (watId). */
function id(name: string): string {
  if (!isWatId(name)) throw new Error(`internal: ${JSON.stringify(name)} is not a WAT identifier`);
  return `$${name}`;
}

function bitsOf32(x: number): number {
  const dv = new DataView(new ArrayBuffer(4));
  dv.setFloat32(0, x);
  return dv.getUint32(0);
}

/** An f32 as the text format reads it back bit for bit. */
export function formatF32(x: number): string {
  if (Number.isNaN(x)) {
    const bits = bitsOf32(x);
    const sign = bits >>> 31 ? "-" : "";
    const payload = bits & 0x7fffff;
    return payload === 0x400000 ? `${sign}nan` : `${sign}nan:0x${payload.toString(16)}`;
  }
  if (x === Infinity) return "inf";
  if (x === -Infinity) return "-inf";
  if (Object.is(x, -0)) return "-0";
  for (let p = 1; p < 9; p++) {
    const s = x.toPrecision(p);
    if (Math.fround(Number(s)) === x) return String(Number(s));
  }
  return x.toPrecision(9);
}

function formatF64(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (x === Infinity) return "inf";
  if (x === -Infinity) return "-inf";
  return Object.is(x, -0) ? "-0" : String(x);
}

function v128Text(ins: Instr): string {
  const dv = new DataView(new Uint8Array(ins.bytes!).buffer);
  const lanes = [0, 1, 2, 3];
  if (ins.lanes === "f32x4")
    return `f32x4 ${lanes.map((i) => formatF32(dv.getFloat32(i * 4, true))).join(" ")}`;
  return `i32x4 ${lanes
    .map(
      (i) =>
        `0x${dv
          .getUint32(i * 4, true)
          .toString(16)
          .padStart(8, "0")}`,
    )
    .join(" ")}`;
}

function memarg(ins: Instr, op: Mnemonic): string {
  const { offset, align } = ins.mem!;
  const parts = [];
  if (offset !== 0) parts.push(`offset=${offset}`);
  if (align !== opInfo(op).natural) parts.push(`align=${align}`);
  return parts.join(" ");
}

function immediate(ins: Instr, op: Mnemonic): string {
  const info = opInfo(op);
  switch (info.imm) {
    case "none":
    case "memidx":
      return "";
    case "block":
      return [ins.label ? id(ins.label) : "", ins.result ? `(result ${ins.result})` : ""]
        .filter(Boolean)
        .join(" ");
    case "i32":
    case "i64":
      return String(ins.value);
    case "f32":
      return formatF32(Number(ins.value));
    case "f64":
      return formatF64(Number(ins.value));
    case "local":
    case "global":
    case "func":
    case "label":
      return id(ins.ref!);
    case "labels":
      return ins.targets!.map(id).join(" ");
    case "mem":
      return memarg(ins, op);
    case "memlane":
      return [memarg(ins, op), String(ins.value)].filter(Boolean).join(" ");
    case "lane":
      return String(ins.value);
    case "bytes16":
      return op === "v128.const" ? v128Text(ins) : ins.bytes!.join(" ");
  }
}

const STRUCTURE = new Set(["block", "loop", "if", "else", "end", "comment"]);

/** One instruction as text, `op immediates`. */
function instrText(ins: Instr): string {
  const op = ins.op as Mnemonic;
  const imm = immediate(ins, op);
  return `${op}${imm ? ` ${imm}` : ""}`;
}

/** Prints a body: structured instructions flat, indented by depth; expressions folded or flat. */
class BodyPrinter {
  readonly lines: string[] = [];
  private depth = 0;

  constructor(
    private readonly indent: string,
    private readonly folded: boolean,
  ) {}

  print(code: Code): void {
    if (Array.isArray(code)) for (const c of code as readonly Code[]) this.print(c);
    else if (isFolded(code) && this.folded && !flatten(code).some((i) => STRUCTURE.has(i.op)))
      this.push(...this.foldedLines(code));
    else if (isFolded(code)) flatten(code).forEach((i) => this.instr(i));
    else this.instr(code as Instr);
  }

  private push(...lines: string[]): void {
    const pad = this.indent + "  ".repeat(this.depth);
    for (const l of lines) this.lines.push(pad + l);
  }

  private instr(ins: Instr): void {
    if (ins.op === "comment") return this.push(`;; ${watComment(ins.text!)}`);
    if (ins.op === "end" || ins.op === "else") this.depth--;
    this.push(instrText(ins));
    if (ins.op === "block" || ins.op === "loop" || ins.op === "if" || ins.op === "else")
      this.depth++;
  }

  /** `(op imm arg...)` on one line where it fits, else one operand per line */
  private foldedLines(code: Code): string[] {
    if (!isFolded(code)) return [`(${instrText(code as Instr)})`];
    const args = code.args.flatMap((a) => operands(a)).map((a) => this.foldedLines(a));
    const head = `(${instrText(code.instr)}`;
    const oneLiner = `${head}${args.map((a) => ` ${a.join(" ")}`).join("")})`;
    if (args.every((a) => a.length === 1) && oneLiner.length <= 90) return [oneLiner];
    const lines = [head, ...args.flatMap((a) => a.map((l) => `  ${l}`))];
    lines[lines.length - 1] += ")";
    return lines;
  }
}

/** The items of an operand list: nested arrays opened up. */
function operands(code: Code): Code[] {
  return Array.isArray(code) ? (code as readonly Code[]).flatMap(operands) : [code];
}

function instrLines(f: Func, indent: string, folded: boolean): string[] {
  const p = new BodyPrinter(indent, folded);
  p.print(f.body);
  return p.lines;
}

function typeText(t: FuncType): string {
  const params = t.params.length ? ` (param ${t.params.join(" ")})` : "";
  const results = t.results.length ? ` (result ${t.results.join(" ")})` : "";
  return `(func${params}${results})`;
}

function funcText(f: Func, typeIndex: number, folded: boolean): string[] {
  const params = f.params.map((p) => ` (param ${id(p.name)} ${p.type})`).join("");
  const results = f.results.length ? ` (result ${f.results.join(" ")})` : "";
  const exp = f.export !== undefined ? ` (export ${watString(f.export)})` : "";
  const lines = (f.comments ?? []).map((c) => `  ;; ${watComment(c)}`);
  lines.push(`  (func ${id(f.name)}${exp} (type ${typeIndex})${params}${results}`);
  if (f.locals.length > 0) lines.push(`    ${f.locals.map(localText).join(" ")}`);
  lines.push(...instrLines(f, "    ", folded));
  lines[lines.length - 1] += ")";
  return lines;
}

const localText = (l: { name: string; type: ValType }) => `(local ${id(l.name)} ${l.type})`;

function limitsText(m: Module): string {
  const shared = m.memory.shared ? " shared" : "";
  return m.memory.max === undefined
    ? `${m.memory.min}`
    : `${m.memory.min} ${m.memory.max}${shared}`;
}

export interface WatOptions {
  /** expressions as nested `(op operands...)` (the default), or one instruction per line */
  folded?: boolean;
}

/** The module's text. */
export function printWat(m: Module, options: WatOptions = {}): string {
  const folded = options.folded ?? true;
  const { types, indexOf } = typesOf(m);
  const lines = ["(module"];
  types.forEach((t, i) => lines.push(`  (type (;${i};) ${typeText(t)})`));
  for (const i of m.imports)
    lines.push(
      `  (import ${watString(i.module)} ${watString(i.field)} ` +
        `(func ${id(i.name)} (type ${indexOf(i)})))`,
    );
  const mi = m.memory.import;
  if (mi)
    lines.push(
      `  (import ${watString(mi.module)} ${watString(mi.field)} (memory ${limitsText(m)}))`,
    );
  else lines.push(`  (memory ${limitsText(m)})`);
  for (const f of m.funcs) lines.push(...funcText(f, indexOf(signature(f)), folded));
  if (m.memory.export) lines.push(`  (export ${watString(m.memory.export)} (memory 0))`);
  lines.push(")");
  return lines.join("\n") + "\n";
}
