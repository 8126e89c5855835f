// train_ddp.py checks its data as `nnc train` does. Every bad CSV of the trainer's tests
// (test/bad-data.ts), and the files nnc refuses before reading them, go through `nnc train` and
// through the exported script's checks, which must refuse each with the same text: code, place,
// message, the line and the caret. Seeded random mutations of good files then go through both:
// the same error, or the same numbers. And the script itself, run as a launcher runs it, exits 1
// on the three files (a NaN cell, a bce target of 2, an empty cell) and on a loss that is
// not finite, writing no weights.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../src/cli/main.ts";
import { compile, NnError } from "../src/index.ts";
import { fit } from "../src/train/data.ts";
import { readCsv } from "../src/train/files.ts";
import { F32_MAX } from "../src/train/safetensors.ts";
import { badCsv, badLabels, badTargets } from "./bad-data.ts";
import { captureStdio } from "./capture.ts";
import { python, tempDir, torchAvailable } from "./export-helpers.ts";
import { rng } from "./helpers.ts";

const io = captureStdio();
const dir = tempDir();

/** A model's file: models/NAME.nn, or `source` written to a file of its own. */
function modelFile(name: string, source?: string): string {
  if (source === undefined) return `models/${name}.nn`;
  const file = join(dir, `${name}.nn`);
  writeFileSync(file, source);
  return file;
}

/** train_ddp.py of the model, in a folder of its own (the script loads its module by name). */
async function exportDdp(file: string, name: string): Promise<string> {
  const out = join(dir, `ddp-${name}`);
  mkdirSync(out, { recursive: true });
  expect(await main(["export", file, "--format", "torch", "--ddp", "-o", join(out, "m.py")])).toBe(
    0,
  );
  return join(out, "train_ddp.py");
}

/** What `nnc train` says about the data (it must refuse it: exit code 1). */
async function nncRefusal(file: string, data: string, dtype = "f32"): Promise<string> {
  io.err = "";
  const args = ["train", file, "--data", data, "--epochs", "1", "--dtype", dtype];
  expect(await main(args), `nnc train ${data}`).toBe(1);
  return io.err.trimEnd();
}

interface Job {
  script: string;
  data?: string;
  dtype?: string;
  numbers?: string[];
}
type Result =
  { error: string } | { n: number; fields: Record<string, number[][]> } | { numbers: string[] };

