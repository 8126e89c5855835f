// Workload 1 (bench/models/mlp.nn: 784-128 relu-10, softmax + cross-entropy, SGD) as one wasm
// module built from the kernel library by hand: the schedule the wasm emitter will generate,
// written out. bench/wasm-kernels.ts times it against the JS target, and test/wasm-mlp.test.ts
// checks that it trains as the JS target does. Memory layout (src/codegen/wasm/README.md):
// params and their gradients at fixed offsets from 0, then the activations, sized for the batch.
import {
  encode,
  matmulKernel,
  optimizerKernel,
  reduceKernel,
  softmaxXentGradKernel,
  softmaxXentKernel,
  softmaxKernel,
  elementwiseKernel,
  dyn,
  type Func,
  type KernelParam,
} from "../src/codegen/wasm/index.ts";

const IN = 784;
const HID = 128;
const OUT = 10;
export const PARAMS = { "h.W": IN * HID, "h.b": HID, "z.W": HID * OUT, "z.b": OUT } as const;
type Name = keyof typeof PARAMS;

const ptr = (name: string): KernelParam => ({ name, type: "ptr" });
const BATCH: KernelParam = { name: "batch", type: "size" };

function kernels(): Func[] {
  return [
    matmulKernel({
      name: "hidden",
      form: "nn",
      M: "param",
      N: HID,
      K: IN,
      bias: true,
      activation: "relu",
    }),
    matmulKernel({ name: "logits", form: "nn", M: "param", N: OUT, K: HID, bias: true }),
    softmaxKernel({
      name: "softmax",
      op: "softmax",
      params: [ptr("z"), ptr("p"), BATCH],
      outer: dyn(2),
      n: OUT,
      inner: 1,
      x: 0,
      out: 1,
    }),
    softmaxXentKernel({
      name: "xent",
      params: [ptr("z"), ptr("y"), ptr("loss"), BATCH],
      outer: dyn(3),
      n: OUT,
      inner: 1,
      z: 0,
      y: 1,
      out: 2,
    }),
    reduceKernel({
      name: "mean",
      op: "mean",
      params: [ptr("x"), ptr("out"), BATCH],
      outer: 1,
      n: dyn(2),
      inner: 1,
      x: 0,
      out: 1,
    }),
    softmaxXentGradKernel({
      name: "d_logits",
      params: [ptr("z"), ptr("y"), ptr("dz"), { name: "g", type: "f32" }, BATCH],
      outer: dyn(4),
      n: OUT,
      inner: 1,
      z: 0,
      y: 1,
      dz: 2,
      g: 3,
    }),
    matmulKernel({ name: "d_zW", form: "tn", M: HID, N: OUT, K: "param" }),
    matmulKernel({ name: "d_h", form: "nt", M: "param", N: HID, K: OUT }),
    matmulKernel({ name: "d_hW", form: "tn", M: IN, N: HID, K: "param" }),
    ...[OUT, HID].map((n) =>
      reduceKernel({
        name: `colsum${n}`,
        op: "sum",
        params: [ptr("x"), ptr("out"), BATCH],
        outer: 1,
        n: dyn(2),
        inner: n,
        x: 0,
        out: 1,
      }),
    ),
    // d h_pre = d h * (h > 0), in place
    elementwiseKernel({
      name: "d_relu",
      params: [ptr("dh"), ptr("h"), BATCH],
      out: 0,
      shape: [dyn(2), HID],
      expr: {
        kind: "op",
        op: "mul",
        args: [
          { kind: "load", ptr: 0, strides: [HID, 1] },
          { kind: "op", op: "gt0", args: [{ kind: "load", ptr: 1, strides: [HID, 1] }] },
        ],
      },
    }),
    ...Object.entries(PARAMS).map(([name, n]) =>
      optimizerKernel({
        name: `update_${name.replace(".", "_")}`,
        rule: { kind: "sgd", momentum: 0 },
        n,
      }),
    ),
  ];
}

