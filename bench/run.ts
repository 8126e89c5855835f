// `npm run bench`: every contender in its own process (with --expose-gc), one after another, on
// the same data, initial weights and steps; then the table, with every ratio taken within this
// run, written to bench/results/ (JSON and Markdown) and into README's "Performance" section.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import os from "node:os";
import * as prettier from "prettier";
import { compile } from "../src/index.ts";
import { flops } from "./common.ts";
import type { WorkerResult } from "./worker.ts";

const CONTENDERS = [
  "nnc",
  "nnc-dynamic",
  "nnc-unfused",
  "nnc-wasm",
  "nnc-wasm-bound",
  "handwritten",
  "tfjs-cpu",
  "tfjs-wasm",
  "ort",
];

interface Row {
  workload: string;
  contender: string;
  /** calls per second */
  callsPerSec: number;
  /** samples per second, where a call handles a batch */
  samplesPerSec?: number;
  gflops?: number;
  /** nnc's throughput over this contender's (above 1: nnc is faster) */
  nncSpeedup?: number;
}

const WORKLOADS: { key: string; label: string; batch?: number; flop?: number }[] = [
  { key: "train", label: "1. MLP train, SGD, batch 64", batch: 64, flop: flops.mlpTrain(64) },
  {
    key: "trainBn",
    label: "2. MLP+batchnorm train, Adam, batch 64",
    batch: 64,
    flop: flops.mlpTrain(64),
  },
  { key: "infer64", label: "3. MLP inference, batch 64", batch: 64, flop: flops.mlpInfer(64) },
  { key: "infer1", label: "3. MLP inference, batch 1", batch: 1, flop: flops.mlpInfer(1) },
  { key: "xor", label: "4. xor.nn trainStep, batch 4", flop: flops.xorTrain(4) },
  { key: "neuron", label: "4. neuron.nn grad" },
];

/** Rounds over all contenders; each worker times every workload REPS times per round. */
const ROUNDS = 3;

function runWorker(name: string, round: number | "alloc"): WorkerResult {
  process.stderr.write(
    round === "alloc"
      ? `bench: allocation, ${name}`
      : `bench: round ${round + 1}/${ROUNDS}, ${name}`,
  );
  const t0 = performance.now();
  const worker = new URL("./worker.ts", import.meta.url).pathname;
  const out = execFileSync(
    process.execPath,
    ["--expose-gc", "--import", "tsx", worker, name, String(round)],
    { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 1 << 24 },
  );
  process.stderr.write(` (${((performance.now() - t0) / 1000).toFixed(0)} s)\n`);
  const line = out.split("\n").find((l) => l.startsWith("RESULT "));
  if (!line) throw new Error(`the ${name} worker printed no result`);
  return JSON.parse(line.slice("RESULT ".length)) as WorkerResult;
}

/** Every round's repetitions together, and the median seconds per call of each workload. */
function merge(rounds: WorkerResult[]): WorkerResult & { perCall: Record<string, number> } {
  const first = rounds[0]!;
  const reps: Record<string, number[]> = {};
  const wallReps: Record<string, number[]> = {};
  for (const r of rounds) {
    for (const [k, v] of Object.entries(r.reps)) (reps[k] ??= []).push(...v);
    for (const [k, v] of Object.entries(r.wallReps)) (wallReps[k] ??= []).push(...v);
  }
  const perCall = Object.fromEntries(
    Object.entries(reps).map(([k, v]) => [k, [...v].sort((a, b) => a - b)[v.length >> 1]!]),
  );
  return { ...first, reps, wallReps, perCall };
}

type Result = ReturnType<typeof merge>;

function rows(results: Result[]): Row[] {
  const nnc = results.find((r) => r.contender === "nnc")!;
  const out: Row[] = [];
  for (const w of WORKLOADS)
    for (const r of results) {
      const perCall = r.perCall[w.key];
      if (perCall === undefined) continue;
      const mine = nnc.perCall[w.key];
      out.push({
        workload: w.label,
        contender: r.backend ? `tfjs-${r.backend}` : r.contender,
        callsPerSec: 1 / perCall,
        ...(w.batch ? { samplesPerSec: w.batch / perCall } : {}),
        ...(w.flop ? { gflops: w.flop / perCall / 1e9 } : {}),
        ...(mine !== undefined ? { nncSpeedup: perCall / mine } : {}),
      });
    }
  return out;
}

