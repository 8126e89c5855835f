// `npm run bench`: every contender in its own process (with --expose-gc), one after another, on
// the same data, initial weights and steps; then the table, with every ratio taken within this
// run, written to bench/results/ (JSON and Markdown) and into docs/performance.md between its markers.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import os from "node:os";
import * as prettier from "prettier";
import { lenetMarkdown, lenetTargets } from "./lenet-report.ts";
import { header, machine, markdown, merge, rows, ROUNDS } from "./report.ts";
import { targets } from "./targets.ts";
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
  "pytorch",
  "ort",
];

/** the contenders that run the LeNet workloads (`npm run bench -- --lenet` runs only these) */
const LENET_CONTENDERS = ["nnc", "nnc-wasm", "tfjs-cpu", "tfjs-wasm", "pytorch", "ort"];

/** the 1-minute load average when each worker started */
const loads: number[] = [];

function runWorker(name: string, round: number | "alloc", lenetOnly = false): WorkerResult {
  loads.push(os.loadavg()[0]!);
  process.stderr.write(
    round === "alloc"
      ? `bench: allocation, ${name}`
      : `bench: round ${round + 1}/${ROUNDS}, ${name}`,
  );
  const t0 = performance.now();
  const worker = new URL("./worker.ts", import.meta.url).pathname;
  const out = execFileSync(
    process.execPath,
    ["--expose-gc", "--import", "tsx", worker, name, String(round), lenetOnly ? "lenet" : "all"],
    { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 1 << 24 },
  );
  process.stderr.write(` (${((performance.now() - t0) / 1000).toFixed(0)} s)\n`);
  const line = out.split("\n").find((l) => l.startsWith("RESULT "));
  if (!line) throw new Error(`the ${name} worker printed no result`);
  return JSON.parse(line.slice("RESULT ".length)) as WorkerResult;
}

const README_INTRO = `\`npm run bench\` runs every contender in its own process, in three rounds
that take turns, on the same data, from the same initial weights, in the same order: nnc's
generated code on both targets, a hand-written JS baseline, TensorFlow.js 4 on its \`cpu\` and
\`wasm\` backends, PyTorch on one thread (LeNet) and ONNX Runtime (inference). Results:
bench/results/latest.md and latest.json (with wall-clock times too).
`;

/** Writes the table into docs/performance.md between its markers, formatted as `npm run format` would. */
async function updateReadme(md: string): Promise<void> {
  const url = new URL("../docs/performance.md", import.meta.url);
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
  const args = process.argv.slice(2);
  const lenetOnly = args.includes("--lenet");
  const only = args.filter((a) => a !== "--lenet");
  const all = lenetOnly ? LENET_CONTENDERS : CONTENDERS;
  const names = only.length > 0 ? all.filter((c) => c === "nnc" || only.includes(c)) : all;
  const t0 = performance.now();
  const byName = new Map<string, WorkerResult[]>(names.map((n) => [n, []]));
  for (let round = 0; round < ROUNDS; round++)
    for (const n of names) byName.get(n)!.push(runWorker(n, round, lenetOnly));
  if (!lenetOnly)
    for (const n of names.filter((n) => n !== "ort" && n !== "pytorch")) {
      const { alloc, gradAlloc } = runWorker(n, "alloc");
      Object.assign(byName.get(n)![0]!, { alloc, gradAlloc });
    }
  const results = names.map((n) => merge(byName.get(n)!));
  const when = new Date().toISOString().slice(0, 16).replace("T", " ") + " UTC";
  const table = rows(results);
  const full = names.length === CONTENDERS.length;
  const goals = full ? targets(results) : [];
  const lenetGoals = lenetTargets(results);
  const lenet = lenetMarkdown(results, lenetGoals);
  const mlp = markdown(results, table, goals);
  const md = [header(when, loads), mlp, lenet && `### LeNet-5\n\n${lenet}`]
    .filter(Boolean)
    .join("\n");
  process.stdout.write(`\n${md}\nbench: ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
  if (!full) return;
  const dir = new URL("./results/", import.meta.url);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    new URL("latest.json", dir),
    JSON.stringify(
      { when, machine: machine(), loads, results, table, targets: goals, lenetTargets: lenetGoals },
      null,
      2,
    ) + "\n",
  );
  writeFileSync(new URL("latest.md", dir), `# nnc benchmark\n\n${md}`);
  await updateReadme(md);
  // the wasm kernels' GFLOP/s, each MNIST product on its own (bench/wasm-kernels.ts)
  process.stderr.write("bench: the wasm kernels\n");
  const kernels = new URL("./wasm-kernels.ts", import.meta.url).pathname;
  execFileSync(process.execPath, ["--import", "tsx", kernels], { stdio: "inherit" });
}

await main();
