// `npm run limits`: each case of README's "Limits" (scripts/limits/cases.ts, and the command-line
// cases below) at the size the issue names, then every command on the largest sources the block
// limits accept (scripts/limits/commands.ts), each in a process of its own with a time budget;
// prints what happened and how long it took (wall-clock and CPU time of the work, without the
// process's start) and the process's peak memory. Times vary with the machine and its load;
// compare them within one run.
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { main } from "../src/cli/main.ts";
import { cases, type Outcome } from "./limits/cases.ts";
import { checkCases } from "./limits/check.ts";
import { commands as cliCommands, largest, limitSources } from "./limits/commands.ts";

/** Commands that once hung on a device file; each must refuse it at once. */
const commands: { id: string; input: string; expect: string; argv: string[] }[] = [
  {
    id: "compile-dev-zero",
    input: "`nnc compile /dev/zero`",
    expect: "NN5002 at once",
    argv: ["compile", "/dev/zero", "-o", "build/zero.js"],
  },
  {
    id: "eval-load-dev-zero",
    input: "`nnc eval --load /dev/zero`",
    expect: "NN5002 at once",
    argv: ["eval", "models/xor.nn", "--load", "/dev/zero", "--data", "data/xor.csv"],
  },
  {
    id: "train-data-dev-zero",
    input: "`nnc train --data /dev/zero`",
    expect: "NN5002 at once",
    argv: ["train", "models/xor.nn", "--data", "/dev/zero"],
  },
];

const budget = 300_000; // ms per case

interface Measured {
  outcome: Outcome;
  wall: number;
  cpu: number;
  /** the process's peak resident memory, in MB */
  rss: number;
}

/** Measures `work` in this process (the child's side). */
async function measure(work: () => Promise<Outcome> | Outcome): Promise<Measured> {
  const start = performance.now();
  const cpu = process.cpuUsage();
  const outcome = await work();
  const u = process.cpuUsage(cpu);
  const rss = process.resourceUsage().maxRSS / 1024;
  return { outcome, wall: performance.now() - start, cpu: (u.user + u.system) / 1000, rss };
}

/** Runs the CLI with its output counted, not kept: the first line of stderr is the outcome. */
async function runCli(argv: string[]): Promise<Outcome> {
  let err = "";
  const [write, writeOut] = [process.stderr.write, process.stdout.write];
  const sink = (keep: boolean) =>
    ((chunk: unknown, ...rest: unknown[]) => {
      if (keep) err += String(chunk);
      const done = rest.find((r) => typeof r === "function") as (() => void) | undefined;
      done?.();
      return true;
    }) as typeof write;
  process.stderr.write = sink(true);
  process.stdout.write = sink(false);
  const code = await main(argv).finally(() => {
    process.stderr.write = write;
    process.stdout.write = writeOut;
  });
  const first = err.split("\n").find((l) => /error NN\d+/.test(l)) ?? err.split("\n")[0] ?? "";
  return {
    ok: code === 0,
    code: /error (NN\d+)/.exec(first)?.[1] ?? `exit ${code}`,
    message: first,
  };
}

/** One case (the child's side): a case of cases.ts, a command above, or `shape/command`. */
async function runCase(id: string): Promise<Measured> {
  const c = [...cases, ...checkCases].find((x) => x.id === id);
  if (c) return measure(() => c.run(c.sizes?.issue));
  const command = commands.find((x) => x.id === id);
  if (command) return measure(() => runCli(command.argv));
  const [sourceId, commandId] = id.split("/") as [string, string];
  const cli = cliCommands.find((x) => x.id === commandId)!;
  const dir = mkdtempSync(join(tmpdir(), "nnc-limits-"));
  writeFileSync(join(dir, "package.json"), '{ "type": "module" }\n'); // the module it imports
  const file = join(dir, `${sourceId}.nn`);
  writeFileSync(file, largest(sourceId).source);
  const out = join(dir, "out");
  const m = await measure(() => runCli(cli.argv(file, out)));
  if (!m.outcome.ok || !cli.module) return m;
  return { ...m, outcome: await runModule(cli.module(out)) };
}

