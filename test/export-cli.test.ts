// `nnc export` from the command line: the files it writes, its errors, and the trips out and
// back: train_ddp.py over two processes (started by --nproc 2, and by hand as torchrun would)
// against one and against nnc train, from nnc init's weights; train_ddp.py under a schedule
// against nnc train; and nnc -> torch -> nnc, with the weights torch saves loaded back by `nnc eval`.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { main } from "../src/cli/main.ts";
import { compile } from "../src/compile.ts";
import { checkOnnxSize } from "../src/export/onnx.ts";
import { decodeModel } from "../src/export/onnx-proto.ts";
import { captureStdio } from "./capture.ts";
import { python, runTorchJobs, tempDir, torchAvailable } from "./export-helpers.ts";
import { rng } from "./helpers.ts";

const io = captureStdio();
const dir = tempDir();
const path = (name: string) => join(dir, name);
const lastJson = (text: string) => JSON.parse(text.trimEnd().split("\n").at(-1)!);

describe("nnc export", () => {
  it("writes an ONNX model with the .nn names", async () => {
    expect(
      await main(["export", "models/xor.nn", "--format", "onnx", "-o", path("xor.onnx")]),
    ).toBe(0);
    expect(io.out).toMatch(/wrote .*xor\.onnx \(model xor, inference, \d+ bytes\)/);
    const g = decodeModel(readFileSync(path("xor.onnx"))).graph!;
    expect(g.input!.map((i) => i.name)).toEqual(["x"]);
    expect(g.output!.map((o) => o.name)).toEqual(["p"]);
  });

  it("writes the training step, and a PyTorch module with train_ddp.py beside it", async () => {
    const args = ["export", "models/mnist.nn", "--format", "onnx", "--training"];
    expect(await main([...args, "-o", path("mnist-step.onnx")])).toBe(0);
    expect(io.out).toMatch(/the training step/);
    expect(
      await main([
        "export",
        "models/mnist.nn",
        "--format",
        "torch",
        "--ddp",
        "-o",
        path("mnist.py"),
      ]),
    ).toBe(0);
    const module = readFileSync(path("mnist.py"), "utf8");
    expect(module).toMatch(/^class Model\(nn\.Module\):/m);
    expect(module).toContain("# line 8: p = softmax(z)");
    expect(module).toContain(
      "torch.optim.Adam(self.parameters(), lr=lr, betas=(0.9, 0.999), eps=1e-8)",
    );
    expect(readFileSync(path("train_ddp.py"), "utf8")).toContain('MODULE = "mnist.py"');
  });

  it.each([
    ["no format", ["models/xor.nn", "-o", "x.onnx"], /--format must be onnx or torch/],
    ["no output", ["models/xor.nn", "--format", "onnx"], /missing -o OUT/],
    [
      "a torch flag for onnx",
      ["models/xor.nn", "--format", "onnx", "--ddp", "-o", "x"],
      /--ddp is not an option of --format onnx/,
    ],
    [
      "an onnx flag for torch",
      ["models/xor.nn", "--format", "torch", "--training", "-o", "x"],
      /--training is not an option/,
    ],
    [
      "--training with --seed",
      ["models/xor.nn", "--format", "onnx", "--training", "--seed", "2", "-o", "x"],
      /which are its inputs/,
    ],
    [
      "--load and --seed",
      ["models/xor.nn", "--format", "onnx", "--load", "w", "--seed", "2", "-o", "x"],
      /use one/,
    ],
  ])("%s is a usage error (exit 1)", async (_s, args, message) => {
    expect(await main(["export", ...args])).toBe(1);
    expect(io.err).toMatch(message);
  });

  it("a model without a loss has no training step to export (NN8003)", async () => {
    const file = path("noloss.nn");
    writeFileSync(
      file,
      "model m {\n  input x: [batch, 2]\n  param w: [2, 1]\n  y = x @ w\n  output y\n}\n",
    );
    expect(
      await main(["export", file, "--format", "onnx", "--training", "-o", path("m.onnx")]),
    ).toBe(1);
    expect(io.err).toMatch(/noloss\.nn:1:1: error NN8003: the model `m` has no `loss`/);
  });

  // an ONNX file is one protobuf message, at most 2 GiB: the params and state it would hold are
  // counted from their shapes before any is made (a 2 GiB f64 export once ran 9 s and 4.3 GB,
  // then failed with an engine's message)
  const wide = (params: number) =>
    "model m {\n  input x: [batch, 16384]\n" +
    Array.from({ length: params }, (_, i) => `  param W${i}: [16384, 16384] = 0\n`).join("") +
    `  h = ${Array.from({ length: params }, (_, i) => `x @ W${i}`).join(" + ")}\n` +
    "  output h\n  y = sum(h)\n  loss = y\n}\n";
  it.each([
    [
      "one 2^28 param in f64 (2 GiB)",
      1,
      "f64",
      false,
      /error NN8004: .* 2,147,483,648 bytes .* in f64 \(`W0` \[16384, 16384\]: 2,147,483,648\).* --dtype f32/,
    ],
    [
      "two 2^28 params in f32 (2 GiB)",
      2,
      "f32",
      false,
      /error NN8004: .* 2,147,483,648 bytes .* in f32 \(`W0`.*; export the training step \(--training\)/,
    ],
    ["one in f32 (1 GiB)", 1, "f32", false, null],
    ["the training step of one in f64", 1, "f64", true, null],
  ])("%s", async (_s, params, dtype, training, error) => {
    const file = path(`wide${params}.nn`);
    writeFileSync(file, wide(params));
    const options = { training, dtype: dtype as "f32" | "f64" };
    const model = compile(wide(params), { file }).model;
    if (error === null) return expect(() => checkOnnxSize(model, options)).not.toThrow();
    const args = ["export", file, "--format", "onnx", "--dtype", dtype, "-o", path("wide.onnx")];
    expect(await main(args)).toBe(1);
    expect(io.err).toMatch(new RegExp(`wide${params}\\.nn:3:9: ${error.source}`));
    expect(existsSync(path("wide.onnx"))).toBe(false);
  });

  it("a model without an output has no inference graph to export (NN8002)", async () => {
    const file = path("nooutput.nn");
    writeFileSync(
      file,
      "model m {\n  input x: [batch, 2]\n  param w: [2, 1]\n  loss = mean(x @ w)\n}\n",
    );
    expect(await main(["export", file, "--format", "onnx", "-o", path("m.onnx")])).toBe(1);
    expect(io.err).toMatch(
      /nooutput\.nn:1:1: error NN8002: the model `m` has no `output` to export/,
    );
  });

  it("weights that do not fit are the weights file's error (NN6102)", async () => {
    const file = path("other.safetensors");
    expect(await main(["init", "models/linreg.nn", "--save", file])).toBe(0);
    const args = [
      "export",
      "models/xor.nn",
      "--format",
      "onnx",
      "--load",
      file,
      "-o",
      path("x.onnx"),
    ];
    expect(await main(args)).toBe(1);
    expect(io.err).toMatch(/NN6102/);
  });
});

/**
 * A TCP port for the ranks launched by hand: one that was free a moment ago, below Linux's range
 * of ports handed out to outgoing connections (32768 and up), so that no connection takes it
 * between this check and rank 0's binding it.
 */
async function freePort(): Promise<number> {
  for (;;) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once("error", () => resolve(false));
      server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
}

/** Runs Debian's python; rejects with its stderr. `running` gets the process, to stop it. */
function runPython(
  args: string[],
  env: Record<string, string> = {},
  running?: (child: ChildProcess) => void,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(python, args, { env: { ...process.env, OMP_NUM_THREADS: "1", ...env } });
    running?.(child);
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += String(d)));
    child.stderr.on("data", (d) => (err += String(d)));
    child.on("close", (code) =>
      code === 0 ? resolve(out) : reject(new Error(`exit ${code}: ${err}`)),
    );
  });
}

