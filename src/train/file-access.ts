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
  // every character becomes a window of the context's length and more: 16 MiB gives ~1 GiB of them
  text: { bytes: 16 * MiB, size: "16 MiB", what: "text files" },
  weights: { bytes: 2 ** 31, size: "2 GiB", what: "weights files" },
} as const;

export type FileKind = keyof typeof FILE_LIMITS;

/** A file that cannot be read at all (missing, no permission): the reader's own error. */
export type Unreadable = (code: string | undefined, message: string) => Error;

function refuse(file: string, code: Code, message: string): NnError {
  return new NnError([{ file, line: 1, col: 1, code, message }]);
}

/** What a file that is not a regular file is, in words (train_ddp.py says the same). */
export const OTHER_FILES = {
  directory: "a directory",
  characterDevice: "a character device",
  blockDevice: "a block device",
  fifo: "a pipe (FIFO)",
  socket: "a socket",
  other: "something else",
} as const;

export function kindOf(s: Stats): string {
  if (s.isDirectory()) return OTHER_FILES.directory;
  if (s.isCharacterDevice()) return OTHER_FILES.characterDevice;
  if (s.isBlockDevice()) return OTHER_FILES.blockDevice;
  if (s.isFIFO()) return OTHER_FILES.fifo;
  if (s.isSocket()) return OTHER_FILES.socket;
  return OTHER_FILES.other;
}

/** The messages of NN5002 and NN5003, of their parts (train_ddp.py fills the same). */
export const fileMessages = {
  notRegular: (kind: string, what: string) =>
    `not a regular file but ${kind}; nnc reads ${what} only from regular files`,
  tooLarge: (bytes: string, what: string, size: string, limit: string) =>
    `the file has ${bytes} bytes; nnc reads ${what} of up to ${size} (${limit} bytes)`,
};

function checkStats(file: string, s: Stats, kind: FileKind): void {
  const limit = FILE_LIMITS[kind];
  if (!s.isFile()) throw refuse(file, "NN5002", fileMessages.notRegular(kindOf(s), limit.what));
  if (s.size > limit.bytes)
    throw refuse(
      file,
      "NN5003",
      fileMessages.tooLarge(
        s.size.toLocaleString("en-US"),
        limit.what,
        limit.size,
        limit.bytes.toLocaleString("en-US"),
      ),
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
