// A WebAssembly module as data: one memory (imported or defined, optionally exported), imported
// functions, and functions with named params and locals. `encode` (encode.ts) writes its binary
// and `printWat` (wat.ts) its text, both from this one description.
import type { Code, Local } from "./code.ts";
import type { ValType } from "./isa.ts";

export interface Func {
  name: string;
  params: readonly Local[];
  results: readonly ValType[];
  locals: readonly Local[];
  body: Code;
  /** exported under this name */
  export?: string;
  /** printed above the function in the WAT, e.g. `line 6: h = x |> dense(128)` */
  comments?: readonly string[];
}

export interface FuncImport {
  /** the name calls use inside the module */
  name: string;
  module: string;
  field: string;
  params: readonly ValType[];
  results: readonly ValType[];
}

export interface MemorySpec {
  /** initial size in 64 KiB pages */
  min: number;
  max?: number;
  /** imported from (module, field); otherwise defined by the module */
  import?: { module: string; field: string };
  /** exported under this name */
  export?: string;
  /** shared (a SharedArrayBuffer's): growing it leaves views of it valid; needs `max` */
  shared?: boolean;
}

export interface Module {
  memory: MemorySpec;
  imports: readonly FuncImport[];
  funcs: readonly Func[];
}

export interface FuncType {
  params: readonly ValType[];
  results: readonly ValType[];
}

const typeKey = (t: FuncType) => `${t.params.join(",")}->${t.results.join(",")}`;

/** Every distinct function type, in first-use order (imports first), and each function's index. */
export function typesOf(m: Module): { types: FuncType[]; indexOf(t: FuncType): number } {
  const types: FuncType[] = [];
  const index = new Map<string, number>();
  const add = (t: FuncType) => {
    const key = typeKey(t);
    if (!index.has(key)) {
      index.set(key, types.length);
      types.push(t);
    }
  };
  for (const i of m.imports) add(i);
  for (const f of m.funcs) add(signature(f));
  return { types, indexOf: (t) => index.get(typeKey(t))! };
}

export function signature(f: Func): FuncType {
  return { params: f.params.map((p) => p.type), results: f.results };
}

/** Function indices by name: imports first, then the module's functions. */
export function funcIndices(m: Module): Map<string, number> {
  const names = [...m.imports.map((i) => i.name), ...m.funcs.map((f) => f.name)];
  const map = new Map<string, number>();
  names.forEach((n, i) => {
    if (map.has(n)) throw new Error(`internal: two wasm functions are named ${n}`);
    map.set(n, i);
  });
  return map;
}

/** Local indices by name: params first, then locals. */
export function localIndices(f: Func): Map<string, number> {
  const map = new Map<string, number>();
  [...f.params, ...f.locals].forEach((l, i) => {
    if (map.has(l.name)) throw new Error(`internal: ${f.name} has two locals named ${l.name}`);
    map.set(l.name, i);
  });
  return map;
}

/** Consecutive locals of one type, as the binary format groups them. */
export function localGroups(locals: readonly Local[]): { count: number; type: ValType }[] {
  const groups: { count: number; type: ValType }[] = [];
  for (const l of locals) {
    const last = groups[groups.length - 1];
    if (last && last.type === l.type) last.count++;
    else groups.push({ count: 1, type: l.type });
  }
  return groups;
}
