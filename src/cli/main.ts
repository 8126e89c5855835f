// nnc's command line: dispatch to a command; user errors print cleanly with exit code 1, internal
// ones with exit code 2, and never a stack trace.
import { didYouMean, NnError } from "../diagnostics.ts";
import { UsageError } from "./args.ts";
import type { Command } from "./command.ts";
import { compileCommand } from "./commands/compile.ts";
import { gradCommand } from "./commands/grad.ts";
import { graphCommand } from "./commands/graph.ts";
import { traceCommand } from "./commands/trace.ts";
import { checkCommand } from "./commands/check.ts";
import { statsCommand } from "./commands/stats.ts";
import { trainCommand } from "./commands/train.ts";
import { evalCommand } from "./commands/eval.ts";
import { initCommand } from "./commands/init.ts";
import { predictCommand } from "./commands/predict.ts";
import { sampleCommand } from "./commands/sample.ts";
import { exportCommand } from "./commands/export.ts";
import { packageVersion } from "./version.ts";

export const commands: Command[] = [
  compileCommand,
  gradCommand,
  graphCommand,
  traceCommand,
  checkCommand,
  statsCommand,
  initCommand,
  trainCommand,
  evalCommand,
  predictCommand,
  sampleCommand,
  exportCommand,
];

/** What `nnc --help` prints: the commands, a line each. */
export function help(): string {
  const width = commands.reduce((m, c) => Math.max(m, c.name.length), 0);
  return [
    "usage: nnc COMMAND [options]   (nnc COMMAND --help for each)",
    "",
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    "nnc --version (or -v) prints the version.",
  ].join("\n");
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(help() + "\n");
    return name === undefined ? 1 : 0;
  }
  if (name === "--version" || name === "-v" || name === "version") {
    process.stdout.write(packageVersion() + "\n");
    return 0;
  }
  const command = commands.find((c) => c.name === name);
  try {
    if (!command) {
      const hint = didYouMean(
        name,
        commands.map((c) => c.name),
      );
      throw new UsageError(`unknown command \`${name}\`${hint}\n\n${help()}`);
    }
    if (rest.includes("--help") || rest.includes("-h")) {
      process.stdout.write(command.usage + "\n");
      return 0;
    }
    return await command.run(rest);
  } catch (e) {
    return report(e);
  }
}

function report(e: unknown): number {
  if (e instanceof NnError) {
    process.stderr.write(e.message + "\n");
    return e.diagnostics.some((d) => d.code === "NN9000") ? 2 : 1;
  }
  if (e instanceof UsageError) {
    process.stderr.write(`nnc: ${e.message}\n`);
    return 1;
  }
  const message = e instanceof Error ? e.message : String(e);
  process.stderr.write(
    `nnc: internal error: ${message}\n(this is a bug in nnc; please report it with the input that caused it)\n`,
  );
  return 2;
}
