// The LeNet part of the report: the table, the sanity check (every contender's losses over the
// first steps from the shared weights, and its inference outputs), the notes, and issue 19's
// targets, each a ratio taken within this run.
import { lenetFlops, LENET_SGD, SANITY_STEPS } from "./lenet.ts";
import { fmt, label, spread, type Result } from "./report.ts";

const WORKLOADS = [
  { key: "lenetTrain", label: "LeNet train, batch 64", batch: 64, flop: lenetFlops.train(64) },
  {
    key: "lenetInfer64",
    label: "LeNet inference, batch 64",
    batch: 64,
    flop: lenetFlops.infer(64),
  },
  { key: "lenetInfer1", label: "LeNet inference, batch 1", batch: 1, flop: lenetFlops.infer(1) },
];

/** the largest relative difference of a loss from nnc's that still counts as the same in f32 */
const TOLERANCE = 1e-4;

function name(r: Result): string {
  if (r.contender === "nnc") return "nnc (JS target)";
  if (r.contender === "nnc-wasm") return "nnc-wasm (wasm target)";
  if (r.contender === "pytorch") return "PyTorch (1 thread)";
  return label(r);
}

function table(results: Result[]): string[] {
  const by = (c: string) => results.find((r) => r.contender === c);
  const speedup = (r: Result, c: string, k: string) => {
    const mine = by(c)?.perCall[k];
    return mine === undefined ? "" : `${(r.perCall[k]! / mine).toFixed(2)}×`;
  };
  const lines = [
    "| workload | contender | samples/s | GFLOP/s | nnc-wasm speed-up | JS target speed-up |",
    "|---|---|--:|--:|--:|--:|",
  ];
  for (const w of WORKLOADS)
    for (const r of results) {
      const perCall = r.perCall[w.key];
      if (perCall === undefined) continue;
      lines.push(
        `| ${w.label} | ${name(r)} | ${fmt(w.batch / perCall)} | ${(w.flop / perCall / 1e9).toFixed(2)} | ${speedup(r, "nnc-wasm", w.key)} | ${speedup(r, "nnc", w.key)} |`,
      );
    }
  return lines;
}

/** The losses of the first steps, and whether each agrees with nnc's within the tolerance. */
function sanity(results: Result[]): string[] {
  const withLosses = results.filter((r) => r.lenetLosses);
  const ref = results.find((r) => r.contender === "nnc")?.lenetLosses;
  if (withLosses.length === 0 || !ref) return [];
  const worst = (l: number[]) => Math.max(...l.map((v, i) => Math.abs(v - ref[i]!) / ref[i]!));
  const steps = Array.from({ length: SANITY_STEPS }, (_, i) => `step ${i + 1}`);
  const all = Math.max(...withLosses.map((r) => worst(r.lenetLosses!)));
  const checks = results.map((r) => r.lenetInferCheck);
  return [
    `Sanity check: the loss of each of the first ${SANITY_STEPS} training steps from the shared weights (each before its step), and its largest relative difference from nnc's:`,
    "",
    `| contender | ${steps.join(" | ")} | vs nnc |`,
    `|---|${steps.map(() => "--:").join("|")}|--:|`,
    ...withLosses.map(
      (r) =>
        `| ${name(r)} | ${r.lenetLosses!.map((v) => v.toFixed(7)).join(" | ")} | ${worst(r.lenetLosses!).toExponential(1)} |`,
    ),
    "",
    `${all <= TOLERANCE ? "Every contender computes the same losses" : "**The contenders' losses differ**"} (largest relative difference ${all.toExponential(1)}; f32 tolerance ${TOLERANCE.toExponential(0)}). Inference outputs at batch 64 from the same weights: a weighted checksum, relative spread ${spread(checks).toExponential(1)} over ${checks.filter((c) => c !== undefined).length} contenders.`,
  ];
}

interface Goal {
  what: string;
  /** nnc's contender, and the one it is compared with */
  mine: string;
  other: string;
  key: string;
  required?: number;
  goal?: number;
}

const GOALS: Goal[] = [
  {
    what: "training, wasm target vs tfjs-wasm",
    mine: "nnc-wasm",
    other: "tfjs-wasm",
    key: "lenetTrain",
    required: 3,
  },
  {
    what: "training, wasm target vs PyTorch (1 thread)",
    mine: "nnc-wasm",
    other: "pytorch",
    key: "lenetTrain",
    required: 0.8,
    goal: 1,
  },
  {
    what: "inference batch 64, wasm target vs tfjs-wasm",
    mine: "nnc-wasm",
    other: "tfjs-wasm",
    key: "lenetInfer64",
    required: 1.5,
  },
  {
    what: "inference batch 64, wasm target vs ORT (1 thread)",
    mine: "nnc-wasm",
    other: "onnxruntime-node",
    key: "lenetInfer64",
    required: 0.5,
    goal: 0.7,
  },
  {
    what: "inference batch 1, wasm target vs tfjs-wasm",
    mine: "nnc-wasm",
    other: "tfjs-wasm",
    key: "lenetInfer1",
    required: 1.5,
  },
  {
    what: "inference batch 1, wasm target vs ORT (1 thread)",
    mine: "nnc-wasm",
    other: "onnxruntime-node",
    key: "lenetInfer1",
    goal: 1,
  },
  {
    what: "training, JS target vs tfjs-cpu",
    mine: "nnc",
    other: "tfjs-cpu",
    key: "lenetTrain",
    required: 10,
  },
];