/** The ranks started by hand, as README shows: where one fails, the others are stopped. */
async function byHand(args: string[], world: number): Promise<string[]> {
  const env = { MASTER_ADDR: "127.0.0.1", MASTER_PORT: String(await freePort()) };
  const children: ChildProcess[] = [];
  const ranks = Array.from({ length: world }, (_, rank) =>
    runPython(args, { ...env, WORLD_SIZE: String(world), RANK: String(rank) }, (c) =>
      children.push(c),
    ),
  );
  try {
    return await Promise.all(ranks);
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill();
  }
}

describe.runIf(torchAvailable())("trips out of nnc and back", () => {
  const model = "models/experiments/optimizers.nn";
  const data = "data/spirals.csv";
  const start = path("start.safetensors");
  const script = path("train_ddp.py");
  const common = () => [script, "--data", data, "--epochs", "1", "--load", start];

  beforeAll(async () => {
    const exportArgs = ["export", model, "--model", "momentum", "--format", "torch", "--ddp"];
    expect(await main([...exportArgs, "-o", path("spirals.py")])).toBe(0);
    // the weights nnc train --seed 1 starts from
    expect(await main(["init", model, "--model", "momentum", "--seed", "1", "--save", start])).toBe(
      0,
    );
  });

  it("train_ddp.py --nproc 2 trains from nnc init's weights as 1 process and as nnc train; nnc eval loads the result", async () => {
    const one = lastJson(await runPython([...common(), "--save", path("one.safetensors")]));
    const two = lastJson(
      await runPython([...common(), "--nproc", "2", "--save", path("two.safetensors")]),
    );
    expect(one.processes).toBe(1);
    expect(two.processes).toBe(2);
    expect(Math.abs(two.final_loss - one.final_loss)).toBeLessThan(1e-5);
    expect(Math.abs(two.train_loss - one.train_loss)).toBeLessThan(1e-5);
    // nnc train from the same seed: the same start, held-out rows, shuffles and steps
    const train = ["train", model, "--model", "momentum", "--data", data, "--epochs", "1"];
    expect(await main([...train, "--json"])).toBe(0);
    const nnc = lastJson(io.out);
    expect(Math.abs(one.train_loss - nnc.train_loss)).toBeLessThan(1e-5);
    expect(Math.abs(one.test_loss - nnc.test_loss)).toBeLessThan(1e-5);
    io.out = "";
    const evalArgs = ["eval", model, "--model", "momentum", "--data", data, "--json"];
    expect(await main([...evalArgs, "--load", path("two.safetensors")])).toBe(0);
    expect(Math.abs(lastJson(io.out).test_loss - two.final_loss)).toBeLessThan(1e-5);
  }, 120_000);

  it("train_ddp.py's ranks started by hand (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT) train as --nproc 2", async () => {
    const spawned = lastJson(await runPython([...common(), "--nproc", "2"]));
    const ranks = await byHand([...common(), "--save", path("hand.safetensors")], 2);
    const hand = lastJson(ranks[0]!);
    expect(hand.processes).toBe(2);
    expect(ranks[1]).toBe(""); // rank 1 reports nothing
    expect(hand.final_loss).toBe(spawned.final_loss);
    expect(hand.train_loss).toBe(spawned.train_loss);
  }, 120_000);

  it.each([
    // momentum under a schedule (NncMomentum), weight decay on the matrices, warmup, decay per epoch
    [
      "a scheduled, decayed momentum",
      "data/spirals.csv",
      "model scheduled {\n  input x: [batch, 2]\n  target y: [batch, 3]\n" +
        "  h = x |> dense(16) |> relu\n  p = h |> dense(3) |> softmax\n  output p\n" +
        "  loss = mean(cross_entropy(p, y))\n" +
        "  optimizer = sgd(lr: 0.1, momentum: 0.9, weight_decay: 1e-3, warmup: 3, decay: 0.8, " +
        "schedule: cosine(to: 0.01))\n}\n",
    ],
    // micrograd's recipe: hinge loss on -1/+1 labels, linear decay over the run, l2 in the loss
    ["models/moons.nn", "data/moons.csv", readFileSync("models/moons.nn", "utf8")],
  ])(
    "train_ddp.py sets the schedule's rate before every step: %s trains as nnc train",
    async (label, data, source) => {
      const sub = tempDir();
      const file = join(sub, "model.nn");
      writeFileSync(file, source);
      const exportArgs = ["export", file, "--format", "torch", "--ddp", "-o", join(sub, "m.py")];
      expect(await main(exportArgs)).toBe(0);
      const start = join(sub, "start.safetensors");
      expect(await main(["init", file, "--save", start])).toBe(0);
      const run = ["--data", data, "--epochs", "3", "--batch", "32"];
      const common = [join(sub, "train_ddp.py"), ...run, "--load", start];
      const one = lastJson(await runPython(common));
      io.out = "";
      expect(await main(["train", file, ...run, "--json"])).toBe(0);
      const nnc = lastJson(io.out);
      expect(Math.abs(one.train_loss - nnc.train_loss), label).toBeLessThan(1e-5);
      expect(Math.abs(one.test_loss - nnc.test_loss), label).toBeLessThan(1e-5);
    },
    120_000,
  );

  it("nnc train -> torch continues for 5 steps -> nnc eval --load reads what torch saved", async () => {
    const saved = path("xor-nnc.safetensors");
    const trainArgs = [
      "train",
      "models/xor.nn",
      "--data",
      "data/xor.csv",
      "--epochs",
      "50",
      "--save",
      saved,
    ];
    expect(await main(trainArgs)).toBe(0);
    expect(await main(["export", "models/xor.nn", "--format", "torch", "-o", path("xor.py")])).toBe(
      0,
    );
    const rows = [
      [0, 0, 0],
      [0, 1, 1],
      [1, 0, 1],
      [1, 1, 0],
    ];
    const feed = {
      x: { shape: [4, 2], data: rows.flatMap((r) => r.slice(0, 2)) },
      y: { shape: [4, 1], data: rows.map((r) => r[2]!) },
    };
    const back = path("xor-torch.safetensors");
    const [r] = runTorchJobs<{ trained: { f64: { losses: number[] } } }>(dir, [
      { module: path("xor.py"), weights: saved, train: Array(5).fill(feed), save: back },
    ]);
    const losses = r!.trained.f64.losses;
    expect(losses[4]!).toBeLessThan(losses[0]!);
    io.out = "";
    expect(
      await main(["eval", "models/xor.nn", "--load", back, "--data", "data/xor.csv", "--json"]),
    ).toBe(0);
    const evaluated = lastJson(io.out);
    // the loss after the fifth step is below the loss the fifth step started from
    expect(evaluated.test_loss).toBeLessThan(losses[4]!);
    expect(evaluated.examples).toBe(4);
  }, 120_000);

  // the sequence models: int inputs and targets (a CSV column per index), embeddings, layernorm,
  // attention, batchnorm's running statistics; torch trains the module nnc exports from nnc
  // init's weights, saves them, and nnc eval's loss (f64) is torch's eval_loss of the same weights
  it.each([
    ["makemore", { ctx: [3], next: [] }],
    ["gpt", { idx: [16], next: [16] }],
  ] as const)(
    "models/%s.nn: nnc init -> torch trains 5 steps -> nnc eval --load gives torch's loss",
    async (model, columns) => {
      const file = `models/${model}.nn`;
      const rows = 12;
      const rand = rng(5);
      const feed: Record<string, { shape: number[]; data: number[] }> = {};
      for (const [name, [width]] of Object.entries(columns) as [string, number[]][])
        feed[name] = {
          shape: width === undefined ? [rows] : [rows, width],
          data: Array.from({ length: rows * (width ?? 1) }, () => Math.floor(rand() * 27)),
        };
      const widths = Object.values(feed).map((f) => f.shape[1] ?? 1);
      const header = Object.keys(feed).flatMap((name, i) =>
        Array.from({ length: widths[i]! }, (_, j) => `${name}${j}`),
      );
      const lines = Array.from({ length: rows }, (_, r) =>
        Object.values(feed)
          .flatMap((f, i) => f.data.slice(r * widths[i]!, (r + 1) * widths[i]!))
          .join(","),
      );
      const csv = path(`${model}.csv`);
      writeFileSync(csv, [header.join(","), ...lines, ""].join("\n"));
      const start = path(`${model}0.safetensors`);
      const module = path(`${model}.py`);
      const back = path(`${model}1.safetensors`);
      expect(await main(["init", file, "--seed", "1", "--save", start])).toBe(0);
      expect(await main(["export", file, "--format", "torch", "-o", module])).toBe(0);
      const [r] = runTorchJobs<{ trained: { f64: { losses: number[] } }; eval_loss: number }>(dir, [
        { module, weights: start, train: Array(5).fill(feed), save: back, eval: feed },
      ]);
      const losses = r!.trained.f64.losses;
      expect(losses[4]!).toBeLessThan(losses[0]!);
      io.out = "";
      const evalArgs = ["eval", file, "--load", back, "--data", csv, "--dtype", "f64", "--json"];
      expect(await main(evalArgs)).toBe(0);
      const evaluated = lastJson(io.out);
      expect(evaluated.examples).toBe(rows);
      expect(Math.abs(evaluated.test_loss - r!.eval_loss) / r!.eval_loss).toBeLessThan(1e-9);
    },
    120_000,
  );
});
