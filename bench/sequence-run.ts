// `npm run bench:sequence` (and the end of `npm run bench`): the sequence models' training, gpt.nn
// and makemore.nn at batch 32, each contender in its own process, in rounds that take turns:
// nnc's generated code on the wasm and the JS target, PyTorch on one thread, and llm.c's
// train_gpt2.c where NNC_LLMC names a checkout of it. Every ratio is taken within this run. The
// results go to bench/results/sequence.{json,md} and into README between its bench-sequence
// markers.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import * as prettier from "prettier";
import { fmt, ROUNDS } from "./report.ts";
import { GPT, SEQ_BATCH, SEQ_MODELS, SEQ_SANITY_STEPS, type SeqModel } from "./sequence.ts";
import type { SeqResult } from "./sequence-worker.ts";

const CONTENDERS: Record<SeqModel["key"], string[]> = {
  gpt: ["nnc-wasm", "nnc", "pytorch", "llmc"],
  makemore: ["nnc-wasm", "nnc", "pytorch"],
};

const NAMES: Record<string, string> = {
  "nnc-wasm": "nnc (wasm target)",
  nnc: "nnc (JS target)",
  pytorch: "PyTorch (1 thread)",
  llmc: "llm.c train_gpt2.c (1 thread)",
};

/** the 1-minute load average when each worker started */
const loads: number[] = [];

function runWorker(name: string, key: string, round: number): SeqResult {
  loads.push(os.loadavg()[0]!);
  process.stderr.write(`bench: sequence round ${round + 1}/${ROUNDS}, ${key}, ${name}`);
  const t0 = performance.now();
  const worker = new URL("./sequence-worker.ts", import.meta.url).pathname;
  const out = execFileSync(
    process.execPath,
    ["--expose-gc", "--import", "tsx", worker, name, key, String(round)],
    { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 1 << 24 },
  );
  process.stderr.write(` (${((performance.now() - t0) / 1000).toFixed(0)} s)\n`);
  const line = out.split("\n").find((l) => l.startsWith("RESULT "));
  if (!line) throw new Error(`the ${name} worker printed no result`);
  return JSON.parse(line.slice("RESULT ".length)) as SeqResult;
}

interface Merged extends SeqResult {
  /** median seconds per step over every repetition of every round (CPU time), and wall-clock */
  perStep?: number;
  wallPerStep?: number;
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1]!;

function merge(rounds: SeqResult[]): Merged {
  const first = rounds[0]!;
  const cpu = rounds.flatMap((r) => r.cpu ?? []);
  const wall = rounds.flatMap((r) => r.wall ?? []);
  return {
    ...first,
    cpu,
    wall,
    ...(cpu.length > 0 ? { perStep: median(cpu), wallPerStep: median(wall) } : {}),
  };
}

/** llm.c's count of a training token's FLOPs: 6 per param, and attention's 6 L C T */
const gptFlopsPerToken = (params: number) =>
  6 * params + 6 * GPT.layers * GPT.channels * GPT.context;
const GPT_PARAMS = 202_816;

function tokensPerStep(m: SeqModel): number {
  return SEQ_BATCH * m.tokensPerExample;
}

function table(m: SeqModel, results: Merged[]): string[] {
  const by = (c: string) => results.find((r) => r.contender === c);
  const wasm = by("nnc-wasm")?.perStep;
  const unit = m.key === "gpt" ? "tokens/s" : "examples/s";
  const lines = [
    `| contender | ${unit} (CPU time) | ${unit} (wall) | ${m.key === "gpt" ? "GFLOP/s | " : ""}nnc wasm speed-up |`,
    `|---|--:|--:|${m.key === "gpt" ? "--:|" : ""}--:|`,
  ];
  for (const r of results) {
    if (r.perStep === undefined) continue;
    const tps = tokensPerStep(m) / r.perStep;
    const gflops =
      m.key === "gpt" ? `${((tps * gptFlopsPerToken(GPT_PARAMS)) / 1e9).toFixed(1)} | ` : "";
    const speedup = wasm === undefined ? "" : `${(r.perStep / wasm).toFixed(2)}×`;
    lines.push(
      `| ${NAMES[r.contender] ?? r.contender} | ${fmt(tps)} | ${fmt(tokensPerStep(m) / r.wallPerStep!)} | ${gflops}${speedup} |`,
    );
  }
  return lines;
}

