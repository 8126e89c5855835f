// Argument parsing for the commands, on node's util.parseArgs, with errors users can act on.
import { parseArgs, type ParseArgsConfig } from "node:util";
import { didYouMean } from "../diagnostics.ts";

/** A bad command line: printed without a stack trace, exit code 1. */
export class UsageError extends Error {}

export type Options = NonNullable<ParseArgsConfig["options"]>;

export interface Parsed {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

export function parse(argv: string[], options: Options, usage: string): Parsed {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options,
      allowPositionals: true,
      strict: true,
    });
    return { values: values as Parsed["values"], positionals };
  } catch (e) {
    throw new UsageError(flagProblem(e as Error & { code?: string }, argv, options, usage));
  }
}

/** Node's parser's complaint, said for nnc: the flag, what is wrong, and where the list is. */
function flagProblem(
  e: Error & { code?: string },
  argv: string[],
  options: Options,
  usage: string,
): string {
  const command = /^usage: (nnc \w+)/.exec(usage)?.[1] ?? "nnc";
  const help = `\`${command} --help\` lists its options`;
  const flag = /'(-{1,2}[^' <]+)/.exec(e.message)?.[1];
  if (flag === undefined) return `${e.message}\n\n${usage}`;
  if (e.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
    const names = Object.keys(options).map((o) => `--${o}`);
    return `${command} has no option \`${flag}\`${didYouMean(flag, names)}; ${help}`;
  }
  const name = flag.replace(/^-+/, "");
  if (options[name]?.type !== "string") return `\`${flag}\` takes no value; ${help}`;
  const next = argv[argv.indexOf(flag) + 1];
  const dash = next?.startsWith("-")
    ? ` (a value that starts with \`-\` is written \`${flag}=${next}\`)`
    : "";
  return `\`${flag}\` needs a value: \`${flag} VALUE\`${dash}; ${help}`;
}

/** `a=1,b=-2` -> Map { a => 1, b => -2 } */
export function parseAssignments(text: string, flag: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const part of text.split(",").filter((p) => p.trim() !== "")) {
    const m = /^\s*([^=\s]+)\s*=\s*(\S+)\s*$/.exec(part);
    const value = m ? Number(m[2]) : NaN;
    if (!m || !Number.isFinite(value))
      throw new UsageError(
        `${flag} expects NAME=NUMBER pairs separated by commas, got \`${part}\``,
      );
    out.set(m[1]!, value);
  }
  return out;
}

export function stringOpt(p: Parsed, name: string): string | undefined {
  const v = p.values[name];
  return typeof v === "string" ? v : undefined;
}

export function oneFile(p: Parsed, usage: string): string {
  if (p.positionals.length !== 1)
    throw new UsageError(
      `expected one .nn file, got ${p.positionals.length === 0 ? "none" : p.positionals.join(" ")}\n\n${usage}`,
    );
  return p.positionals[0]!;
}
