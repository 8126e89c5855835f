// Every output nnc writes goes through src/train/outputs.ts: a device, a folder or a socket is
// refused before any work and left as it was (NN5002), a link is followed and stays a link, a
// pipe is written through, what cannot work is found before training (NN5005), and weights that
// cannot be saved at the end go to a fallback file the error names (NN5006). Devices are made
// with mknod in a temporary folder (root only); /dev/null is only looked at.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { captureStdio } from "./capture.ts";
import { main } from "../src/cli/main.ts";
import { compile } from "../src/compile.ts";
import { saveWeights } from "../src/train/files.ts";
import { writeOutputs } from "../src/train/outputs.ts";
import { NnError } from "../src/diagnostics.ts";

const io = captureStdio();
const dir = mkdtempSync(join(tmpdir(), "nnc-outputs-"));
const path = (name: string) => join(dir, name);
const root = process.getuid?.() === 0;
const train = ["train", "models/xor.nn", "--data", "data/xor.csv", "--epochs", "1"];

/** Each command that writes a file, with the file at `out`. */
const writers: [string, (out: string) => string[]][] = [
  ["compile -o", (out) => ["compile", "models/xor.nn", "-o", out]],
  ["compile --emit wat -o", (out) => ["compile", "models/mnist.nn", "--emit", "wat", "-o", out]],
  ["export --format onnx -o", (out) => ["export", "models/xor.nn", "--format", "onnx", "-o", out]],
  [
    "export --format torch -o",
    (out) => ["export", "models/xor.nn", "--format", "torch", "-o", out],
  ],
  ["train --save", (out) => [...train, "--save", out]],
  ["train --plot", (out) => [...train, "--plot", out]],
];

/** Targets that are not regular files: how to make one, and what it must still be afterwards. */
const refused: [string, (name: string) => string, RegExp, (p: string) => boolean][] = [
  [
    "a directory",
    (n) => (mkdirSync(path(n)), path(n)),
    /a directory/,
    (p) => statSync(p).isDirectory(),
  ],
  ["a character device", (n) => mknod(n, "c", "1", "3"), /a character device/, isCharDevice],
  [
    "a block device",
    (n) => mknod(n, "b", "7", "0"),
    /a block device/,
    (p) => statSync(p).isBlockDevice(),
  ],
  [
    "a link to a character device",
    (n) => (symlinkSync(mknod(`${n}.dev`, "c", "1", "3"), path(n)), path(n)),
    /a character device/,
    (p) => lstatSync(p).isSymbolicLink() && isCharDevice(p),
  ],
];

function mknod(name: string, kind: string, major: string, minor: string): string {
  execFileSync("mknod", [path(name), kind, major, minor]);
  return path(name);
}

function isCharDevice(p: string): boolean {
  const s = statSync(p);
  return s.isCharacterDevice() && s.rdev === statSync("/dev/null").rdev;
}

describe.skipIf(!root)("targets that are not regular files", () => {
  let n = 0;
  for (const [kind, make, what, still] of refused)
    for (const [command, argv] of writers)
      it(`${command} refuses ${kind} before any work, and leaves it as it was (NN5002)`, async () => {
        const target = make(`t${n++}`);
        expect(await main(argv(target))).toBe(1);
        expect(io.err).toMatch(/:1:1: error NN5002: not a regular file but /);
        expect(io.err).toMatch(what);
        expect(io.out).toBe("");
        expect(still(target)).toBe(true);
      });

  it("refuses /dev/null, which stays a character device", async () => {
    const before = statSync("/dev/null");
    expect(await main([...train, "--save", "/dev/null"])).toBe(1);
    expect(io.err).toMatch(/^\/dev\/null:1:1: error NN5002: not a regular file but a character/);
    const after = statSync("/dev/null");
    expect(
      after.isCharacterDevice() && after.rdev === before.rdev && after.ino === before.ino,
    ).toBe(true);
  });

  it("refuses a device through the library's saveWeights too", () => {
    const c = compile(readFileSync("models/xor.nn", "utf8"));
    const device = mknod("lib.dev", "c", "1", "3");
    const m = c.load().createModel({ seed: 1 });
    expect(() => saveWeights(device, c.model, m)).toThrow(/NN5002: not a regular file but a char/);
    expect(isCharDevice(device)).toBe(true);
  });
});

