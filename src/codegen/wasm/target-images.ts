// The wasm target's image kernels: a convolution or pooling kernel of the schedule as the
// functions of conv.ts and pool.ts, and the arguments of its call (the tensors in the schedule's
// order, the workspace as the kernel's scratch buffer, the batch where it is read at run time).
import type { Dim } from "../../ir/node.ts";
import type { Kernel } from "../schedule/kernels.ts";
import { convKernel, convParams, type ConvSpec } from "./conv.ts";
import { convWork } from "./conv-work.ts";
import type { KernelParam } from "./kernel.ts";
import { poolKernel, poolParams, type PoolSpec } from "./pool.ts";
import type { ArgRef, WasmKernel } from "./target.ts";

/** The kernel's functions and call, or null for a kernel that is not a convolution or a pool. */
export function imageKernel(k: Kernel, name: string): WasmKernel | null {
  const spec = k.spec;
  const batch = (N: Dim) => (typeof N === "number" ? N : "param");
  switch (spec.kind) {
    case "conv2d":
    case "conv2d_dx":
    case "conv2d_dw": {
      const e = spec.kind === "conv2d" ? spec.epilogue : undefined;
      const conv: ConvSpec = {
        name,
        kind: spec.kind,
        geo: { ...spec.geo, N: batch(spec.geo.N) },
        ...(e?.bias ? { bias: true } : {}),
        ...(e?.activation ? { activation: e.activation } : {}),
      };
      const args = refs(convParams(conv), spec.geo.N);
      const scratch = [convWork(conv.geo, conv.kind).floats];
      return { funcs: convKernel(conv), calls: [{ func: name, args }], scratch };
    }
    case "pool":
    case "pool_dx": {
      const pool: PoolSpec = {
        name,
        kind: spec.kind,
        op: spec.op,
        geo: { ...spec.geo, N: batch(spec.geo.N) },
      };
      const args = refs(poolParams(pool), spec.geo.N);
      return { funcs: [poolKernel(pool)], calls: [{ func: name, args }] };
    }
    default:
      return null;
  }
}

/** The params' arguments: the pointers are the kernel's tensors in order, but the workspace. */
function refs(params: KernelParam[], N: Dim): ArgRef[] {
  let tensor = 0;
  return params.map((p): ArgRef => {
    if (p.type === "size") return { kind: "dim", name: String(N) };
    if (p.name === "work") return { kind: "scratch" };
    return { kind: "tensor", index: tensor++ };
  });
}
