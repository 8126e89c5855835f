// One kernel of every generator and variant, for the tests that check all of them the same way
// (wabt reassembles the text to the same bytes; the engine validates them).
import { registry } from "../src/ops/index.ts";
import * as W from "../src/codegen/wasm/index.ts";
import type { OpName } from "../src/ops/names.ts";

const ptrs = (...names: string[]): W.KernelParam[] => names.map((name) => ({ name, type: "ptr" }));
const load = (ptr: number, strides: (number | ReturnType<typeof W.dyn>)[]): W.Expr => ({
  kind: "load",
  ptr,
  strides,
});

/** An elementwise kernel applying `op` to loads of its arity (attributes filled in). */
export function opKernel(op: OpName, n: number | "param" = 11): W.Func {
  const arity = registry[op].arity;
  const params: W.KernelParam[] = [
    ...ptrs("out", ...Array.from({ length: arity }, (_, k) => `x${k}`)),
  ];
  if (n === "param") params.push({ name: "n", type: "size" });
  const attrs = { alpha: 0.3 };
  return W.elementwiseKernel({
    name: `op_${op}`,
    params,
    out: 0,
    shape: [n === "param" ? W.dyn(params.length - 1) : n],
    expr: {
      kind: "op",
      op,
      attrs,
      args: Array.from({ length: arity }, (_, k) => load(k + 1, [1])),
    },
  });
}

export function allKernels(): W.Func[] {
  const lines = { params: [...ptrs("x", "y", "out"), { name: "batch", type: "size" as const }] };
  const ops = Object.keys(W.WASM_OPS) as OpName[];
  return [
    ...ops.map((op) => opKernel(op)),
    W.elementwiseKernel({
      name: "broadcast_scalar_accumulate",
      params: [
        ...ptrs("out", "x", "b", "col"),
        { name: "s", type: "f32" },
        { name: "batch", type: "size" },
      ],
      out: 0,
      shape: [W.dyn(5), 3, 5],
      accumulate: true,
      expr: {
        kind: "op",
        op: "mul",
        args: [
          {
            kind: "op",
            op: "add",
            args: [load(1, [1, W.dyn(5, 5), W.dyn(5)]), load(2, [0, 0, 1])],
          },
          { kind: "op", op: "sub", args: [load(3, [1, 0, 0]), { kind: "scalar", param: 4 }] },
        ],
      },
    }),
    ...(["nn", "nt", "tn"] as const).flatMap((form) => [
      W.matmulKernel({
        name: `mm_${form}_static`,
        form,
        M: 9,
        N: 13,
        K: 7,
        bias: true,
        activation: "sigmoid",
      }),
      W.matmulKernel({
        name: `mm_${form}_dynamic`,
        form,
        M: "param",
        N: "param",
        K: "param",
        activation: "tanh",
        accumulate: true,
      }),
      W.matmulKernel({
        name: `mm_${form}_relaxed`,
        form,
        M: 5,
        N: 9,
        K: 3,
        activation: "relu",
        relaxed: true,
      }),
    ]),
    W.reduceKernel({
      name: "sum_rows",
      op: "sum",
      ...lines,
      outer: W.dyn(3),
      n: 7,
      inner: 1,
      x: 0,
      out: 2,
    }),
    W.reduceKernel({
      name: "mean_cols",
      op: "mean",
      ...lines,
      outer: 1,
      n: W.dyn(3),
      inner: 6,
      x: 0,
      out: 2,
    }),
    W.reduceKernel({
      name: "max_mid",
      op: "max",
      ...lines,
      outer: 2,
      n: 5,
      inner: W.dyn(3),
      x: 0,
      out: 2,
    }),
    W.softmaxKernel({
      name: "softmax_rows",
      op: "softmax",
      ...lines,
      outer: W.dyn(3),
      n: 10,
      inner: 1,
      x: 0,
      out: 2,
    }),
    W.softmaxKernel({
      name: "log_softmax_cols",
      op: "log_softmax",
      ...lines,
      outer: 2,
      n: 3,
      inner: 5,
      x: 0,
      out: 2,
    }),
    W.softmaxXentKernel({
      name: "xent",
      ...lines,
      outer: W.dyn(3),
      n: 10,
      inner: 1,
      z: 0,
      y: 1,
      out: 2,
    }),
    W.softmaxXentGradKernel({
      name: "xent_grad",
      params: [
        ...ptrs("z", "y", "dz"),
        { name: "g", type: "f32" },
        { name: "batch", type: "size" },
      ],
      outer: W.dyn(4),
      n: 10,
      inner: 1,
      z: 0,
      y: 1,
      dz: 2,
      g: 3,
    }),
    W.batchStatsKernel({
      name: "bn_stats",
      params: ptrs("x", "mean", "var", "invstd"),
      outer: 1,
      n: 9,
      inner: 7,
      x: 0,
      mean: 1,
      variance: 2,
      invstd: 3,
      eps: 1e-5,
    }),
    W.batchnormDxKernel(batchnormDxSpec(6, true)),
    W.reduceKernel({
      name: "sum_per_channel",
      op: "sum",
      params: [...ptrs("x", "out"), { name: "batch", type: "size" }],
      outer: 6,
      n: 9,
      inner: 1,
      runs: { count: W.dyn(2), stride: 54 },
      x: 0,
      out: 1,
    }),
    ...imageKernels(),
    W.dropoutKernel({
      name: "dropout",
      params: [...ptrs("mask"), { name: "n", type: "size" }, { name: "state", type: "i32" }],
      out: 0,
      n: W.dyn(1),
      state: 2,
      rate: 0.2,
    }),
    W.optimizerKernel({ name: "sgd", rule: { kind: "sgd", momentum: 0 }, n: 10 }),
    W.optimizerKernel({ name: "momentum", rule: { kind: "sgd", momentum: 0.9 }, n: "param" }),
    W.optimizerKernel({ name: "rmsprop", rule: { kind: "rmsprop", rho: 0.9, eps: 1e-8 }, n: 7 }),
    W.optimizerKernel({
      name: "adam",
      rule: { kind: "adam", beta1: 0.9, beta2: 0.999, eps: 1e-8 },
      n: 13,
    }),
  ];
}

