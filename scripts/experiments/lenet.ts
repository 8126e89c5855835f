// Experiment 9. What convolution buys: LeNet-5 (models/lenet.nn) against the MLP (models/mnist.nn)
// on the same 8,000 / 2,000 split of the bundled digits, with the same recipe, and PyTorch's LeNet
// from the same initial weights where /usr/bin/python3 has torch.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compile } from "../../src/index.ts";
import { encodeSafetensors, type Tensor } from "../../src/train/safetensors.ts";
import { writeOutput } from "../../src/train/outputs.ts";
import { svg } from "../../src/train/plot.ts";
import { lenetData, LENET_PARAMS } from "../../bench/lenet.ts";
import { command, execute, best, epochsOf, fixed, pct2, fence, type Run } from "./runs.ts";

const python = "/usr/bin/python3";
/** one thread for every pool the libraries might start */
const env = { ...process.env, OMP_NUM_THREADS: "1", MKL_NUM_THREADS: "1" };

interface TorchEpoch {
  epoch: number;
  trainLoss: number | null;
  testLoss: number;
  testAccuracy: number;
}

/**
 * PyTorch's LeNet trained on `run`'s split from the initial weights nnc draws for `run.seed`
 * (scripts/experiments/lenet_torch.py), or the reason it could not run.
 */