export interface WasmMlp {
  /** views of the params in the module's memory */
  params: Record<Name, Float32Array>;
  /** one SGD step on a batch; returns the loss before the step */
  step(x: Float32Array, y: Float32Array): number;
  /** the probabilities of `rows` (at most the batch) rows of x: a view valid until the next call */
  forward(x: Float32Array, rows: number): Float32Array;
  bytes: number;
}

let compiled: WebAssembly.Module | null = null;

export function wasmMlp(init: Record<string, Float32Array>, batch: number, lr: number): WasmMlp {
  compiled ??= new WebAssembly.Module(
    encode({
      memory: { min: 1, import: { module: "env", field: "memory" } },
      imports: [],
      funcs: kernels().map((f) => ({ ...f, export: f.name })),
    }),
  );
  // the layout: params, their gradients, then the batch-sized buffers
  const sizes: [string, number][] = [
    ...Object.entries(PARAMS),
    ...Object.entries(PARAMS).map(([k, n]) => [`d_${k}`, n] as [string, number]),
    ["x", batch * IN],
    ["y", batch * OUT],
    ["h", batch * HID],
    ["z", batch * OUT],
    ["loss_line", batch],
    ["loss", 4],
    ["dz", batch * OUT],
    ["dh", batch * HID],
    ["p", batch * OUT],
  ];
  const at: Record<string, number> = {};
  let top = 0;
  for (const [k, n] of sizes) {
    at[k] = top;
    top += Math.ceil((n * 4) / 16) * 16;
  }
  const memory = new WebAssembly.Memory({ initial: Math.ceil(top / 65536) });
  const f = new WebAssembly.Instance(compiled, { env: { memory } }).exports as Record<
    string,
    (...a: number[]) => number
  >;
  const view = (k: string, n: number) => new Float32Array(memory.buffer, at[k], n);
  const params = Object.fromEntries(
    Object.entries(PARAMS).map(([k, n]) => [k, view(k, n)]),
  ) as Record<Name, Float32Array>;
  for (const k of Object.keys(PARAMS) as Name[]) params[k].set(init[k]!);
  const xv = view("x", batch * IN);
  const yv = view("y", batch * OUT);
  const loss = view("loss", 1);
  const p = view("p", batch * OUT);
  const a = (k: string) => at[k]!;
  return {
    params,
    bytes: top,
    step(x, y) {
      xv.set(x);
      yv.set(y);
      const B = batch;
      f["hidden"]!(a("h"), a("x"), a("h.W"), a("h.b"), B);
      f["logits"]!(a("z"), a("h"), a("z.W"), a("z.b"), B);
      f["xent"]!(a("z"), a("y"), a("loss_line"), B);
      f["mean"]!(a("loss_line"), a("loss"), B);
      f["d_logits"]!(a("z"), a("y"), a("dz"), 1 / B, B);
      f["d_zW"]!(a("d_z.W"), a("h"), a("dz"), B);
      f["colsum10"]!(a("dz"), a("d_z.b"), B);
      f["d_h"]!(a("dh"), a("dz"), a("z.W"), B);
      f["d_relu"]!(a("dh"), a("h"), B);
      f["d_hW"]!(a("d_h.W"), a("x"), a("dh"), B);
      f["colsum128"]!(a("dh"), a("d_h.b"), B);
      for (const k of Object.keys(PARAMS))
        f[`update_${k.replace(".", "_")}`]!(a(k), a(`d_${k}`), lr);
      return loss[0]!;
    },
    forward(x, rows) {
      xv.set(x);
      f["hidden"]!(a("h"), a("x"), a("h.W"), a("h.b"), rows);
      f["logits"]!(a("z"), a("h"), a("z.W"), a("z.b"), rows);
      f["softmax"]!(a("z"), a("p"), rows);
      return p.subarray(0, rows * OUT);
    },
  };
}
