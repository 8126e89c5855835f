// LeNet's convolutions for `npm run bench:kernels` (models/lenet.nn at batch 64): the wasm
// kernels (src/codegen/wasm/conv.ts) next to the JS target's (src/codegen/js/conv.ts), the batch
// read at run time in both; and a whole LeNet training step on each target.
import { readFileSync } from "node:fs";
import type { ConvGeometry } from "../src/ops/conv.ts";
import type { KernelSpec } from "../src/codegen/schedule/kernels.ts";
import { convLines, convParams as jsParams } from "../src/codegen/js/conv.ts";
import { convKernel, convParams, convWork, encode } from "../src/codegen/wasm/index.ts";
import type { ConvKind, ConvSpec } from "../src/codegen/wasm/index.ts";
import { compile } from "../src/index.ts";
import { rng } from "./common.ts";
import { measure, type Timed } from "./measure.ts";

type Geo = Omit<ConvGeometry, "N">;
const window: Pick<Geo, "stride" | "dilation" | "groups"> = {
  stride: [1, 1],
  dilation: [1, 1],
  groups: 1,
};
/** LeNet's second convolution: [64, 6, 14, 14] * [16, 6, 5, 5] -> [64, 16, 10, 10] */
const L2: Geo = {
  ...{ C: 6, H: 14, W: 14, O: 16, kh: 5, kw: 5, OH: 10, OW: 10, pad: [0, 0, 0, 0] },
  ...window,
};
/** its first: [64, 1, 28, 28] * [6, 1, 5, 5], padding 2 -> [64, 6, 28, 28] */
const L1: Geo = {
  ...{ C: 1, H: 28, W: 28, O: 6, kh: 5, kw: 5, OH: 28, OW: 28, pad: [2, 2, 2, 2] },
  ...window,
};

interface Conv {
  label: string;
  kind: ConvKind;
  geo: Geo;
}

const CONVS: Conv[] = [
  { label: "layer 2 forward + bias + relu [64,6,14,14]*[16,6,5,5]", kind: "conv2d", geo: L2 },
  { label: "layer 2 d_input (conv_transpose2d)", kind: "conv2d_dx", geo: L2 },
  { label: "layer 2 d_W (conv2d_weight)", kind: "conv2d_dw", geo: L2 },
  {
    label: "layer 1 forward + bias + relu [64,1,28,28]*[6,1,5,5], padding 2",
    kind: "conv2d",
    geo: L1,
  },
  { label: "layer 1 d_W", kind: "conv2d_dw", geo: L1 },
];

const BATCH = 64;
const random = rng(5);
const data = (n: number) => Float32Array.from({ length: n }, () => random() * 2 - 1);

/** The sizes of a kernel's arrays in floats, in its params' order (the output last). */
function arrays(c: Conv): number[] {
  const g = c.geo;
  const [x, w, y] = [BATCH * g.C * g.H * g.W, g.O * g.C * g.kh * g.kw, BATCH * g.O * g.OH * g.OW];
  if (c.kind === "conv2d") return [x, w, g.O, y];
  return c.kind === "conv2d_dx" ? [y, w, x] : [x, y, w];
}

function wasmConv(c: Conv): () => void {
  const spec: ConvSpec = {
    name: "conv",
    kind: c.kind,
    geo: { ...c.geo, N: "param" },
    ...(c.kind === "conv2d" ? { bias: true, activation: "relu" as const } : {}),
  };
  const funcs = convKernel(spec).map((f, i) => (i === 0 ? { ...f, export: "conv" } : f));
  const mod = new WebAssembly.Module(
    encode({ memory: { min: 1, import: { module: "env", field: "memory" } }, imports: [], funcs }),
  );
  const sizes = [...arrays(c), convWork(spec.geo, c.kind).floats];
  const memory = new WebAssembly.Memory({
    initial: Math.ceil((sizes.reduce((a, b) => a + b) * 4 + 1024) / 65536) + 1,
  });
  const conv = new WebAssembly.Instance(mod, { env: { memory } }).exports["conv"] as (
    ...a: number[]
  ) => void;
  let top = 0;
  const ptrs = sizes.map((n) => {
    const at = top;
    new Float32Array(memory.buffer, at, n).set(data(n));
    top += Math.ceil(n / 4) * 16;
    return at;
  });
  if (convParams(spec).length !== ptrs.length + 1) throw new Error("bench: the conv's params");
  return () => conv(...ptrs, BATCH);
}

function jsConv(c: Conv): () => void {
  const epilogue =
    c.kind === "conv2d" ? { epilogue: { bias: true, activation: "relu" as const } } : {};
  const spec = { kind: c.kind, geo: { ...c.geo, N: "batch" }, ...epilogue } as Extract<
    KernelSpec,
    { kind: ConvKind }
  >;
  const scope = { dim: (d: unknown) => (typeof d === "number" ? String(d) : "n_batch") };
  const body = convLines(spec, scope as never, false).join("\n");
  const fn = new Function(...jsParams(spec), "n_batch", body) as (...a: unknown[]) => void;
  const args = arrays(c).map(data);
  return () => fn(...args, BATCH);
}

/** GFLOP/s of each convolution, wasm and the JS target, measured in interleaved rounds. */
export function convolutions() {
  const items = CONVS.flatMap((c) => [
    { label: `${c.label}|wasm`, run: wasmConv(c), best: Infinity },
    { label: `${c.label}|js`, run: jsConv(c), best: Infinity },
  ]);
  measure(items, 15, 20, 5);
  return CONVS.map((c) => {
    const g = c.geo;
    const flops = 2 * BATCH * g.O * g.OH * g.OW * g.C * g.kh * g.kw;
    const at = (kind: string) =>
      flops / items.find((i) => i.label === `${c.label}|${kind}`)!.best / 1e6;
    return { conv: c.label, wasm: at("wasm"), js: at("js") };
  });
}

/** A LeNet training step (Adam) at batch 64 on each target, in ms. */
export function lenetStep() {
  const source = readFileSync(new URL("../models/lenet.nn", import.meta.url), "utf8");
  const x = data(BATCH * 784).map((v) => Math.abs(v));
  const y = new Float32Array(BATCH * 10);
  for (let i = 0; i < BATCH; i++) y[i * 10 + (i % 10)] = 1;
  const step = (target: "js" | "wasm"): Timed => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const m: any = compile(source, { file: "lenet.nn", target }).load().createModel({ seed: 1 });
    return { label: target, run: () => m.trainStep({ x, y }), best: Infinity };
  };
  const items = [step("js"), step("wasm")];
  measure(items, 5, 200, 3);
  const [js, wasm] = items.map((i) => i.best) as [number, number];
  return { batch: BATCH, jsMs: js, wasmMs: wasm, speedup: js / wasm };
}
