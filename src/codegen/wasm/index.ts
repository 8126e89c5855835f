// The WebAssembly target's building blocks: the module description and its encoders (binary and
// text), and the kernel generators the wasm emitter calls for a schedule. README.md here explains
// the kernels and how a generated module should hold its memory.
export type { Code, Instr, Local } from "./code.ts";
export type { Func, FuncImport, MemorySpec, Module } from "./module.ts";
export type { ValType } from "./isa.ts";
export { encode } from "./encode.ts";
export { printWat } from "./wat.ts";
export { FuncBuilder } from "./func.ts";
export { hasRelaxedSimd } from "./features.ts";
export { dyn, broadcastStrides, rowMajor, type Size } from "./sizes.ts";
export type { Expr, KernelParam } from "./kernel.ts";
export { WASM_OPS } from "./ops.ts";
export { elementwiseKernel, type ElementwiseSpec } from "./elementwise.ts";
export { matmulKernel, matmulParams, type MatmulSpec, type Activation } from "./matmul.ts";
export {
  batchnormDxKernel,
  batchStatsKernel,
  reduceKernel,
  softmaxKernel,
  softmaxXentGradKernel,
  softmaxXentKernel,
  type LineLayout,
  type PerFeature,
} from "./lines-kernels.ts";
export { dropoutKernel, type DropoutSpec } from "./dropout.ts";
export { convKernel, convParams, type ConvSpec } from "./conv.ts";
export { convWork, type ConvShape, type ConvKind } from "./conv-work.ts";
export { poolKernel, poolParams, type PoolSpec, type PoolShape } from "./pool.ts";
export {
  optimizerKernel,
  optimizerParams,
  type OptimizerRule,
  type OptimizerSpec,
} from "./optim.ts";
