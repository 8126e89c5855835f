// `npm run bench:kernels`: the wasm kernel library against the JS target, in one process.
//  1. GFLOP/s of the MNIST MLP's matrix products (forward, and both backward forms) and of its
//     output layer: the wasm kernels (src/codegen/wasm/matmul.ts) next to the JS target's
//     generated matmul (src/codegen/js/matmul.ts), the batch read at run time in both.
//  2. A whole training step of workload 1 (bench/models/mlp.nn, batch 64, SGD) built from the
//     kernels (bench/wasm-mlp.ts) next to the JS target's trainStep, and what copying the params
//     into and out of wasm memory at every step would add (src/codegen/wasm/README.md).
//  3. Relaxed SIMD (fused multiply-add), measured in a child process with the engine's flag.
//  4. LeNet's convolutions (models/lenet.nn, batch 64) on both targets, and its training step
//     (bench/wasm-conv.ts).
// Every number is the best of many interleaved rounds in CPU time of the process (one thread):
// the machine is shared and noisy, so only ratios within one run mean anything. Writes
// bench/results/wasm-kernels.{json,md} and the table into docs/performance.md between its markers.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { fileURLToPath } from "node:url";
import * as prettier from "prettier";
import { matmulLines } from "../src/codegen/js/matmul.ts";
import { compile } from "../src/index.ts";
import { encode, hasRelaxedSimd, matmulKernel, matmulParams } from "../src/codegen/wasm/index.ts";
import type { MatmulSpec } from "../src/codegen/wasm/index.ts";
import { PARAMS, wasmMlp } from "./wasm-mlp.ts";
import { mlpWeights, rng } from "./common.ts";
import { measure, type Timed } from "./measure.ts";
import { convolutions, lenetStep } from "./wasm-conv.ts";

interface Product {
  label: string;
  form: MatmulSpec["form"];
  M: number;
  N: number;
  K: number;
  /** which size is the batch (read at run time) */
  batch: "M" | "K";
}

const PRODUCTS: Product[] = [
  { label: "forward x @ W [64,784]@[784,128]", form: "nn", M: 64, N: 128, K: 784, batch: "M" },
  { label: "d_x = d_h @ W^T [64,128]@[128,784]", form: "nt", M: 64, N: 784, K: 128, batch: "M" },
  { label: "d_W = x^T @ d_h [784,64]@[64,128]", form: "tn", M: 784, N: 128, K: 64, batch: "K" },
  { label: "output h @ W2 [64,128]@[128,10]", form: "nn", M: 64, N: 10, K: 128, batch: "M" },
];

const random = rng(3);
const data = (n: number) => Float32Array.from({ length: n }, () => random() * 2 - 1);

/** the wasm kernel of a product, over a memory holding A, B and C */
function wasmProduct(p: Product, relaxed: boolean): () => void {
  const spec: MatmulSpec = { name: "mm", form: p.form, M: p.M, N: p.N, K: p.K, relaxed };
  spec[p.batch] = "param";
  const mod = new WebAssembly.Module(
    encode({
      memory: { min: 1, import: { module: "env", field: "memory" } },
      imports: [],
      funcs: [{ ...matmulKernel(spec), export: "mm" }],
    }),
  );
  const bytes = (p.M * p.K + p.K * p.N + p.M * p.N) * 4;
  const memory = new WebAssembly.Memory({ initial: Math.ceil(bytes / 65536) + 1 });
  const mm = new WebAssembly.Instance(mod, { env: { memory } }).exports["mm"] as (
    ...a: number[]
  ) => void;
  const f32 = new Float32Array(memory.buffer);
  f32.set(data(p.M * p.K), 0);
  f32.set(data(p.K * p.N), p.M * p.K);
  const [A, B, C] = [0, p.M * p.K * 4, (p.M * p.K + p.K * p.N) * 4];
  const sizes = matmulParams(spec)
    .filter((q) => q.type === "size")
    .map(() => p[p.batch]);
  return () => mm(C, A, B, ...sizes);
}