interface Goal {
  what: string;
  value: string;
  required: string;
  met: boolean | undefined;
  goal?: string;
}

function goals(all: Record<string, Merged[]>): Goal[] {
  const per = (key: string, c: string) => all[key]?.find((r) => r.contender === c);
  const ratio = (key: string, a: string, b: string) => {
    const [x, y] = [per(key, a)?.perStep, per(key, b)?.perStep];
    return x === undefined || y === undefined ? undefined : y / x;
  };
  const out: Goal[] = [];
  const speed = (what: string, key: string, other: string, required: number, goal?: number) => {
    const r = ratio(key, "nnc-wasm", other);
    out.push({
      what,
      value: r === undefined ? "not run" : `${r.toFixed(2)}×`,
      required: `≥ ${required}×`,
      met: r === undefined ? undefined : r >= required,
      ...(goal ? { goal: `≥ ${goal}×` } : {}),
    });
  };
  speed("gpt.nn training, nnc wasm over PyTorch (1 thread)", "gpt", "pytorch", 2);
  speed("gpt.nn training, nnc wasm over llm.c (1 thread)", "gpt", "llmc", 0.5, 1);
  speed("makemore.nn training, nnc wasm over PyTorch (1 thread)", "makemore", "pytorch", 2);
  for (const m of SEQ_MODELS) {
    const r = per(m.key, "nnc-wasm");
    const bytes = r?.alloc ? Math.max(0, r.alloc.bytesPerStep + r.alloc.arrayBytesPerStep) : NaN;
    out.push({
      what: `${m.file} training step on wasm, bytes allocated`,
      value: Number.isNaN(bytes) ? "not run" : bytes.toFixed(1),
      required: "≤ 0.5 (0 up to the measurement's noise)",
      met: Number.isNaN(bytes) ? undefined : bytes <= 0.5,
    });
  }
  const compileMs = per("gpt", "nnc-wasm")?.compileMs;
  out.push({
    what: "compile of gpt.nn for wasm, ms of CPU time (cold, warm)",
    value: compileMs ? `${compileMs.cold.toFixed(0)}, ${compileMs.warm.toFixed(0)}` : "not run",
    required: "< 300",
    met: compileMs ? compileMs.cold < 300 : undefined,
  });
  return out;
}

function sanity(m: SeqModel, results: Merged[]): string[] {
  const ref = results.find((r) => r.contender === "nnc-wasm")?.losses;
  const withLosses = results.filter((r) => r.losses);
  if (!ref || withLosses.length === 0) return [];
  const worst = (l: number[]) =>
    l.reduce((w, v, i) => Math.max(w, Math.abs(v - ref[i]!) / ref[i]!), 0);
  return [
    `The loss before each of the first ${SEQ_SANITY_STEPS} steps from nnc's initial weights on the same batches (the largest relative difference from nnc's wasm target): ${withLosses
      .map(
        (r) =>
          `${NAMES[r.contender] ?? r.contender} ${r.losses!.map((v) => v.toFixed(5)).join(", ")} (${worst(r.losses!).toExponential(1)})`,
      )
      .join("; ")}.`,
  ];
}