function runDdpJobs(jobs: Job[]): Result[] {
  const input = join(dir, `jobs-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(input, JSON.stringify(jobs));
  const out = execFileSync(python, ["test/export_ddp_driver.py", input], {
    encoding: "utf8",
    maxBuffer: 1 << 28,
    env: { ...process.env, OMP_NUM_THREADS: "1" },
  });
  return JSON.parse(out) as Result[];
}

let files = 0;
/** `text` (or bytes) as a CSV file of its own. */
function csvFile(text: string | Uint8Array): string {
  const file = join(dir, `data-${files++}.csv`);
  writeFileSync(file, text);
  return file;
}

interface Case {
  what: string;
  /** the model: models/NAME.nn, or a source of its own */
  model: string;
  source?: string;
  data: string;
  dtype?: "f32" | "f64";
}

const long = `x1,x2,y\n0,0,0\n${"0".repeat(200)},1,x\n`;
const cases: Case[] = [
  ...badCsv.map(([what, text]) => ({ what, model: "xor", data: csvFile(text) })),
  ...badTargets.map(([what, text, model]) => ({ what, model, data: csvFile(text) })),
  ...badLabels.map(([what, source, text], i) => ({
    what,
    model: `labels${i}`,
    source,
    data: csvFile(text),
  })),
  // test/cli-flags.test.ts and test/train-cli.test.ts
  { what: "beyond float32", model: "xor", data: csvFile("x1,x2,y\n0,0,0\n1e39,1,1\n") },
  { what: "data of the wrong width", model: "softmax", data: "test/data/four.csv" },
  { what: "a missing file", model: "xor", data: join(dir, "nope.csv") },
  { what: "a directory", model: "xor", data: dir },
  { what: "a device", model: "xor", data: "/dev/zero" },
  // what the format leaves to count: columns past astral characters, bytes that are not UTF-8,
  // tabs, a line too long to echo, a BOM, lone CRs, quotes, blank lines, a class index
  { what: "a cell after astral characters", model: "xor", data: csvFile("x1,x2,y\n𝟘𝟙,1,0\n") },
  {
    what: "bytes that are not UTF-8",
    model: "xor",
    data: csvFile(Uint8Array.from([...Buffer.from("x1,x2,y\n0,"), 0xff, 0xc3, 0x28, 0x0a])),
  },
  { what: "a tab in the line", model: "xor", data: csvFile("x1,x2,y\n0,\t1,\tzz\n") },
  { what: "a line too long to echo", model: "xor", data: csvFile(long) },
  { what: "a BOM and lone CRs", model: "xor", data: csvFile('\uFEFFx1,x2,y\r0,"1",1\r\r2,0,-1\r') },
  { what: "a NUL", model: "xor", data: csvFile("x1,x2,y\n0,1\u0000,1\n") },
  { what: "an unnamed column", model: "xor", data: csvFile("x1,,y\n0,a,1\n") },
  { what: "a U+2028 in a cell", model: "xor", data: csvFile("x1,x2,y\n0,1\u20282,1\n") },
  { what: "a no-break space around a cell", model: "xor", data: csvFile("x1,x2,y\n0,\u00a01,9\n") },
  { what: "a class index of 1e21", model: "softmax", data: csvFile("a,b,c\n1,2,1e21\n") },
  { what: "a class index of -0.000001", model: "softmax", data: csvFile("a,b,c\n1,2,-1e-6\n") },
  {
    what: "a model whose input has no batch dim",
    model: "unbatched",
    source:
      "model unbatched {\n  input x: [2, 2]\n  target y: [2, 1]\n  param w: [2, 1]\n" +
      "  p = x @ w\n  output p\n  loss = mean(mse(p, y))\n}\n",
    data: csvFile("x1,x2,y\n0,0,0\n"),
  },
];

describe.runIf(torchAvailable())("train_ddp.py checks its data as nnc train does", () => {
  const scripts = new Map<string, Promise<string>>();
  const scriptOf = (c: { model: string; source?: string }) => {
    if (!scripts.has(c.model))
      scripts.set(c.model, exportDdp(modelFile(c.model, c.source), c.model));
    return scripts.get(c.model)!;
  };

  it("refuses every bad file of the trainer's tests with nnc's words", async () => {
    const expected: string[] = [];
    const jobs: Job[] = [];
    for (const c of cases) {
      expected.push(await nncRefusal(modelFile(c.model, c.source), c.data, c.dtype));
      jobs.push({ script: await scriptOf(c), data: c.data, dtype: c.dtype ?? "f32" });
    }
    const results = runDdpJobs(jobs);
    cases.forEach((c, i) => expect(results[i], c.what).toEqual({ error: expected[i] }));
  }, 120_000);

  it("refuses a value beyond float32 only for f32, as nnc train does", async () => {
    const data = csvFile("x1,x2,y\n0,0,0\n1e39,1,1\n");
    const [f64] = runDdpJobs([{ script: await scriptOf({ model: "xor" }), data, dtype: "f64" }]);
    expect(f64).toMatchObject({
      n: 2,
      fields: {
        x: [
          [0, 0],
          [1e39, 1],
        ],
        y: [[0], [1]],
      },
    });
  });

  it("gives nnc's error or nnc's numbers on random mutations of good files", async () => {
    const rand = rng(21);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const pieces = [
      ...[
        ",",
        " ",
        "\t",
        "\r",
        "\n",
        "\r\n",
        '"',
        "\u000b",
        "\u00a0",
        "\ufeff",
        "\u2028",
        "\u0085",
      ],
      ...["NaN", "1e999", "-", "+", ".", "e5", "2", "0", "1", "-1", "0.5", "1e39", "3.5e38"],
      ...["𝟘", "٣", "x", "é", "", "1.", ".5", "+.5", "007", "1E-7", "-0"],
    ];
    const models = {
      xor: "x1,x2,y\n0,0,0\n0,1,1\n1,0,1\n1,1,0\n",
      softmax: "a,b,c\n1,2,0\n3,4,2\n",
    };
    const compiled = Object.fromEntries(
      Object.keys(models).map((m) => [m, compile(readFileSync(modelFile(m), "utf8"))]),
    );
    const trials: { model: keyof typeof models; data: string; dtype: "f32" | "f64" }[] = [];
    for (let t = 0; t < 400; t++) {
      const model = pick(Object.keys(models) as (keyof typeof models)[]);
      let text = models[model];
      for (let k = 1 + Math.floor(rand() * 3); k > 0; k--) {
        const at = Math.floor(rand() * (text.length + 1));
        const cut = rand() < 0.3 ? 1 : 0;
        text = text.slice(0, at) + pick(pieces) + text.slice(at + cut);
      }
      trials.push({ model, data: csvFile(text), dtype: rand() < 0.8 ? "f32" : "f64" });
    }
    const results = runDdpJobs(
      await Promise.all(
        trials.map(async (t) => ({ script: await scriptOf(t), data: t.data, dtype: t.dtype })),
      ),
    );
    let refused = 0;
    trials.forEach((t, i) => {
      const limit = { limit: t.dtype === "f64" ? Infinity : F32_MAX };
      let want: Result;
      try {
        const d = fit(readCsv(t.data, limit), compiled[t.model]!.model);
        const rows = (f: (typeof d.fields)[number]) =>
          Array.from({ length: d.n }, (_, r) =>
            Array.from(f.data.subarray(r * f.width, (r + 1) * f.width)),
          );
        want = { n: d.n, fields: Object.fromEntries(d.fields.map((f) => [f.name, rows(f)])) };
      } catch (e) {
        if (!(e instanceof NnError)) throw e;
        want = { error: e.message };
        refused++;
      }
      expect(results[i], readFileSync(t.data, "utf8")).toEqual(want);
    });
    // both ways are exercised
    expect(refused).toBeGreaterThan(100);
    expect(refused).toBeLessThan(trials.length - 50);
  }, 120_000);

  it("writes numbers in its messages as JavaScript does", async () => {
    const rand = rng(7);
    const bits = new DataView(new ArrayBuffer(8));
    const numbers = [0, -0, 1, -1, 0.5, 2, 1e21, 1e-6, 1e-7, 123456789012345680000, 1.5e-7, 5e-324];
    numbers.push(1.7976931348623157e308, 0.1 + 0.2, 100, 1e20, 2 ** 53, -3.25e-5, 4.35, 1e300);
    for (let i = 0; i < 300; i++) {
      bits.setUint32(0, Math.floor(rand() * 2 ** 32));
      bits.setUint32(4, Math.floor(rand() * 2 ** 32));
      const x = bits.getFloat64(0);
      if (Number.isFinite(x)) numbers.push(x);
      numbers.push(
        Math.round((rand() - 0.5) * 10 ** Math.floor(rand() * 25)) / 10 ** Math.floor(rand() * 10),
      );
    }
    const all = [...numbers.map(String), "NaN", "Infinity", "-Infinity"];
    const [r] = runDdpJobs([{ script: await scriptOf({ model: "xor" }), numbers: all }]);
    expect(r).toEqual({
      numbers: [...numbers.map((x) => String(x)), "NaN", "Infinity", "-Infinity"],
    });
  });

  /** train_ddp.py run as a launcher runs it: its exit code, its stderr, and whether it saved. */
  function runScript(script: string, data: string, flags: string[] = [], env = {}) {
    const save = join(dir, `saved-${files++}.safetensors`);
    const args = [script, "--data", data, "--epochs", "1", "--save", save, ...flags];
    const r = spawnSync(python, args, {
      encoding: "utf8",
      env: { ...process.env, OMP_NUM_THREADS: "1", ...env },
    });
    return { status: r.status, err: r.stderr.trimEnd(), saved: existsSync(save) };
  }

  it.each([
    ["a NaN cell", "x1,x2,y\n0,0,0\nNaN,1,1\n", []],
    ["a bce target of 2", "x1,x2,y\n0,0,0\n0,1,2\n", []],
    ["an empty cell", "x1,x2,y\n0,,0\n1,1,0\n", []],
    // said once, before any rank starts
    ["an empty cell (--nproc 2)", "x1,x2,y\n0,,0\n1,1,0\n", ["--nproc", "2"]],
  ])(
    "exits 1 on %s with nnc's message, and saves nothing",
    async (_what, text, flags) => {
      const data = csvFile(text);
      const script = await scriptOf({ model: "xor" });
      expect(runScript(script, data, flags)).toEqual({
        status: 1,
        err: await nncRefusal("models/xor.nn", data),
        saved: false,
      });
    },
    60_000,
  );

  it.each([
    ["in one process", []],
    ["in each of 2 ranks of --nproc 2", ["--nproc", "2"]],
  ])(
    "stops where nnc train stops, at a loss that is not finite (NN7001), and saves nothing: %s",
    async (_, flags) => {
      const source =
        "model m {\n  input x: [batch, 1]\n  target y: [batch, 1]\n  param w: [1, 1] = ones\n" +
        "  p = log(x @ w)\n  output p\n  loss = mean(mse(p, y))\n}\n";
      const file = modelFile("log", source);
      const data = csvFile("x,y\n-1,0\n-2,0\n-3,0\n-4,0\n");
      const r = runScript(await scriptOf({ model: "log", source }), data, flags);
      expect(r).toMatchObject({ status: 1, saved: false });
      const head = "error NN7001: training stopped at step 1 (epoch 1): the loss is NaN";
      // said once, by rank 0
      expect(r.err).toBe(
        `${file}:1:1: ${head}; nothing is saved (nnc train on the same data and weights names ` +
          "the first value that is not finite)",
      );
      expect(await nncRefusal(file, data)).toContain(head);
    },
    60_000,
  );

  it.each([
    [
      "--nproc 0",
      ["--nproc", "0"],
      {},
      /--nproc expects a number of processes of at least 1, got 0/,
    ],
    [
      "--nproc under a launcher",
      ["--nproc", "2"],
      { WORLD_SIZE: "2", RANK: "0" },
      /--nproc starts the processes itself; under a launcher that sets WORLD_SIZE, leave it out/,
    ],
  ])(
    "refuses %s as a usage error (exit 2), before reading the data",
    async (_, flags, env, message) => {
      const r = runScript(await scriptOf({ model: "xor" }), "no-such.csv", flags, env);
      expect(r).toMatchObject({ status: 2, saved: false });
      expect(r.err).toMatch(message);
    },
    60_000,
  );
});
