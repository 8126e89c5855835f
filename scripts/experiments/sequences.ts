// Experiments 9 and 10: models/makemore.nn and models/gpt.nn on the word list, each trained by nnc
// and by a PyTorch translation written by hand (scripts/experiments/sequences.py) from the same
// initial weights (nnc init), on the same batches in the same order (nnc writes the examples of
// each of its steps to a file that torch reads), at the same learning rate of every step.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compile } from "../../src/index.ts";
import { sample } from "../../src/sample.ts";
import { loadData } from "../../src/train/load.ts";
import { subset, type Dataset, type Field } from "../../src/train/data.ts";
import { Trainer } from "../../src/train/trainer.ts";
import { weightsToBytes } from "../../src/train/safetensors.ts";
import { writeOutput } from "../../src/train/outputs.ts";
import { svg } from "../../src/train/plot.ts";
import { fence, fixed } from "./runs.ts";

interface SequenceRun {
  number: number;
  file: string;
  steps: number;
  batch: number;
  seed: number;
  /** held-out examples the curves are measured on (all where absent) */
  heldOut?: number;
  /** checkpoints of the held-out loss */
  every: number;
}

interface Side {
  losses: number[];
  heldOut: Map<number, number>;
  samples: string[];
  seconds: number;
}

const python = "/usr/bin/python3";

/** The `--steps` examples nnc trains on, step by step, as int32 rows of a field (for torch). */
function recordBatches(trainer: Trainer, data: Dataset, batch: number) {
  const rows = data.fields.map(() => [] as number[]);
  return {
    step(step: number) {
      const order = trainer.exampleOrder.subarray((step - 1) * batch, step * batch);
      data.fields.forEach((f, i) => {
        for (const r of order)
          for (let j = 0; j < f.width; j++) rows[i]!.push(f.data[r * f.width + j]!);
      });
    },
    files: (dir: string) =>
      data.fields.map((f, i) => writeInts(join(dir, `train_${f.name}.i32`), rows[i]!)),
  };
}

function writeInts(path: string, values: ArrayLike<number>): string {
  writeFileSync(path, new Uint8Array(Int32Array.from(values).buffer));
  return path;
}

const fieldFile = (dir: string, f: Field) => writeInts(join(dir, `val_${f.name}.i32`), f.data);

/** nnc's run: from the init weights, `steps` steps, the held-out loss every `every`. */
function trainNnc(run: SequenceRun, dir: string) {
  const compiled = compile(readFileSync(run.file, "utf8"), { file: run.file, target: "auto" });
  const data = loadData("words", compiled.model);
  const all = data.test;
  const n = Math.min(run.heldOut ?? all.n, all.n);
  const val = subset(
    all,
    Int32Array.from({ length: n }, (_, i) => i),
    0,
    n,
    all.source,
  );
  const init = compiled.load().createModel({ seed: run.seed }); // what nnc init --seed writes
  const initPath = join(dir, "init.safetensors");
  writeFileSync(initPath, weightsToBytes(compiled.model, init));
  const weights = new Map([...Object.entries(init.params), ...Object.entries(init.state)]);
  const trainer = new Trainer(compiled, data.train, val, {
    epochs: 1,
    steps: run.steps,
    batch: run.batch,
    seed: run.seed,
    weights,
  });
  const batches = recordBatches(trainer, data.train, run.batch);
  const side: Side = { losses: [], heldOut: new Map(), samples: [], seconds: 0 };
  const rates: number[] = [];
  let began = performance.now();
  let global = 0;
  trainer.run({
    epochEnd(r) {
      if (r.epoch === 0) side.heldOut.set(0, r.testLoss);
      began = performance.now();
    },
    step(info) {
      side.seconds += (performance.now() - began) / 1000;
      rates.push(trainer.learningRate(global++));
      side.losses.push(info.loss);
      batches.step(info.step);
      if (global % run.every === 0 || global === run.steps)
        side.heldOut.set(global, trainer.evaluate(val).loss);
      began = performance.now();
    },
  });
  const trained = new Map([
    ...Object.entries(trainer.model.params),
    ...Object.entries(trainer.model.state),
  ]);
  const model = compiled.load().createModel({ weights: trained });
  side.samples = sample(model, data.vocab!, { count: 10, seed: run.seed });
  const [trainX, trainY] = batches.files(dir);
  const meta = compiled.load().meta;
  const torchRun = {
    model: compiled.model.name,
    init: initPath,
    params: meta.params.map((p) => p.name),
    state: meta.state.map((s) => s.name),
    context: val.fields[0]!.width,
    target_width: val.fields[1]!.width,
    batch: run.batch,
    train_x: trainX,
    train_y: trainY,
    val_x: fieldFile(dir, val.fields[0]!),
    val_y: fieldFile(dir, val.fields[1]!),
    rates,
    checkpoints: [...side.heldOut.keys()].filter((s) => s > 0),
    optimizer: meta.optimizer,
    chunk: 512,
    samples: 10,
    seed: run.seed,
  };
  return { side, torchRun, note: data.note, held: val.n, target: compiled.target };
}