/** the JS target's matmul for the same product, the batch a variable as in the default build */
function jsProduct(p: Product): () => void {
  const size = (d: "M" | "N" | "K") => (d === p.batch ? "n_batch" : String(p[d]));
  const body = matmulLines({
    C: "C",
    A: "A",
    B: "B",
    M: size("M"),
    N: size("N"),
    K: size("K"),
    ta: p.form === "tn",
    tb: p.form === "nt",
  });
  const fn = new Function("C", "A", "B", "n_batch", body.join("\n")) as (...a: unknown[]) => void;
  const [A, B, C] = [data(p.M * p.K), data(p.K * p.N), new Float32Array(p.M * p.N)];
  return () => fn(C, A, B, p[p.batch]);
}

function products(relaxed: boolean) {
  const items = PRODUCTS.flatMap((p) => [
    { label: `${p.label}|wasm`, run: wasmProduct(p, false), best: Infinity },
    ...(relaxed
      ? [{ label: `${p.label}|relaxed`, run: wasmProduct(p, true), best: Infinity }]
      : []),
    ...(!relaxed ? [{ label: `${p.label}|js`, run: jsProduct(p), best: Infinity }] : []),
  ]);
  measure(items);
  return PRODUCTS.map((p) => {
    const gflops = (kind: string) => {
      const it = items.find((i) => i.label === `${p.label}|${kind}`);
      return it ? (2 * p.M * p.N * p.K) / it.best / 1e6 : undefined;
    };
    return { product: p.label, wasm: gflops("wasm"), relaxed: gflops("relaxed"), js: gflops("js") };
  });
}

interface JsModel {
  params: Record<string, Float32Array>;
  trainStep(feed: Record<string, Float32Array>): number;
}

/** workload 1 at batch 64: the kernels' step, the JS target's, and the param copies */
async function trainingStep() {
  const batch = 64;
  const init = mlpWeights(1);
  const source = readFileSync(new URL("./models/mlp.nn", import.meta.url), "utf8");
  const mod = (await compile(source, { file: "mlp.nn", dtype: "f32" }).load()) as unknown as {
    createModel(o: object): JsModel;
  };
  const js = mod.createModel({ params: init, batch });
  const wasm = wasmMlp(init, batch, 0.1);
  const x = Float32Array.from({ length: batch * 784 }, () => random());
  const y = new Float32Array(batch * 10);
  for (let i = 0; i < batch; i++) y[i * 10 + (i % 10)] = 1;
  const feed = { x, y };
  // params held in JS arrays, copied into wasm memory before the step and out after it
  const held = Object.fromEntries(Object.entries(PARAMS).map(([k, n]) => [k, new Float32Array(n)]));
  const names = Object.keys(PARAMS) as (keyof typeof PARAMS)[];
  const x1 = x.subarray(0, 784);
  const items: Timed[] = [
    { label: "js", run: () => js.trainStep(feed), best: Infinity },
    { label: "wasm", run: () => wasm.step(x, y), best: Infinity },
    {
      label: "copy",
      run: () => {
        for (const k of names) wasm.params[k].set(held[k]!);
        for (const k of names) held[k]!.set(wasm.params[k]);
      },
      best: Infinity,
    },
    { label: "forward1", run: () => wasm.forward(x1, 1), best: Infinity },
    {
      label: "copyIn",
      run: () => names.forEach((k) => wasm.params[k].set(held[k]!)),
      best: Infinity,
    },
  ];
  measure(items, 15, 40);
  const [jsT, wasmT, copyT, fwd1T, copyInT] = items.map((i) => i.best) as number[] as [
    number,
    number,
    number,
    number,
    number,
  ];
  const floats = Object.values(PARAMS).reduce((a, b) => a + b, 0);
  return {
    batch,
    jsMs: jsT,
    wasmMs: wasmT,
    jsSamplesPerSec: batch / (jsT / 1000),
    wasmSamplesPerSec: batch / (wasmT / 1000),
    speedup: jsT / wasmT,
    paramFloats: floats,
    copyInOutMs: copyT,
    copyShareOfStep: copyT / wasmT,
    forwardBatch1Ms: fwd1T,
    copyInMs: copyInT,
  };
}

function relaxedInChild(): ReturnType<typeof products> | null {
  try {
    const out = execFileSync(
      process.execPath,
      [
        "--experimental-wasm-relaxed-simd",
        "--import",
        "tsx",
        fileURLToPath(import.meta.url),
        "--relaxed-child",
      ],
      { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] },
    );
    return JSON.parse(out) as ReturnType<typeof products>;
  } catch {
    return null;
  }
}