describe("links and pipes", () => {
  it("writes through a link to a file, which stays a link", async () => {
    writeFileSync(path("real.js"), "old");
    symlinkSync(path("real.js"), path("link.js"));
    expect(await main(["compile", "models/xor.nn", "-o", path("link.js")])).toBe(0);
    expect(lstatSync(path("link.js")).isSymbolicLink()).toBe(true);
    expect(readFileSync(path("real.js"), "utf8")).toMatch(/^\/\/ model xor/);
  });

  it("follows a link to nothing yet, making the file it points to", async () => {
    symlinkSync("made/w.safetensors", path("dangling.safetensors"));
    expect(await main([...train, "--save", path("dangling.safetensors")])).toBe(0);
    expect(readlinkSync(path("dangling.safetensors"))).toBe("made/w.safetensors");
    expect(readFileSync(path("made/w.safetensors")).length).toBeGreaterThan(100);
  });

  it("keeps the permissions of the file it replaces", async () => {
    writeFileSync(path("kept.onnx"), "old");
    chmodSync(path("kept.onnx"), 0o640);
    expect(
      await main(["export", "models/xor.nn", "--format", "onnx", "-o", path("kept.onnx")]),
    ).toBe(0);
    expect(statSync(path("kept.onnx")).mode & 0o777).toBe(0o640);
  });

  it("writes through a pipe (FIFO), which stays a pipe", async () => {
    const fifo = path("module.pipe");
    execFileSync("mkfifo", [fifo]);
    const reader = spawn("sh", ["-c", `cat "${fifo}" > "${path("from-pipe.js")}"`]);
    const done = new Promise((resolve) => reader.on("close", resolve));
    const r = spawnSync(process.execPath, ["bin/nnc.js", "compile", "models/xor.nn", "-o", fifo], {
      encoding: "utf8",
      timeout: 20_000,
    });
    expect(r.status, r.stderr).toBe(0);
    await done;
    expect(statSync(fifo).isFIFO()).toBe(true);
    const module = compile(readFileSync("models/xor.nn", "utf8"), { file: "models/xor.nn" }).js;
    expect(readFileSync(path("from-pipe.js"), "utf8")).toBe(module);
  });
});

describe("what can fail is found before training (NN5005)", () => {
  const long = (bytes: number, ext: string) => path("w".repeat(bytes - ext.length) + ext);
  it("saves to a name of 247 bytes (its temporary file's name is short)", async () => {
    expect(await main([...train, "--save", long(247, ".safetensors")])).toBe(0);
    expect(statSync(long(247, ".safetensors")).size).toBeGreaterThan(100);
    expect(await main(["compile", "models/xor.nn", "-o", long(247, ".js")])).toBe(0);
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  const early: [string, string, RegExp][] = [
    [
      "a name of 256 bytes",
      long(256, ".safetensors"),
      /the name has 256 bytes; file systems take names of up to 255/,
    ],
    ["/proc", "/proc/nnc-test.safetensors", /a file cannot be made in \/proc \((ENOENT|EACCES)/],
    [
      "a folder in /proc",
      "/proc/nnc/deep/w.safetensors",
      /its folder \/proc\/nnc\/deep cannot be made/,
    ],
    [
      "a folder that is a file",
      join(path("file.txt"), "w.safetensors"),
      /file\.txt is not a folder/,
    ],
  ];
  for (const [scenario, target, message] of early)
    it(`refuses ${scenario} before training`, async () => {
      writeFileSync(path("file.txt"), "a file");
      expect(await main([...train, "--save", target])).toBe(1);
      expect(io.err).toMatch(/error NN5005: /);
      expect(io.err).toMatch(message);
      expect(io.out).toBe("");
    });
});

describe("weights that cannot be saved at the end (NN5006)", () => {
  /** Trains with --save `target`, calling `spoil` once training is over, before the save. */
  async function trainSpoiled(target: string, spoil: () => void): Promise<number> {
    vi.spyOn(process.stdout, "write").mockImplementation((chunk: unknown) => {
      io.out += String(chunk);
      if (String(chunk).includes("training loss per step")) spoil();
      return true;
    });
    return main([...train, "--seed", "7", "--save", target]);
  }
  const fallbackIn = (where: string) =>
    new RegExp(
      `so that nothing is lost, written instead: (${where}/nnc-saved-\\d+-\\d+\\.safetensors) \\(the --save weights\\)`,
    );

  it("writes them beside the target when the target became a folder", async () => {
    expect(await main([...train, "--seed", "7", "--save", path("expected.safetensors")])).toBe(0);
    const target = path("end/w.safetensors");
    const code = await trainSpoiled(target, () => mkdirSync(target, { recursive: true }));
    expect(code).toBe(1);
    expect(io.err).toMatch(/w\.safetensors:1:1: error NN5006: not a regular file but a directory/);
    const saved = fallbackIn(path("end")).exec(io.err)![1]!;
    expect(readFileSync(saved)).toEqual(readFileSync(path("expected.safetensors")));
  });

  it("writes them in the working folder when the target's folder became a file", async () => {
    const target = path("gone/w.safetensors");
    const cwd = process.cwd();
    const work = path("work");
    mkdirSync(work);
    const spoil = () => {
      rmSync(path("gone"), { recursive: true });
      writeFileSync(path("gone"), "not a folder");
      process.chdir(work);
    };
    try {
      expect(await trainSpoiled(target, spoil)).toBe(1);
    } finally {
      process.chdir(cwd);
    }
    expect(io.err).toMatch(/error NN5006: cannot write the --save weights \(.*not a folder\)/);
    const saved = fallbackIn(work).exec(io.err)![1]!;
    expect(readFileSync(saved)).toEqual(readFileSync(path("expected.safetensors")));
  });
});

describe("files written together", () => {
  it("leaves neither file, nor a temporary one, when the second cannot be written", () => {
    mkdirSync(path("pair"));
    const files = [
      { path: path("pair/a.js"), what: "the module", data: "a" },
      { path: "/proc/nnc-pair.d.ts", what: "its declarations", data: "b" },
    ];
    expect(() => writeOutputs(files)).toThrow(NnError);
    expect(() => writeOutputs(files)).toThrow(
      /NN5005: cannot write the module and its declarations/,
    );
    expect(readdirSync(path("pair"))).toEqual([]);
  });
});