function trainTorch(torchRun: object, dir: string): Side {
  const path = join(dir, "run.json");
  writeFileSync(path, JSON.stringify(torchRun));
  const out = execFileSync(python, ["scripts/experiments/sequences.py", path], {
    encoding: "utf8",
    maxBuffer: 1 << 26,
  });
  const r = JSON.parse(out) as {
    losses: number[];
    held_out: Record<string, number>;
    samples: string[];
    seconds: number;
  };
  const heldOut = new Map(Object.entries(r.held_out).map(([k, v]) => [Number(k), v]));
  return { losses: r.losses, heldOut, samples: r.samples, seconds: r.seconds };
}

/** Means of `every` steps, at the window's last step. */
const smooth = (xs: number[], every: number): [number, number][] =>
  Array.from({ length: Math.floor(xs.length / every) }, (_, i) => {
    const w = xs.slice(i * every, (i + 1) * every);
    return [(i + 1) * every, w.reduce((a, b) => a + b, 0) / w.length];
  });

export interface SequenceSection {
  title: string;
  intro: string;
  chart: string;
  run: SequenceRun;
}

/** One section: both runs, the chart, the table of held-out losses and the samples. */
export function sequenceExperiment(s: SequenceSection): string[] {
  const { run } = s;
  const dir = mkdtempSync(join(tmpdir(), "nnc-exp-"));
  const nnc = trainNnc(run, dir);
  console.log(`${s.title}: nnc ${nnc.side.seconds.toFixed(1)} s of steps`);
  const torch = trainTorch(nnc.torchRun, dir);
  console.log(`${s.title}: PyTorch ${torch.seconds.toFixed(1)} s of steps`);
  const steps = [...nnc.side.heldOut.keys()];
  const last = steps.at(-1)!;
  const [a, b] = [nnc.side.heldOut.get(last)!, torch.heldOut.get(last)!];
  const gap = (100 * (a - b)) / b;
  const window = Math.max(1, Math.round(run.steps / 40));
  writeOutput(
    `docs/${s.chart}`,
    svg(
      [
        {
          kind: "line",
          title: `training loss (mean of ${window} steps)`,
          x: "step",
          y: "cross-entropy",
          series: [
            { name: "nnc", points: smooth(nnc.side.losses, window) },
            { name: "PyTorch", points: smooth(torch.losses, window), dashed: true },
          ],
        },
        {
          kind: "line",
          title: "held-out loss",
          x: "step",
          y: "cross-entropy",
          series: [
            { name: "nnc", points: steps.map((t) => [t, nnc.side.heldOut.get(t)!]) },
            {
              name: "PyTorch",
              dashed: true,
              points: steps.map((t) => [t, torch.heldOut.get(t)!]),
            },
          ],
        },
      ],
      `${run.number}. ${s.title}: nnc and PyTorch from the same weights on the same batches`,
    ),
  );
  const commands = [
    `npx nnc init ${run.file} --seed ${run.seed} --save init.safetensors`,
    `npx nnc train ${run.file} --data words --steps ${run.steps} --batch ${run.batch} --seed ${run.seed} --load init.safetensors --save trained.safetensors`,
    `npx nnc sample ${run.file} --load trained.safetensors --count 10 --seed ${run.seed}`,
  ];
  const relative = (t: number) => {
    const r = (nnc.side.heldOut.get(t)! - torch.heldOut.get(t)!) / torch.heldOut.get(t)!;
    return r === 0 ? "0" : `${r > 0 ? "+" : ""}${r.toExponential(1)}`;
  };
  const rows = steps.map(
    (t) =>
      `| ${t} | ${fixed(nnc.side.heldOut.get(t)!)} | ${fixed(torch.heldOut.get(t)!)} | ${relative(t)} |`,
  );
  const sampleRows = nnc.side.samples.map(
    (w, i) => `| ${w || "(empty)"} | ${torch.samples[i] || "(empty)"} |`,
  );
  return [
    `## ${run.number}. ${s.title}`,
    "",
    s.intro,
    "",
    fence(commands),
    "",
    `The data: ${nnc.note}. The held-out loss below is measured on ` +
      (run.heldOut
        ? `the first ${nnc.held} held-out examples`
        : `all ${nnc.held} held-out examples`) +
      ` (inference mode) every ${run.every} steps. nnc ran on its ${nnc.target} target; PyTorch ` +
      `1.13 in float32 on one thread. The PyTorch side (scripts/experiments/sequences.py) is the model ` +
      "written by hand in torch, loaded with nnc init's weights, fed the examples of each of nnc's " +
      "steps in nnc's order (nnc writes them to a file) at nnc's learning rate of that step, and " +
      "updated by nnc's rules.",
    "",
    "| step | held-out loss, nnc | held-out loss, PyTorch | (nnc - PyTorch) / PyTorch |",
    "|---|---|---|---|",
    ...rows,
    "",
    `After ${run.steps} steps nnc's held-out loss is ${fixed(a)}, PyTorch's ${fixed(b)}: ` +
      `${Math.abs(gap) < 0.01 ? "less than 0.01%" : `${Math.abs(gap).toFixed(2)}%`} ${gap >= 0 ? "above" : "below"} it ` +
      "(required: within 2%; the two differ only by float32 rounding in another order of summation). " +
      `The steps took ${nnc.side.seconds.toFixed(1)} s in nnc and ${torch.seconds.toFixed(1)} s in PyTorch ` +
      "(one run each on a shared machine, evaluations left out).",
    "",
    `![training and held-out loss of nnc and PyTorch](${s.chart})`,
    "",
    `Ten samples of each (\`nnc sample\`'s sampler, seed ${run.seed}, and torch.multinomial's, temperature 1):`,
    "",
    "| nnc | PyTorch |",
    "|---|---|",
    ...sampleRows,
    "",
  ];
}