function markdown(when: string, all: Record<string, Merged[]>): string {
  const load = loads.length
    ? `load average ${Math.min(...loads).toFixed(1)} to ${Math.max(...loads).toFixed(1)} (1 minute, at each worker's start)`
    : "";
  const cpu = os.cpus()[0]?.model ?? "unknown CPU";
  const notes = Object.values(all)
    .flat()
    .flatMap((r) => [
      ...(r.notes ?? []).map((n) => `${NAMES[r.contender] ?? r.contender}: ${n}`),
      ...(r.targetNote ? [`${NAMES[r.contender]}: ${r.targetNote}`] : []),
    ]);
  const goalRows = goals(all);
  return [
    `Measured ${when} on ${cpu}, ${os.cpus().length} cores, Node ${process.version}, ${load}. Training steps at batch ${SEQ_BATCH} on synthetic tokens (vocabulary 27), from nnc's initial weights (seed 1); ${ROUNDS} rounds that take turns, each contender in its own process, the median over every repetition; throughput in CPU time of the process (every contender runs on one thread), wall-clock beside it.`,
    "",
    "gpt.nn (4 layers, 4 heads, 64 channels, context 16, 202,816 params, AdamW), tokens a step: 32 × 16; GFLOP/s by llm.c's count (6 per param and 6 L C T per token):",
    "",
    ...table(SEQ_MODELS[0]!, all["gpt"] ?? []),
    "",
    ...sanity(SEQ_MODELS[0]!, all["gpt"] ?? []),
    "",
    "makemore.nn (context 3, embedding 10, dense 200 + batchnorm + tanh, vocabulary 27, momentum SGD), one example a step each of the 32:",
    "",
    ...table(SEQ_MODELS[1]!, all["makemore"] ?? []),
    "",
    ...sanity(SEQ_MODELS[1]!, all["makemore"] ?? []),
    "",
    "| target (issue 20) | this run | required | met |",
    "|---|--:|--:|:-:|",
    ...goalRows.map(
      (g) =>
        `| ${g.what} | ${g.value} | ${g.required}${g.goal ? ` (goal ${g.goal})` : ""} | ${g.met === undefined ? "–" : g.met ? "yes" : "**no**"} |`,
    ),
    ...(notes.length ? ["", ...[...new Set(notes)].map((n) => `- ${n}`)] : []),
    "",
  ].join("\n");
}

/** Writes the section into docs/performance.md between its markers, as `npm run format` would. */
async function updateDocs(md: string): Promise<void> {
  const url = new URL("../docs/performance.md", import.meta.url);
  const readme = readFileSync(url, "utf8");
  const start = "<!-- bench-sequence:start -->";
  const end = "<!-- bench-sequence:end -->";
  if (!readme.includes(start)) return;
  const next =
    readme.slice(0, readme.indexOf(start)) +
    `${start}\n${md}${end}` +
    readme.slice(readme.indexOf(end) + end.length);
  const config = (await prettier.resolveConfig(url)) ?? {};
  writeFileSync(url, await prettier.format(next, { ...config, parser: "markdown" }));
}

async function main(): Promise<void> {
  const asked = process.argv.slice(2);
  const models = SEQ_MODELS.filter((m) => asked.length === 0 || asked.includes(m.key));
  const byName = new Map<string, SeqResult[]>();
  for (let round = 0; round < ROUNDS; round++)
    for (const m of models)
      for (const c of CONTENDERS[m.key]) {
        const k = `${m.key}/${c}`;
        byName.set(k, [...(byName.get(k) ?? []), runWorker(c, m.key, round)]);
      }
  const all: Record<string, Merged[]> = {};
  for (const m of models)
    all[m.key] = CONTENDERS[m.key].map((c) => merge(byName.get(`${m.key}/${c}`)!));
  const when = new Date().toISOString().slice(0, 16).replace("T", " ") + " UTC";
  const md = markdown(when, all);
  process.stdout.write(`\n${md}`);
  if (models.length !== SEQ_MODELS.length) return;
  const dir = new URL("./results/", import.meta.url);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    new URL("sequence.json", dir),
    JSON.stringify({ when, loads, results: all, targets: goals(all) }, null, 2) + "\n",
  );
  writeFileSync(new URL("sequence.md", dir), `# Sequence models benchmark\n\n${md}`);
  await updateDocs(md);
}

await main();
