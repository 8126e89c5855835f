// What every kernel generator shares: its params (byte pointers into the one memory, i32 sizes
// read at run time, f32 scalars), the elementwise expression format, and address arithmetic.
import type { Attrs } from "../../ir/node.ts";
import type { OpName } from "../../ops/names.ts";
import { get, i32, set, type Code, type Local } from "./code.ts";
import { FuncBuilder } from "./func.ts";
import type { ValType } from "./isa.ts";
import { literal, sizeCode, type Size } from "./sizes.ts";

/**
 * A kernel's param: `ptr` is the byte offset of an f32 array in the memory, `size` an i32 read at
 * run time (a named dim), `f32` a scalar (the learning rate, a mean's divisor), `i32` any other
 * integer (the random generator's state).
 */
export interface KernelParam {
  name: string;
  type: "ptr" | "size" | "f32" | "i32";
}

/**
 * An elementwise expression over the kernel's params:
 * - `op`: an elementwise op of the registry applied to its arguments (see ops.ts);
 * - `load`: the f32 array at pointer param `ptr`, read at each index of the loop's shape with
 *   these strides (in elements, one per dim of the shape; 0 broadcasts along that dim);
 * - `const`: a number; `scalar`: the f32 param `param`, the same for every element.
 */
export type Expr =
  | { kind: "op"; op: OpName; attrs?: Attrs; args: readonly Expr[] }
  | { kind: "load"; ptr: number; strides: readonly Size[] }
  | { kind: "const"; value: number }
  | { kind: "scalar"; param: number };

const VALTYPE: Record<KernelParam["type"], ValType> = {
  ptr: "i32",
  size: "i32",
  f32: "f32",
  i32: "i32",
};

export function kernelBuilder(
  name: string,
  params: readonly KernelParam[],
  results: ValType[] = [],
): FuncBuilder {
  return new FuncBuilder(
    name,
    params.map((p) => ({ name: p.name, type: VALTYPE[p.type] })),
    results,
  );
}

/**
 * A loop over n contiguous elements, 4 lanes at a time, then one at a time: `body` gets the byte
 * offset of the current element(s) and how many lanes count (1: a tail element in lane 0).
 */
export function flatLoop(fb: FuncBuilder, n: Size, body: (offset: Code, lanes: 4 | 1) => Code) {
  const jb = fb.local("jb", "i32");
  const lit = literal(n);
  let bytes: Code;
  if (lit !== undefined) bytes = i32.const(lit * 4);
  else {
    const l = fb.local("nbytes", "i32");
    fb.emit(set(l, i32.shl(sizeCode(fb, n), i32.const(2))));
    bytes = get(l);
  }
  const vecEnd = lit !== undefined ? i32.const(lit * 4 - 12) : i32.sub(bytes, i32.const(12));
  return [
    fb.forUp(jb, i32.const(0), vecEnd, 16, body(get(jb), 4)),
    fb.forUp(jb, null, bytes, 4, body(get(jb), 1)),
  ];
}

/** The param at `index`, checked to be of `type`. */
export function paramOf(
  fb: FuncBuilder,
  params: readonly KernelParam[],
  index: number,
  type: KernelParam["type"],
): Local {
  const p = params[index];
  if (!p || p.type !== type)
    throw new Error(`internal: ${fb.name} param ${index} should be a ${type}`);
  return fb.params[index]!;
}

/** base + offset, a byte address */
export function addr(base: Code, offset: Code): Code {
  return i32.add(base, offset);
}
