// The files a command writes: never one of its inputs (compared after resolving links), each
// folder made and checked before the work starts, and every file written atomically
// (train/file-access.ts).
import { accessSync, constants, existsSync, mkdirSync, realpathSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { NnError } from "../diagnostics.ts";
import { writeFilesAtomic } from "../train/file-access.ts";
import { UsageError } from "./args.ts";

/** A file named on the command line, and what it is (`the model's source`, `--save`). */
export interface NamedFile {
  path: string;
  what: string;
}

/** The path a file has or would have, with every link in it resolved. */
function canonical(path: string): string {
  const full = resolve(path);
  if (existsSync(full)) return realpathSync(full);
  const dir = dirname(full);
  return dir === full ? full : join(canonical(dir), basename(full));
}

/** The same file: the same canonical path, or (hard links) the same device and inode. */
function same(a: string, b: string): boolean {
  if (canonical(a) === canonical(b)) return true;
  try {
    const [x, y] = [statSync(a), statSync(b)];
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false;
  }
}

/** NN5004 when an output is an input, or two outputs are one file. */
export function refuseOverwrites(outputs: NamedFile[], inputs: NamedFile[]): void {
  for (const [i, out] of outputs.entries()) {
    const clash =
      inputs.find((f) => same(out.path, f.path)) ??
      outputs.slice(0, i).find((f) => same(out.path, f.path));
    if (clash)
      throw new NnError([
        {
          file: out.path,
          line: 1,
          col: 1,
          code: "NN5004",
          message:
            `${out.what} would write over ${clash.what} (${clash.path}); ` +
            "nnc never writes over a file it reads or writes: choose another path",
        },
      ]);
  }
}

/** Makes an output's folder and checks that the file can be written, before any work is done. */
export function prepareOutput(out: NamedFile): void {
  try {
    mkdirSync(dirname(out.path), { recursive: true });
    if (existsSync(out.path) && statSync(out.path).isDirectory())
      throw new Error("it is a directory");
    accessSync(dirname(out.path), constants.W_OK);
  } catch (e) {
    throw new UsageError(`${out.path}: cannot write ${out.what} there (${(e as Error).message})`);
  }
}

/** Writes the files together (all or none); a failure is the user's (exit 1), naming `what`. */
export function writeOutputs(files: (NamedFile & { data: string | Uint8Array })[]): void {
  try {
    writeFilesAtomic(files.map((f) => [f.path, f.data] as const));
  } catch (e) {
    const what = files.map((f) => f.what).join(" and ");
    throw new UsageError(`${files[0]!.path}: cannot write ${what} (${(e as Error).message})`);
  }
}