const fmt = (x: number | undefined, digits = 1) => (x === undefined ? "–" : x.toFixed(digits));

async function main() {
  if (process.argv.includes("--relaxed-child")) {
    if (!hasRelaxedSimd()) throw new Error("relaxed SIMD is off in this engine");
    process.stdout.write(JSON.stringify(products(true)));
    return;
  }
  process.stderr.write("bench:kernels: matrix products...\n");
  const table = products(false);
  process.stderr.write("bench:kernels: relaxed SIMD (child process)...\n");
  const relaxed = relaxedInChild();
  process.stderr.write("bench:kernels: training step...\n");
  const step = await trainingStep();
  process.stderr.write("bench:kernels: convolutions and LeNet's step...\n");
  const convs = convolutions();
  const lenet = lenetStep();
  const when = new Date().toISOString().slice(0, 16).replace("T", " ");
  const lines = [
    "# wasm kernels",
    "",
    `Measured ${when} UTC on ${os.cpus()[0]?.model ?? "?"}, Node ${process.versions.node}, one thread ` +
      "(CPU time, best of 15 interleaved rounds).",
    "",
    "| product | wasm GFLOP/s | JS target GFLOP/s | wasm / JS | relaxed: plain, fma GFLOP/s |",
    "|---|---|---|---|---|",
    ...table.map((r, i) => {
      const rx = relaxed?.[i];
      const rel = rx ? `${fmt(rx.wasm)}, ${fmt(rx.relaxed)}` : "–";
      return `| ${r.product} | ${fmt(r.wasm)} | ${fmt(r.js)} | ${fmt(r.wasm! / r.js!)}× | ${rel} |`;
    }),
    "",
    `Workload 1 training step (batch ${step.batch}, SGD): JS target ${fmt(step.jsMs, 3)} ms ` +
      `(${Math.round(step.jsSamplesPerSec)} samples/s), wasm kernels ${fmt(step.wasmMs, 3)} ms ` +
      `(${Math.round(step.wasmSamplesPerSec)} samples/s): ${fmt(step.speedup)}×.`,
    `Copying the ${step.paramFloats} param floats into wasm memory and back: ${fmt(step.copyInOutMs, 3)} ms, ` +
      `${fmt(100 * step.copyShareOfStep)}% of the wasm step.`,
    `Inference at batch 1 from the kernels: ${fmt(step.forwardBatch1Ms * 1000)} µs; copying the params in ` +
      `before it would add ${fmt(step.copyInMs * 1000)} µs.`,
    "",
    "| LeNet's convolutions, batch 64 | wasm GFLOP/s | JS target GFLOP/s | wasm / JS |",
    "|---|---|---|---|",
    ...convs.map((r) => `| ${r.conv} | ${fmt(r.wasm)} | ${fmt(r.js)} | ${fmt(r.wasm / r.js)}× |`),
    "",
    `LeNet training step (models/lenet.nn, batch ${lenet.batch}, Adam): JS target ${fmt(lenet.jsMs, 2)} ms, ` +
      `wasm target ${fmt(lenet.wasmMs, 2)} ms: ${fmt(lenet.speedup)}×.`,
  ];
  const md = lines.join("\n") + "\n";
  process.stdout.write(md);
  const dir = new URL("./results/", import.meta.url);
  mkdirSync(dir, { recursive: true });
  writeFileSync(new URL("wasm-kernels.md", dir), md);
  const readme = new URL("../docs/performance.md", import.meta.url);
  const text = readFileSync(readme, "utf8");
  const [start, end] = ["<!-- bench:kernels:start -->", "<!-- bench:kernels:end -->"];
  if (text.includes(start) && text.includes(end)) {
    const table = await prettier.format(lines.slice(2).join("\n"), {
      parser: "markdown",
      printWidth: 100,
    });
    const head = text.slice(0, text.indexOf(start) + start.length);
    writeFileSync(readme, `${head}\n\n${table}\n${text.slice(text.indexOf(end))}`);
  }
  writeFileSync(
    new URL("wasm-kernels.json", dir),
    JSON.stringify({ products: table, relaxed, step, convs, lenet }, null, 2) + "\n",
  );
}

await main();