function fmt(n: number | undefined, digits = 0): string {
  if (n === undefined) return "";
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  return n.toLocaleString("en-US", {
    maximumFractionDigits: digits,
    minimumFractionDigits: digits,
  });
}

interface Target {
  what: string;
  ratio: number;
  goal: number;
  /** true: the value must be at least the goal; false: at most */
  atLeast: boolean;
  /** met another way than by the value */
  met?: string;
}

function targets(results: Result[]): Target[] {
  const by = (c: string) => results.find((r) => r.contender === c)!;
  const nnc = by("nnc");
  const ratio = (c: string, k: string) => by(c).perCall[k]! / nnc.perCall[k]!;
  return [
    { what: "1. training vs tfjs-cpu", ratio: ratio("tfjs-cpu", "train"), goal: 5, atLeast: true },
    {
      what: "1. training vs tfjs-wasm",
      ratio: ratio("tfjs-wasm", "train"),
      goal: 1.3,
      atLeast: true,
    },
    {
      what: "1. training vs hand-written JS",
      ratio: ratio("hand-written JS", "train"),
      goal: 1,
      atLeast: true,
    },
    {
      what: "3. inference batch 1 vs tfjs-wasm",
      ratio: ratio("tfjs-wasm", "infer1"),
      goal: 0.9,
      atLeast: true,
    },
    {
      what: "4. xor trainStep vs tfjs-cpu",
      ratio: ratio("tfjs-cpu", "xor"),
      goal: 50,
      atLeast: true,
    },
    {
      what: "4. neuron grad vs tfjs-cpu",
      ratio: ratio("tfjs-cpu", "neuron"),
      goal: 50,
      atLeast: true,
    },
    ...wasmTargets(results),
    {
      what: "5. bytes allocated per training step",
      ratio: Math.max(0, nnc.alloc!.bytesPerStep),
      goal: 0,
      atLeast: false,
    },
    {
      what: "5. compile time of models/mnist.nn, warm (ms)",
      ratio: nnc.compileMs!["models/mnist.nn"]!.warm,
      goal: 200,
      atLeast: false,
    },
  ];
}

/** The wasm target's goals, each ratio taken within this run (the default build: dynamic). */
function wasmTargets(results: Result[]): Target[] {
  const by = (c: string) => results.find((r) => r.contender === c)!;
  const wasm = by("nnc-wasm");
  const speedup = (c: string, k: string) => by(c).perCall[k]! / wasm.perCall[k]!;
  const over = (a: Result, b: Result, k: string) => a.perCall[k]! / b.perCall[k]!;
  const goal = (what: string, ratio: number, g: number, atLeast = true): Target => ({
    what,
    ratio,
    goal: g,
    atLeast,
  });
  // "wasm no slower than the JS target, or JS chosen for them automatically"
  const small = (what: string, k: string, file: string): Target => {
    const url = new URL(file, import.meta.url);
    const chosen = compile(readFileSync(url, "utf8"), { file, target: "auto" }).target;
    return {
      ...goal(`${what}, default build vs JS target`, speedup("nnc-dynamic", k), 0.9),
      ...(chosen === "js" ? { met: "yes: auto picks JS" } : {}),
    };
  };
  return [
    goal("1. wasm training vs tfjs-wasm", speedup("tfjs-wasm", "train"), 8),
    goal("2. wasm batchnorm + Adam training vs tfjs-wasm", speedup("tfjs-wasm", "trainBn"), 6),
    goal("3. wasm inference batch 64 vs tfjs-wasm", speedup("tfjs-wasm", "infer64"), 1.2),
    goal(
      "3. wasm inference batch 64 vs ONNX Runtime",
      speedup("onnxruntime-node", "infer64"),
      0.35,
    ),
    goal("3. wasm inference batch 1 vs tfjs-wasm", speedup("tfjs-wasm", "infer1"), 2),
    goal("3. wasm inference batch 1 vs ONNX Runtime", speedup("onnxruntime-node", "infer1"), 1.5),
    small("4. xor trainStep", "xor", "../models/xor.nn"),
    small("4. neuron grad", "neuron", "../models/neuron.nn"),
    ...["train", "trainBn", "infer1"].flatMap((k) => [
      goal(`dynamic over bound, JS, ${k}`, over(by("nnc-dynamic"), by("nnc"), k), 1.2, false),
      goal(`dynamic over bound, wasm, ${k}`, over(wasm, by("nnc-wasm-bound"), k), 1.2, false),
    ]),
    goal(
      "5. compile time of models/mnist.nn to wasm, warm (ms)",
      wasm.compileMs!["models/mnist.nn"]!.warm,
      100,
      false,
    ),
  ];
}

