// Shared helpers of the wasm kernel tests: instantiate functions in one memory, place arrays in it,
// measure errors in ulps of f32.
import { encode } from "../src/codegen/wasm/encode.ts";
import type { Func, Module } from "../src/codegen/wasm/module.ts";

/** a timeout for tests that compile many kernels: a guard against hangs on a loaded machine */
export const SLOW = 60_000;

export interface Instance {
  memory: WebAssembly.Memory;
  fns: Record<string, (...args: number[]) => number>;
  /** a fresh f32 view of `n` floats at byte offset `at` */
  f32(at: number, n: number): Float32Array;
  /** copies `data` to a fresh region; returns its byte offset */
  put(data: ArrayLike<number>): number;
  /** a zeroed region of `n` floats (plus slack); returns its byte offset */
  alloc(n: number): number;
  /** forgets every region (the next ones start at the bottom again) */
  reset(): void;
}

export function moduleOf(funcs: Func[], pages = 1): Module {
  return {
    memory: { min: pages, import: { module: "env", field: "memory" } },
    imports: [],
    funcs: funcs.map((f) => ({ ...f, export: f.export ?? f.name })),
  };
}

/** Instantiates `funcs` over a memory of `pages` 64 KiB pages; a bump allocator places arrays. */
export function instantiate(funcs: Func[], pages = 64): Instance {
  const memory = new WebAssembly.Memory({ initial: pages });
  const mod = new WebAssembly.Module(encode(moduleOf(funcs, pages)));
  const inst = new WebAssembly.Instance(mod, { env: { memory } });
  const fns = inst.exports as unknown as Record<string, (...args: number[]) => number>;
  // start at 16 so that a wrong offset of 0 shows up as a wrong result, not as a lucky one
  let top = 16;
  const alloc = (n: number) => {
    const at = top;
    // 16 bytes of slack between regions, poisoned with NaN: an overrun shows in the results
    top += Math.ceil((n * 4 + 16) / 16) * 16;
    if (top > memory.buffer.byteLength) throw new Error("test memory too small");
    new Float32Array(memory.buffer, at, (top - at) / 4).fill(0);
    new Float32Array(memory.buffer, at + n * 4, (top - at) / 4 - n).fill(NaN);
    return at;
  };
  return {
    memory,
    fns,
    f32: (at, n) => new Float32Array(memory.buffer, at, n),
    alloc,
    reset: () => (top = 16),
    put(data) {
      const at = alloc(data.length);
      new Float32Array(memory.buffer, at, data.length).set(data);
      return at;
    },
  };
}

/** The distance between adjacent f32 values around `x` (the ulp of its binade). */
export function ulpOf(x: number): number {
  const a = Math.abs(x);
  if (!(a >= 2 ** -126)) return 2 ** -149;
  if (a === Infinity) return Infinity;
  return 2 ** (Math.floor(Math.log2(a)) - 23);
}

/** |got - want| in ulps of f32 at `want` (0 where both are the same NaN/Inf, Inf on a mismatch). */
export function ulpError(got: number, want: number): number {
  if (Number.isNaN(want)) return Number.isNaN(got) ? 0 : Infinity;
  const w = Math.fround(want);
  if (!Number.isFinite(w)) return got === w ? 0 : Infinity;
  if (!Number.isFinite(got)) return Infinity;
  // the f32 rounding of the exact value is at most half an ulp away: measure from the exact value
  return Math.abs(got - want) / ulpOf(w);
}

/** max |a - b| / max(1e-30, |b|), and where */
export function maxRelError(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1) {
  let worst = 0;
  let at = -1;
  for (let i = 0; i < b.length; i++) {
    const e = Math.abs(a[i]! - b[i]!) / Math.max(floor, Math.abs(b[i]!));
    if (!(e <= worst)) {
      worst = Number.isNaN(e) ? Infinity : e;
      at = i;
    }
  }
  return { worst, at };
}

/** seeded uniform numbers in [lo, hi) */
export function uniform(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    out[i] = lo + (hi - lo) * (((t ^ (t >>> 14)) >>> 0) / 4294967296);
  }
  return out;
}
