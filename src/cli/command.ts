// The shape of a CLI command.
import type { Options } from "./args.ts";

export interface Command {
  name: string;
  summary: string;
  usage: string;
  options: Options;
  run(argv: string[]): Promise<number>;
}

export function defineCommand(c: Command): Command {
  return c;
}

/** Prints to stdout, and waits for the write so that piped output is complete at exit. */
export function out(text: string): Promise<void> {
  return new Promise((resolve) =>
    process.stdout.write(text.endsWith("\n") ? text : `${text}\n`, () => resolve()),
  );
}
