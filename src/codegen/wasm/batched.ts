// A batch of matrix products (attention's heads, a product of batches that cannot be folded into
// one): a driver that calls the one-product kernel once per index of the batch, each operand's
// pointer stepping by its matrix's size in bytes (or staying, for an operand shared by every
// product); a summed batch zeroes C first and accumulates (C += A'B') in the product kernel.
import { call, f32, get, i32, set, store, type Code, type Local } from "./code.ts";
import { kernelBuilder, type KernelParam } from "./kernel.ts";
import type { Func } from "./module.ts";

export interface BatchSpec {
  name: string;
  /** the product kernel's name and params (C, A, B, then the sizes read at run time) */
  product: { name: string; params: readonly KernelParam[] };
  /** M, N and K: literals, or the index of the product kernel's size param holding them */
  sizes: Record<"M" | "N" | "K", number | { param: number }>;
  aShared: boolean;
  bShared: boolean;
  sum: boolean;
}

/** The driver's params: the product kernel's, then `count`, the number of products. */
export function batchParams(spec: BatchSpec): KernelParam[] {
  return [...spec.product.params, { name: "count", type: "size" }];
}

export function batchDriver(spec: BatchSpec): Func {
  const params = batchParams(spec);
  const fb = kernelBuilder(spec.name, params);
  const own = (i: number): Local => fb.param(params[i]!.name);
  const [C, A, B] = [own(0), own(1), own(2)];
  const size = (d: "M" | "N" | "K"): Code => {
    const s = spec.sizes[d];
    return typeof s === "number" ? i32.const(s) : get(own(s.param));
  };
  // bytes of one matrix of each operand
  const bytes = (x: "M" | "N" | "K", y: "M" | "N" | "K") => {
    const l = fb.local(`${x}${y}_bytes`, "i32");
    fb.emit(set(l, i32.shl(i32.mul(size(x), size(y)), i32.const(2))));
    return l;
  };
  const [ak, kb, mn] = [bytes("M", "K"), bytes("K", "N"), bytes("M", "N")];
  if (spec.sum) fb.emit(zero(fb, C, mn));
  const t = fb.local("t", "i32");
  const args = params.slice(0, -1).map((_, i) => get(own(i)));
  const step = (p: Local, by: Local): Code => set(p, i32.add(get(p), get(by)));
  fb.emit(
    fb.forUp(t, i32.const(0), get(own(params.length - 1)), 1, [
      call(spec.product.name, ...args),
      spec.aShared ? [] : step(A, ak),
      spec.bShared ? [] : step(B, kb),
      spec.sum ? [] : step(C, mn),
    ]),
  );
  return fb.finish({
    comments: [
      `one product per index of the batch${spec.sum ? ", summed into C" : ""}: ${spec.product.name}`,
    ],
  });
}

/** C[0 .. bytes) = 0 (once per call, before the products: scalar stores are enough). */
function zero(fb: ReturnType<typeof kernelBuilder>, C: Local, bytes: Local): Code {
  const at = fb.local("at", "i32");
  const body = store("f32.store", i32.add(get(C), get(at)), f32.const(0));
  return fb.forUp(at, i32.const(0), get(bytes), 4, body);
}