function torchRun(run: Run): { version: string; epochs: TorchEpoch[] } | string {
  if (spawnSync(python, ["-c", "import torch"], { stdio: "ignore", env }).status !== 0)
    return `${python} cannot import torch`;
  const compiled = compile(readFileSync(run.file, "utf8"), { file: run.file });
  const params = compiled.load().createModel({ seed: run.seed }).params as Record<
    string,
    Float32Array
  >;
  const weights = LENET_PARAMS.map(([name, shape]): Tensor => ({
    name,
    shape,
    data: Float32Array.from(params[name]!),
  }));
  const { train, test } = lenetData();
  const data: Tensor[] = [
    { name: "train.x", shape: [train.n, 784], data: train.x },
    { name: "train.y", shape: [train.n, 10], data: train.y },
    { name: "test.x", shape: [test.n, 784], data: test.x },
    { name: "test.y", shape: [test.n, 10], data: test.y },
  ];
  const dir = mkdtempSync(join(tmpdir(), "nnc-lenet-"));
  try {
    const files = [join(dir, "weights.safetensors"), join(dir, "data.safetensors")] as const;
    writeFileSync(files[0], encodeSafetensors(weights));
    writeFileSync(files[1], encodeSafetensors(data));
    const config = { batch: run.batch, epochs: run.epochs, seed: run.seed, lr: 0.002 };
    const script = new URL("./lenet_torch.py", import.meta.url).pathname;
    const started = performance.now();
    const out = execFileSync(python, [script, ...files, JSON.stringify(config)], {
      encoding: "utf8",
      env,
      stdio: ["ignore", "pipe", "inherit"],
    });
    const line = out.split("\n").find((l) => l.startsWith("RESULT "));
    if (!line) throw new Error("lenet_torch.py printed no result");
    const result = JSON.parse(line.slice("RESULT ".length)) as {
      version: string;
      epochs: TorchEpoch[];
    };
    const last = result.epochs.at(-1)!;
    console.log(
      `PyTorch's LeNet: test loss ${last.testLoss.toFixed(4)}, accuracy ${pct2(last.testAccuracy)} ` +
        `(${((performance.now() - started) / 1000).toFixed(1)} s)`,
    );
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** How many numbers the params of `file`'s model hold. */
function paramCount(file: string): number {
  const m = compile(readFileSync(file, "utf8"), { file }).load().createModel({ seed: 1 });
  return Object.values(m.params as Record<string, Float32Array>).reduce((n, p) => n + p.length, 0);
}

const thousands = (n: number) => n.toLocaleString("en-US");

/** Runs the experiment, writes its chart, and returns its section of docs/EXPERIMENTS.md. */
export function lenet(): string[] {
  const runs: Run[] = [
    {
      label: "LeNet-5 (models/lenet.nn)",
      file: "models/lenet.nn",
      data: "mnist",
      epochs: 10,
      batch: 32,
      seed: 1,
    },
    {
      label: "MLP (models/mnist.nn)",
      file: "models/mnist.nn",
      data: "mnist",
      epochs: 10,
      batch: 32,
      seed: 1,
    },
  ];
  const hs = runs.map(execute);
  const torch = torchRun(runs[0]!);
  const short = (label: string) => label.replace(/ \(.*/, "");
  const torchName = "LeNet-5 in PyTorch";
  const accuracy = [
    ...runs.map((r, i) => ({
      name: short(r.label),
      points: epochsOf(hs[i]!, "testAccuracy", 100).filter(([e]) => e > 0),
      color: i,
    })),
    ...(typeof torch === "string"
      ? []
      : [
          {
            name: torchName,
            points: torch.epochs
              .filter((e) => e.epoch > 0)
              .map((e): [number, number] => [e.epoch, 100 * e.testAccuracy]),
            dashed: true,
            color: 0,
          },
        ]),
  ];
  writeOutput(
    "docs/exp9-lenet.svg",
    svg(
      [
        {
          kind: "line",
          title: "held-out accuracy",
          x: "epoch",
          y: "accuracy (%)",
          series: accuracy,
        },
        {
          kind: "line",
          title: "held-out loss",
          x: "epoch",
          y: "cross-entropy",
          series: runs.map((r, i) => ({
            name: short(r.label),
            points: epochsOf(hs[i]!, "testLoss").filter(([e]) => e > 0),
            color: i,
          })),
        },
      ],
      "9. LeNet-5 and the MLP on the bundled digits",
    ),
  );
  const [conv, mlp] = hs as [(typeof hs)[0], (typeof hs)[0]];
  const last = (h: typeof conv) => h.epochs.at(-1)!;
  const errors = (h: typeof conv) => Math.round((1 - last(h).testAccuracy!) * 2000);
  const torchColumn = typeof torch === "string" ? [] : [torch];
  const header = [...runs.map((r) => r.label), ...torchColumn.map(() => torchName)];
  const rows = conv.epochs
    .filter((e) => e.epoch > 0)
    .map((e) =>
      [
        e.epoch,
        ...hs.map((h) => pct2(h.epochs[e.epoch]!.testAccuracy)),
        ...torchColumn.map((t) => pct2(t.epochs[e.epoch]!.testAccuracy)),
      ].join(" | "),
    )
    .map((r) => `| ${r} |`);
  const torchText =
    typeof torch === "string"
      ? `PyTorch's LeNet is not in this run: ${torch}.`
      : `PyTorch ${torch.version}'s LeNet-5 (\`nn.Conv2d\`, \`F.max_pool2d\`, \`nn.Linear\`; ` +
        "`scripts/experiments/lenet_torch.py`), started from the same initial weights and trained " +
        "with `torch.optim.Adam` at 0.002 annealed along the same cosine, batches of 32 in an order " +
        `torch draws, reaches ${pct2(torch.epochs.at(-1)!.testAccuracy)} after ten epochs ` +
        `(best ${pct2(Math.max(...torch.epochs.map((e) => e.testAccuracy)))}), where nnc's run of ` +
        `the same recipe reaches ${pct2(last(conv).testAccuracy)}.`;
  return [
    "## 9. What convolution buys: LeNet-5 against the MLP on the same digits",
    "",
    "`models/lenet.nn` is LeNet-5 as people train it today: two 5×5 convolutions (6 and 16 " +
      "channels, ReLU, 2×2 max pooling), then dense layers of 120, 84 and 10 units: " +
      `${thousands(paramCount(runs[0]!.file))} params. \`models/mnist.nn\` is the MLP of experiment 4 ` +
      `(784-128-10 with batchnorm and dropout): ${thousands(paramCount(runs[1]!.file))} params. Both ` +
      "train with the same recipe (Adam at 0.002 annealed to 0 along half a " +
      "cosine, batches of 32, 10 epochs, seed 1) on the same 8,000 digits and are tested on the same " +
      "2,000 held out ([docs/cnn.md](cnn.md) describes the layers).",
    "",
    fence(runs.map(command)),
    "",
    `| epoch | ${header.map((h) => `${h}: held-out accuracy`).join(" | ")} |`,
    `|---|${header.map(() => "---").join("|")}|`,
    ...rows,
    "",
    `After ten epochs LeNet-5 classifies ${pct2(last(conv).testAccuracy)} of the held-out digits ` +
      `(best ${pct2(best(conv))}) and the MLP ${pct2(last(mlp).testAccuracy)} (best ${pct2(best(mlp))}): ` +
      `${errors(conv)} mistakes against ${errors(mlp)}, with fewer params. The held-out loss ends at ` +
      `${fixed(last(conv).testLoss)} against ${fixed(last(mlp).testLoss)}. Sharing each 5×5 filter ` +
      "across the image and pooling gives the network the translation tolerance the MLP must learn " +
      `pixel by pixel. Training took ${conv.seconds.toFixed(0)} s and ${mlp.seconds.toFixed(0)} s ` +
      "on the wasm target of a shared machine: times vary with its load.",
    "",
    torchText,
    "",
    "![held-out accuracy and loss per epoch](exp9-lenet.svg)",
    "",
  ];
}