function machine(): string {
  const cpus = os.cpus();
  return `${cpus[0]?.model.trim() ?? "unknown CPU"}, ${cpus.length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}, Node ${process.version}`;
}

function markdown(results: Result[], table: Row[], goals: Target[], when: string): string {
  const nnc = results.find((r) => r.contender === "nnc")!;
  const lines = [
    `Measured ${when} on ${machine()}; float32, one thread each (ONNX Runtime with one intra-op thread).`,
    `Each number is the median of ${ROUNDS} rounds × 3 timed repetitions after a warm-up (the contenders take turns, one process each), in CPU time of the process (every contender runs on one thread; on a shared machine CPU time is far steadier than wall-clock time, which bench/results/latest.json records too); ratios are taken within this run.`,
    "",
    "| workload | contender | calls/s | samples/s | GFLOP/s | nnc speed-up |",
    "|---|---|--:|--:|--:|--:|",
    ...table.map(
      (r) =>
        `| ${r.workload} | ${r.contender} | ${fmt(r.callsPerSec)} | ${fmt(r.samplesPerSec)} | ${r.gflops === undefined ? "" : r.gflops.toFixed(2)} | ${r.nncSpeedup === undefined ? "" : `${r.nncSpeedup.toFixed(2)}×`} |`,
    ),
    "",
    "Test accuracy after one epoch of workload 1 (the same data, weights and order for everyone):",
    "",
    ...results
      .filter((r) => r.accuracy !== undefined)
      .map(
        (r) =>
          `- ${r.contender}${r.backend ? ` (${r.backend})` : ""}: ${(100 * r.accuracy!).toFixed(2)}%`,
      ),
    "",
    `Inference outputs at batch 64 agree across contenders (a weighted checksum, relative spread ${spread(results.map((r) => r.inferCheck)).toExponential(1)}).`,
    "",
    "Bytes allocated per call in steady state (workload 1 at batch 4, in a process of its own with one model, after warm-up: the heap's growth over 2n calls minus its growth over n calls, over n):",
    "",
    ...results
      .filter((r) => r.alloc)
      .flatMap((r) => [
        [`${label(r)} training step`, r.alloc!] as const,
        ...(r.gradAlloc ? [[`${label(r)} grad`, r.gradAlloc] as const] : []),
      ])
      .map(
        ([what, a]) =>
          `- ${what}: ${Math.max(0, a.bytesPerStep).toFixed(1)} B heap, ${Math.max(0, a.arrayBytesPerStep).toFixed(1)} B array buffers, over ${a.steps} calls${a.gcs > 0 ? ` (${a.gcs} collections ran: a lower bound)` : ""}`,
      ),
    "",
    "Compile time (`compile()` in-process, ms; cold is the first compile of the process, warm the median of 9 after 5):",
    "",
    "| model | cold | warm |",
    "|---|--:|--:|",
    ...Object.entries(nnc.compileMs ?? {}).map(
      ([m, t]) => `| ${m} | ${t.cold.toFixed(1)} | ${t.warm.toFixed(1)} |`,
    ),
    "",
    "Targets:",
    "",
    "| target | measured | goal | met |",
    "|---|--:|--:|:-:|",
    ...goals.map(
      (g) =>
        `| ${g.what} | ${g.ratio.toFixed(2)} | ${g.atLeast ? "≥" : "≤"} ${g.goal} | ${g.met ?? ((g.atLeast ? g.ratio >= g.goal : g.ratio <= g.goal) ? "yes" : "no")} |`,
    ),
  ];
  return lines.join("\n") + "\n";
}

