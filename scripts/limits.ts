// `npm run limits`: each case of README's "Limits" (scripts/limits/cases.ts, and the command-line
// cases below) at the size the issue names, in a process of its own with a time budget; prints
// what happened and how long it took (wall-clock and CPU time of the work, without the process's
// start). Times vary with the machine and its load; compare them within one run.
import { spawnSync } from "node:child_process";
import { main } from "../src/cli/main.ts";
import { cases, type Outcome } from "./limits/cases.ts";
import { checkCases } from "./limits/check.ts";

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
}

/** Runs one case in this process (the child's side). */
async function runCase(id: string): Promise<Measured> {
  const start = performance.now();
  const cpu = process.cpuUsage();
  const measured = (outcome: Outcome): Measured => {
    const u = process.cpuUsage(cpu);
    return { outcome, wall: performance.now() - start, cpu: (u.user + u.system) / 1000 };
  };
  const c = [...cases, ...checkCases].find((x) => x.id === id);
  if (c) return measured(c.run(c.sizes?.issue));
  const command = commands.find((x) => x.id === id)!;
  let err = "";
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: unknown) => ((err += String(chunk)), true)) as typeof write;
  const code = await main(command.argv).finally(() => (process.stderr.write = write));
  const first = err.split("\n")[0] ?? "";
  return measured({
    ok: code === 0,
    code: /error (NN\d+)/.exec(first)?.[1] ?? `exit ${code}`,
    message: first,
  });
}

function describe(o: Outcome): string {
  if (o.ok) return o.js !== undefined ? `compiles (${(o.js / 1000).toFixed(1)} KB of JS)` : "ok";
  const at = o.line !== undefined ? ` at ${o.line}:${o.col}` : "";
  return `${o.code}${at}`;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

if (process.argv[2] === "--case") {
  process.stdout.write(JSON.stringify(await runCase(process.argv[3]!)) + "\n");
} else {
  const all = [...cases, ...checkCases, ...commands];
  const rows: string[][] = [];
  for (const c of all) {
    const r = spawnSync(
      process.execPath,
      ["--import", "tsx", "scripts/limits.ts", "--case", c.id],
      {
        encoding: "utf8",
        timeout: budget,
        maxBuffer: 1 << 26,
      },
    );
    const m = r.status === 0 ? (JSON.parse(r.stdout.trim().split("\n").at(-1)!) as Measured) : null;
    const what = m
      ? describe(m.outcome)
      : r.error
        ? `over ${seconds(budget)}`
        : `failed: ${r.stderr.split("\n")[0]}`;
    rows.push([c.input, c.expect, what, m ? seconds(m.wall) : "", m ? seconds(m.cpu) : ""]);
    process.stderr.write(`${c.id}: ${what}${m ? `, ${seconds(m.wall)}` : ""}\n`);
  }
  const header = ["input", "required", "outcome", "wall", "CPU"];
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  console.log(
    [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n") +
      `\n\nMeasured ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC, Node ${process.version}, ` +
      "each case in a process of its own (the times leave out its start).",
  );
}