/** batchnorm_dx over [batch, C] (batch the last param), gamma one number or one per feature */
export function batchnormDxSpec(C: number, scalarGamma: boolean) {
  return {
    name: "bn_dx",
    params: [
      ...ptrs("dy", "x", "mu", "invstd", "gamma", "dx", "dgamma", "dbeta"),
      { name: "batch", type: "size" as const },
    ],
    outer: 1,
    n: W.dyn(8),
    inner: C,
    dy: 0,
    x: 1,
    mu: { ptr: 2 },
    invstd: { ptr: 3 },
    gamma: { ptr: 4, broadcast: scalarGamma },
    dx: 5,
    dgamma: 6,
    dbeta: 7,
  };
}

/** Each convolution and pooling kernel, with padding, strides, groups and an epilogue. */
function imageKernels(): W.Func[] {
  const window = { stride: [2, 1] as [number, number], dilation: [1, 2] as [number, number] };
  const geo: W.ConvShape = {
    ...{ N: "param", C: 4, H: 7, W: 6, O: 6, kh: 3, kw: 2, OH: 4, OW: 5, groups: 2 },
    ...window,
    pad: [1, 1, 1, 0],
  };
  const conv = (["conv2d", "conv2d_dx", "conv2d_dw"] as const).flatMap((kind) =>
    W.convKernel({ name: kind, kind, geo, bias: kind === "conv2d", activation: "relu" }),
  );
  const pool: W.PoolShape = {
    ...{ N: 3, C: 2, H: 9, W: 13, kh: 3, kw: 3, OH: 5, OW: 7 },
    ...{ stride: [2, 2], pad: [1, 1, 1, 1], dilation: [1, 1] },
  };
  const pools = (["max", "avg"] as const).flatMap((op) =>
    (["pool", "pool_dx"] as const).map((kind) =>
      W.poolKernel({ name: `${op}_${kind}`, kind, op, geo: pool }),
    ),
  );
  return [...conv, ...pools];
}