/** Imports a written module and runs one step of it (a training step, or forward). */
async function runModule(path: string): Promise<Outcome> {
  try {
    const mod = await import(pathToFileURL(path).href);
    const size = (shape: (number | string)[]) =>
      shape.reduce<number>((a, d) => a * (typeof d === "number" ? d : 2), 1);
    const inputs = mod.meta.inputs as { name: string; shape: (number | string)[] }[];
    const feed = Object.fromEntries(inputs.map((i) => [i.name, new Float32Array(size(i.shape))]));
    const m = mod.createModel({ seed: 1 });
    const result = mod.meta.training ? m.trainStep(feed) : m.forward(feed);
    if (result === undefined) throw new Error("no result");
    return { ok: true };
  } catch (e) {
    return { ok: false, code: "import", message: e instanceof Error ? e.message : String(e) };
  }
}

function describe(o: Outcome): string {
  if (o.ok) return o.js !== undefined ? `compiles (${(o.js / 1000).toFixed(1)} KB of JS)` : "ok";
  const at = o.line !== undefined ? ` at ${o.line}:${o.col}` : "";
  return `${o.code}${at}`;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** Runs a case in a child process: what it measured, or why there is nothing. */
function spawnCase(id: string): Measured | string {
  const r = spawnSync(process.execPath, ["--import", "tsx", "scripts/limits.ts", "--case", id], {
    encoding: "utf8",
    timeout: budget,
    maxBuffer: 1 << 26,
  });
  if (r.status === 0) return JSON.parse(r.stdout.trim().split("\n").at(-1)!) as Measured;
  return r.error ? `over ${seconds(budget)}` : `failed: ${r.stderr.split("\n")[0]}`;
}

const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
const table = (header: string[], rows: string[][]) =>
  [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");

function casesTable(): string {
  const rows: string[][] = [];
  for (const c of [...cases, ...checkCases, ...commands]) {
    const m = spawnCase(c.id);
    const what = typeof m === "string" ? m : describe(m.outcome);
    const [wall, cpu] = typeof m === "string" ? ["", ""] : [seconds(m.wall), seconds(m.cpu)];
    rows.push([c.input, c.expect, what, wall, cpu]);
    process.stderr.write(`${c.id}: ${what}${wall ? `, ${wall}` : ""}\n`);
  }
  return table(["input", "required", "outcome", "wall", "CPU"], rows);
}

/** Every command on the largest source of each shape: wall time and peak memory. */
function commandsTable(only?: string[]): string {
  const rows: string[][] = [];
  for (const shape of limitSources.filter((s) => !only || only.includes(s.id))) {
    const row = [`${shape.input}: ${largest(shape.id).size}`];
    for (const cli of cliCommands) {
      const m = spawnCase(`${shape.id}/${cli.id}`);
      const cell =
        typeof m === "string"
          ? m
          : `${m.outcome.ok ? "" : `${m.outcome.code} `}${seconds(m.wall)} (${seconds(m.cpu)}), ${Math.round(m.rss)} MB`;
      row.push(cell);
      process.stderr.write(`${shape.id}/${cli.id}: ${cell}\n`);
    }
    rows.push(row);
  }
  // each cell: wall time (CPU time), peak memory
  return table(["source", ...cliCommands.map((c) => c.id)], rows);
}

if (process.argv[2] === "--case") {
  process.stdout.write(JSON.stringify(await runCase(process.argv[3]!)) + "\n");
} else {
  const only = process.argv[2];
  const parts = [
    ...(only === "--commands" ? [] : [casesTable()]),
    ...(only === "--cases" ? [] : [commandsTable(process.argv[3]?.split(","))]),
  ];
  console.log(
    parts.join("\n\n") +
      `\n\nMeasured ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC, Node ${process.version}, ` +
      "each case in a process of its own (the times leave out its start; the memory is the process's peak).",
  );
}
