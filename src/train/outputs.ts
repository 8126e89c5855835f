// How nnc writes a file (node only), for every output: compile's module and .d.ts, --emit wat,
// export's files, train's --save and --plot, the library's saveWeights. The rules:
// - a target is a regular file (replaced whole: written to a temporary file in its folder, then
//   renamed over it, keeping its permissions) or a new one; a pipe is written through; anything
//   else (a device, a folder, a socket) is refused (NN5002) and left as it was;
// - a link is followed: what it points to is written, never the link replaced;
// - everything that can fail about an output is checked before the work starts (prepareOutputs):
//   its folder made and a file made in it and removed (a read-only folder, a file system such as
//   /proc that takes no files), the length of its name, a file that is not writable (NN5005);
// - if writing still fails at the end, work that took long to make (the trained weights) is
//   written to a fallback file, whose name the error gives (NN5006).
import {
  accessSync,
  closeSync,
  constants,
  existsSync,
  fchmodSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readlinkSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
  type Stats,
} from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, extname, join, resolve } from "node:path";
import { NnError, type Code } from "../diagnostics.ts";
import { kindOf } from "./file-access.ts";

/** A file named on the command line, and what it is (`the model's source`, `--save`). */
export interface NamedFile {
  path: string;
  what: string;
}

export type OutputData = NamedFile & { data: string | Uint8Array };

/** Where an output goes: a new or regular file (at the end of any links), or a pipe. */
interface Target {
  kind: "new" | "file" | "pipe";
  path: string;
  /** a regular file's permissions, which the file replacing it keeps */
  mode?: number;
}

function refuse(out: NamedFile, code: Code, message: string): NnError {
  return new NnError([{ file: out.path, line: 1, col: 1, code, message }]);
}

const reason = (e: unknown) => (e instanceof Error ? e.message : String(e));

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
export function refuseOverwrites(
  outputs: readonly NamedFile[],
  inputs: readonly NamedFile[],
): void {
  for (const [i, out] of outputs.entries()) {
    const clash =
      inputs.find((f) => same(out.path, f.path)) ??
      outputs.slice(0, i).find((f) => same(out.path, f.path));
    if (clash)
      throw refuse(
        out,
        "NN5004",
        `${out.what} would write over ${clash.what} (${clash.path}); ` +
          "nnc never writes over a file it reads or writes: choose another path",
      );
  }
}

/** File systems take names of at most 255 bytes and paths of at most 4,095. */
const NAME_MAX = 255;
const PATH_MAX = 4095;

/** What `out.path` is, following links (a dangling one to the file it would make). */
function targetOf(out: NamedFile): Target {
  let s: Stats;
  try {
    s = statSync(out.path);
  } catch (e) {
    // a file where a folder should be, a name too long: preparing the file says which
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== "ENOENT" && code !== "ENOTDIR" && code !== "ENAMETOOLONG")
      throw refuse(out, "NN5005", `cannot write ${out.what} there (${reason(e)})`);
    return { kind: "new", path: endOfLinks(out) };
  }
  if (s.isFile()) return { kind: "file", path: realpathSync(out.path), mode: s.mode & 0o7777 };
  if (s.isFIFO()) return { kind: "pipe", path: out.path };
  throw refuse(
    out,
    "NN5002",
    `not a regular file but ${kindOf(s)}; nnc writes ${out.what} only to a regular file ` +
      "(or through a pipe), and leaves this one as it is: choose another path",
  );
}

/** The path a chain of links ends at, where nothing is yet. */
function endOfLinks(out: NamedFile): string {
  let path = resolve(out.path);
  for (let hops = 0; hops < 40; hops++) {
    let link: Stats;
    try {
      link = lstatSync(path);
    } catch {
      return path;
    }
    if (!link.isSymbolicLink()) return path;
    path = resolve(dirname(path), readlinkSync(path));
  }
  throw refuse(out, "NN5005", `cannot write ${out.what} there (a loop of links)`);
}

/** mkdir -p, one level at a time (node's recursive mkdir never returns on /proc). */
function makeFolder(dir: string): void {
  try {
    if (statSync(dir).isDirectory()) return;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    if (dirname(dir) !== dir) makeFolder(dirname(dir));
    mkdirSync(dir);
    return;
  }
  throw new Error(`${dir} is not a folder`);
}

let temporaries = 0;
/** A name beside the target, short whatever the target's length. */
const temporary = (dir: string) => join(dir, `.nnc-${process.pid}-${temporaries++}.tmp`);

