// The report of a run: every round's repetitions merged, the table rows, and the Markdown that goes
// to bench/results/latest.md and into docs/performance.md between its markers.
import os from "node:os";
import { flops, REPS } from "./common.ts";
import type { WorkerResult } from "./worker.ts";

export interface Row {
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

export const WORKLOADS: { key: string; label: string; batch?: number; flop?: number }[] = [
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

export /** Rounds over all contenders; each worker times every workload REPS times per round. */
const ROUNDS = 3;

export /** Every round's repetitions together, and the median seconds per call of each workload. */
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

export type Result = ReturnType<typeof merge>;

export function rows(results: Result[]): Row[] {
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

export function fmt(n: number | undefined, digits = 0): string {
  if (n === undefined) return "";
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  return n.toLocaleString("en-US", {
    maximumFractionDigits: digits,
    minimumFractionDigits: digits,
  });
}

export interface Target {
  what: string;
  ratio: number;
  goal: number;
  /** true: the value must be at least the goal; false: at most */
  atLeast: boolean;
  /** met another way than by the value */
  met?: string;
}

export function machine(): string {
  const cpus = os.cpus();
  return `${cpus[0]?.model.trim() ?? "unknown CPU"}, ${cpus.length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}, Node ${process.version}`;
}

/** The 1-minute load average at the start of each worker process: min, median and max. */
function loadLine(loads: number[]): string {
  const s = [...loads].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]!.toFixed(1);
  return `Load average (1 minute) when each of the ${s.length} worker processes started: ${at(0)} at the least, ${at(0.5)} median, ${at(1)} at the most, on ${os.cpus().length} cores (the machine is shared: CPU time, not wall-clock time, is what the table counts).`;
}

/** The run's conditions: when, where, how each number is taken, and the load. */
export function header(when: string, loads: number[]): string {
  return [
    `Measured ${when} on ${machine()}; float32, one thread each (ONNX Runtime with one intra-op thread, PyTorch with \`torch.set_num_threads(1)\`).`,
    `Each number is the median of ${ROUNDS} rounds × ${REPS} timed repetitions after a warm-up (the contenders take turns, one process each), in CPU time of the process (every contender runs on one thread; on a shared machine CPU time is far steadier than wall-clock time, which bench/results/latest.json records too); ratios are taken within this run.`,
    loadLine(loads),
    "",
  ].join("\n");
}

/** The MLP and small-model workloads' part of the report (empty where none ran). */
export function markdown(results: Result[], table: Row[], goals: Target[]): string {
  if (table.length === 0) return "";
  const nnc = results.find((r) => r.contender === "nnc")!;
  const lines = [
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
    ...(goals.length === 0
      ? []
      : [
          "",
          "Targets:",
          "",
          "| target | measured | goal | met |",
          "|---|--:|--:|:-:|",
          ...goals.map(
            (g) =>
              `| ${g.what} | ${g.ratio.toFixed(2)} | ${g.atLeast ? "≥" : "≤"} ${g.goal} | ${g.met ?? ((g.atLeast ? g.ratio >= g.goal : g.ratio <= g.goal) ? "yes" : "no")} |`,
          ),
        ]),
  ];
  return lines.join("\n") + "\n";
}

export function label(r: Result): string {
  return r.backend ? `tfjs-${r.backend}` : r.contender;
}

/** (max - min) / |max| of the values that are there. */
export function spread(values: (number | undefined)[]): number {
  const v = values.filter((x): x is number => x !== undefined);
  return (Math.max(...v) - Math.min(...v)) / Math.abs(Math.max(...v));
}