export const makemore = () =>
  sequenceExperiment({
    title: "makemore: Bengio et al.'s language model over characters",
    chart: "exp10-makemore.svg",
    intro:
      "`models/makemore.nn` is makemore part 3's model: the 3 previous characters, each embedded in " +
      "10 numbers, a hidden layer of 200 with batchnorm before its tanh, and 27 logits; SGD at 0.1 " +
      "with momentum 0.9, annealed to 0 along half a cosine over the run, batches of 32. Every " +
      "3-character context of the words, each padded with `.`, is an example.",
    run: { number: 10, file: "models/makemore.nn", steps: 3000, batch: 32, seed: 1, every: 500 },
  });

export const gpt = () =>
  sequenceExperiment({
    title: "GPT: a small GPT-2 over the words joined by `.`",
    chart: "exp11-gpt.svg",
    intro:
      "`models/gpt.nn` is GPT-2's architecture as llm.c writes it, small: 4 pre-norm blocks of " +
      "causal self-attention (4 heads) and a gelu MLP, 64 channels, context 16, learned position " +
      "embeddings, a final layernorm and the head tied to the token embedding; AdamW at 0.001 " +
      "(weight decay 0), batches of 32 windows of 16 characters of the words joined by `.`, each " +
      "with the window moved on by one as its target.",
    run: {
      number: 11,
      file: "models/gpt.nn",
      steps: 200,
      batch: 32,
      seed: 1,
      heldOut: 2048,
      every: 50,
    },
  });