/** The whole of `data` to a new file `path` (never one that exists), on disk before it returns. */
function writeNew(path: string, data: string | Uint8Array, mode?: number): void {
  const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o666);
  try {
    if (mode !== undefined) fchmodSync(fd, mode);
    const bytes = typeof data === "string" ? Buffer.from(data) : data;
    for (let at = 0; at < bytes.length;) at += writeSync(fd, bytes, at, bytes.length - at);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Before any work: refuses what cannot be written (NN5002, NN5005), makes each folder, and makes
 * and removes a file in it, so that the write at the end meets what it was checked against.
 */
export function prepareOutputs(outputs: readonly NamedFile[]): void {
  for (const out of outputs) {
    const target = targetOf(out);
    if (target.kind === "file") refuseReadOnly(out, target.path);
    if (target.kind !== "pipe") prepareFile(out, target.path);
  }
}

/** A file its owner made read-only (or another user's) is not replaced, as `cp` would not. */
function refuseReadOnly(out: NamedFile, path: string): void {
  try {
    accessSync(path, constants.W_OK);
  } catch (e) {
    throw refuse(
      out,
      "NN5005",
      `cannot write ${out.what} there: the file is not writable (${reason(e)}); ` +
        "choose another path, or make it writable",
    );
  }
}

function prepareFile(out: NamedFile, path: string): void {
  const name = Buffer.byteLength(basename(path));
  if (name > NAME_MAX || Buffer.byteLength(path) > PATH_MAX)
    throw refuse(
      out,
      "NN5005",
      `the ${name > NAME_MAX ? `name has ${name}` : "path is over 4,095"} bytes; file systems ` +
        `take names of up to ${NAME_MAX} bytes and paths of up to ${PATH_MAX}: choose a shorter one`,
    );
  const dir = dirname(path);
  const attempt = (step: () => void, what: string) => {
    try {
      step();
    } catch (e) {
      const advice = "choose a folder you can write, on a disk";
      throw refuse(
        out,
        "NN5005",
        `cannot write ${out.what} there: ${what} (${reason(e)}); ${advice}`,
      );
    }
  };
  attempt(() => makeFolder(dir), `its folder ${dir} cannot be made`);
  attempt(() => {
    const probe = temporary(dir);
    writeNew(probe, "");
    rmSync(probe);
  }, `a file cannot be made in ${dir}`);
}

/**
 * Writes the files together, following the rules at the top: every regular file to its temporary
 * first, then the pipes, then each temporary renamed over its target (the first one last), so that
 * a failure (NnError NN5002 or NN5005) leaves every regular target as it was.
 */
export function writeOutputs(files: readonly OutputData[]): void {
  const temps: [temp: string, path: string][] = [];
  try {
    const targets = files.map((f) => ({ ...f, target: targetOf(f) }));
    for (const { target, data } of targets) {
      if (target.kind === "pipe") continue;
      makeFolder(dirname(target.path));
      const temp = temporary(dirname(target.path));
      writeNew(temp, data, target.mode);
      temps.push([temp, target.path]);
    }
    for (const { target, data } of targets)
      if (target.kind === "pipe") writePipe(target.path, data);
    for (const [temp, path] of [...temps].reverse()) renameSync(temp, path);
  } catch (e) {
    for (const [temp] of temps) rmSync(temp, { force: true });
    if (e instanceof NnError) throw e;
    const what = files.map((f) => f.what).join(" and ");
    throw refuse(files[0]!, "NN5005", `cannot write ${what} (${reason(e)})`);
  }
}

/** writeOutputs of one file, named by its path (the scripts' outputs: charts, docs, the demo). */
export function writeOutput(path: string, data: string | Uint8Array, what = path): void {
  writeOutputs([{ path, what, data }]);
}

/** Writes into a pipe (waiting, as a shell does, for a reader to open it). */
function writePipe(path: string, data: string | Uint8Array): void {
  const fd = openSync(path, constants.O_WRONLY);
  try {
    const bytes = typeof data === "string" ? Buffer.from(data) : data;
    for (let at = 0; at < bytes.length;) at += writeSync(fd, bytes, at, bytes.length - at);
  } finally {
    closeSync(fd);
  }
}

/**
 * writeOutputs, for work that took long to make: where it fails, each file is written to a
 * fallback file (beside its target, else in the working folder, else in the temporary one) and
 * the error (NN5006) names it.
 */
export function writeOutputsOrFallback(files: readonly OutputData[]): void {
  try {
    writeOutputs(files);
  } catch (e) {
    const first = e instanceof NnError ? e.diagnostics[0]!.message : reason(e);
    const saved = files.map((f) => `${fallback(f)} (${f.what})`).join(", ");
    throw refuse(
      files[0]!,
      "NN5006",
      `${first}; so that nothing is lost, written instead: ${saved}`,
    );
  }
}

/** Writes `f` to a new file of a short name beside its target, or in the working or temporary folder. */
function fallback(f: OutputData): string {
  const ext = extname(f.path).length <= 16 ? extname(f.path) : "";
  const errors: string[] = [];
  for (const dir of [dirname(resolve(f.path)), process.cwd(), tmpdir()]) {
    const path = join(dir, `nnc-saved-${process.pid}-${temporaries++}${ext}`);
    try {
      writeNew(path, f.data);
      return path;
    } catch (e) {
      errors.push(reason(e));
    }
  }
  throw refuse(f, "NN5005", `cannot write ${f.what}, nor a fallback file (${errors.join("; ")})`);
}