export interface LenetTarget extends Goal {
  /** the other's time over nnc's (above 1: nnc is faster); absent where one was not measured */
  ratio?: number;
}

export function lenetTargets(results: Result[]): LenetTarget[] {
  const time = (c: string, k: string) => results.find((r) => r.contender === c)?.perCall[k];
  return GOALS.map((g) => {
    const [mine, other] = [time(g.mine, g.key), time(g.other, g.key)];
    return mine === undefined || other === undefined ? g : { ...g, ratio: other / mine };
  });
}

function targetTable(targets: LenetTarget[]): string[] {
  const bound = (v?: number) => (v === undefined ? "" : `≥ ${v}`);
  const met = (t: LenetTarget, v?: number) =>
    v === undefined ? "" : t.ratio === undefined ? "not measured" : t.ratio >= v ? "yes" : "no";
  return [
    "| target | measured | required | met | goal | met |",
    "|---|--:|--:|:-:|--:|:-:|",
    ...targets.map(
      (t) =>
        `| ${t.what} | ${t.ratio === undefined ? "" : t.ratio.toFixed(2)} | ${bound(t.required)} | ${met(t, t.required)} | ${bound(t.goal)} | ${met(t, t.goal)} |`,
    ),
  ];
}

/** The greatest warm compile time of models/lenet.nn to wasm that issue 19 allows, in ms. */
export const LENET_COMPILE_MS = 150;

/**
 * What a LeNet step allocates on each of nnc's targets (none, in steady state) and the compile
 * time of models/lenet.nn to wasm: limits rather than ratios.
 */
function budgets(results: Result[]): string[] {
  const byName = (c: string) => results.find((r) => r.contender === c);
  const alloc = results
    .filter((r) => r.lenetAlloc)
    .map((r) => {
      const a = r.lenetAlloc!;
      const bytes = Math.max(0, a.bytesPerStep) + Math.max(0, a.arrayBytesPerStep);
      return `| bytes allocated per LeNet training step, ${name(r)} (batch 4, over ${a.steps} steps${a.gcs > 0 ? `; ${a.gcs} collections ran: a lower bound` : ""}) | ${bytes.toFixed(1)} | 0 | ${bytes === 0 ? "yes" : "no"} |`;
    });
  const warm = byName("nnc-wasm")?.compileMs?.["models/lenet.nn"]?.warm;
  const compile =
    warm === undefined
      ? []
      : [
          `| compile time of models/lenet.nn to wasm, warm (ms; median of 9 after 5) | ${warm.toFixed(1)} | < ${LENET_COMPILE_MS} | ${warm < LENET_COMPILE_MS ? "yes" : "no"} |`,
        ];
  if (alloc.length === 0 && compile.length === 0) return [];
  return ["", "| limit | measured | allowed | met |", "|---|--:|--:|:-:|", ...alloc, ...compile];
}

/** The LeNet section of the report (empty where no contender ran LeNet). */
export function lenetMarkdown(results: Result[], targets: LenetTarget[]): string {
  const ran = results.filter((r) => WORKLOADS.some((w) => r.perCall[w.key] !== undefined));
  if (ran.length === 0) return "";
  const notes = results.flatMap((r) => (r.notes ?? []).map((n) => `- ${name(r)}: ${n}`));
  const lines = [
    `LeNet-5 (bench/models/lenet.nn: models/lenet.nn with momentum SGD, lr ${LENET_SGD.lr}, momentum ${LENET_SGD.momentum}), batch 64, float32, on the 8,000 / 2,000 MNIST split of \`nnc train --data mnist\` in its order, from nnc's initial weights (seed 1) for every contender. GFLOP/s counts 2 per multiply-add of the convolutions and products; "speed-up" is the contender's time over nnc's, on the wasm and on the JS target:`,
    "",
    ...table(results),
    "",
    ...sanity(results),
    "",
    ...(notes.length > 0 ? ["Notes:", "", ...notes, ""] : []),
    "LeNet targets (issue 19), each the contender's time over nnc's in this run:",
    "",
    ...targetTable(targets),
    ...budgets(results),
  ];
  return lines.join("\n") + "\n";
}