function label(r: Result): string {
  return r.backend ? `tfjs-${r.backend}` : r.contender;
}

/** (max - min) / |max| of the values that are there. */
function spread(values: (number | undefined)[]): number {
  const v = values.filter((x): x is number => x !== undefined);
  return (Math.max(...v) - Math.min(...v)) / Math.abs(Math.max(...v));
}

const README_INTRO = `\`npm run bench\` (about 6 minutes) runs every contender in its own process, in three rounds
that take turns: the generated code (\`nnc\`, compiled with the batch size bound as with \`--bind
batch=64\`, \`nnc-dynamic\` without, and \`nnc-unfused\` bound but compiled with \`--no-fuse\`;
\`nnc-wasm\`, the default build on the wasm target as \`nnc train\` picks it (\`--target auto\`:
WebAssembly SIMD for the MLPs, JS for xor and the neuron), and \`nnc-wasm-bound\` with the batch
bound), a hand-written JS baseline (bench/contenders/handwritten.ts:
preallocated buffers, i-k-j matmuls unrolled by 4, fused bias+relu and softmax+cross-entropy),
TensorFlow.js 4 on its \`cpu\` and \`wasm\` (SIMD) backends, and ONNX Runtime (\`onnxruntime-node\`,
inference only, from an ONNX file the bench builds from the same weights). All train on the same
real MNIST digits (the \`mnist\` package: 85% of each class for training, the rest for testing),
from the same initial weights, in the same order. "nnc speed-up" is the contender's time over
nnc's; GFLOP/s counts 2·m·n·k per matrix product. The models are bench/models/mlp.nn (workloads
1 and 3), bench/models/mlp_bn.nn (2), models/xor.nn and models/neuron.nn (4). Results:
bench/results/latest.md and latest.json (with wall-clock times too).
`;

/** Writes the table into README between its markers, formatted as `npm run format` would. */
async function updateReadme(md: string): Promise<void> {
  const url = new URL("../README.md", import.meta.url);
  const readme = readFileSync(url, "utf8");
  const start = "<!-- bench:start -->";
  const end = "<!-- bench:end -->";
  const block = `${start}\n${md}${end}`;
  const next = readme.includes(start)
    ? readme.slice(0, readme.indexOf(start)) +
      block +
      readme.slice(readme.indexOf(end) + end.length)
    : `${readme.trimEnd()}\n\n## Performance\n\n${README_INTRO}\n${block}\n`;
  const config = (await prettier.resolveConfig(url)) ?? {};
  writeFileSync(url, await prettier.format(next, { ...config, parser: "markdown" }));
}

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const names =
    only.length > 0 ? CONTENDERS.filter((c) => c === "nnc" || only.includes(c)) : CONTENDERS;
  const t0 = performance.now();
  const byName = new Map<string, WorkerResult[]>(names.map((n) => [n, []]));
  for (let round = 0; round < ROUNDS; round++)
    for (const n of names) byName.get(n)!.push(runWorker(n, round));
  for (const n of names.filter((n) => n !== "ort")) {
    const { alloc, gradAlloc } = runWorker(n, "alloc");
    Object.assign(byName.get(n)![0]!, { alloc, gradAlloc });
  }
  const results = names.map((n) => merge(byName.get(n)!));
  const when = new Date().toISOString().slice(0, 16).replace("T", " ") + " UTC";
  const table = rows(results);
  const full = names.length === CONTENDERS.length;
  const goals = full ? targets(results) : [];
  const md = markdown(results, table, goals, when);
  process.stdout.write(`\n${md}\nbench: ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
  if (!full) return;
  const dir = new URL("./results/", import.meta.url);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    new URL("latest.json", dir),
    JSON.stringify({ when, machine: machine(), results, table, targets: goals }, null, 2) + "\n",
  );
  writeFileSync(new URL("latest.md", dir), `# nnc benchmark\n\n${md}`);
  await updateReadme(md);
  // the wasm kernels' GFLOP/s, each MNIST product on its own (bench/wasm-kernels.ts)
  process.stderr.write("bench: the wasm kernels\n");
  const kernels = new URL("./wasm-kernels.ts", import.meta.url).pathname;
  execFileSync(process.execPath, ["--import", "tsx", kernels], { stdio: "inherit" });
}

await main();
