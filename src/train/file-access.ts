// How nnc reads files (node only: nothing that src/index.ts reaches imports this). It
// reads only regular files, each kind up to a size limit checked before anything is read, so that
// `/dev/zero`, a FIFO or a runaway file is refused at once instead of read until memory runs out.
// Writing is outputs.ts's.
import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from "node:fs";
import { NnError, type Code } from "../diagnostics.ts";

const MiB = 2 ** 20;

/** The largest file of each kind nnc reads (README, "Limits"). */
export const FILE_LIMITS = {
  source: { bytes: 16 * MiB, size: "16 MiB", what: ".nn source files" },
  csv: { bytes: 256 * MiB, size: "256 MiB", what: "CSV files" },
  weights: { bytes: 2 ** 31, size: "2 GiB", what: "weights files" },
} as const;

export type FileKind = keyof typeof FILE_LIMITS;

/** A file that cannot be read at all (missing, no permission): the reader's own error. */
export type Unreadable = (code: string | undefined, message: string) => Error;

function refuse(file: string, code: Code, message: string): NnError {
  return new NnError([{ file, line: 1, col: 1, code, message }]);
}

export function kindOf(s: Stats): string {
  if (s.isDirectory()) return "a directory";
  if (s.isCharacterDevice()) return "a character device";
  if (s.isBlockDevice()) return "a block device";
  if (s.isFIFO()) return "a pipe (FIFO)";
  if (s.isSocket()) return "a socket";
  return "something else";
}

function checkStats(file: string, s: Stats, kind: FileKind): void {
  const limit = FILE_LIMITS[kind];
  if (!s.isFile())
    throw refuse(
      file,
      "NN5002",
      `not a regular file but ${kindOf(s)}; nnc reads ${limit.what} only from regular files`,
    );
  if (s.size > limit.bytes)
    throw refuse(
      file,
      "NN5003",
      `the file has ${s.size.toLocaleString("en-US")} bytes; nnc reads ${limit.what} of up to ` +
        `${limit.size} (${limit.bytes.toLocaleString("en-US")} bytes)`,
    );
}

/** The bytes of a regular file of at most its kind's limit; any other file is an NnError. */
export function readRegularFile(file: string, kind: FileKind, unreadable: Unreadable): Buffer {
  let fd: number;
  try {
    checkStats(file, statSync(file), kind); // before opening: opening a FIFO would wait for a writer
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    if (e instanceof NnError) throw e;
    throw unreadable((e as NodeJS.ErrnoException).code, (e as Error).message);
  }
  try {
    const s = fstatSync(fd);
    checkStats(file, s, kind); // the file opened may not be the one looked at
    const out = Buffer.alloc(s.size);
    let at = 0;
    while (at < out.length) {
      const n = readSync(fd, out, at, Math.min(out.length - at, 2 ** 30), at);
      if (n === 0) break;
      at += n;
    }
    return at === out.length ? out : out.subarray(0, at);
  } catch (e) {
    if (e instanceof NnError) throw e;
    throw unreadable((e as NodeJS.ErrnoException).code, (e as Error).message);
  } finally {
    closeSync(fd);
  }
}
