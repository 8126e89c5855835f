// nnc export --format torch, run by Debian's PyTorch: for every model in models/ and random
// models, torch.autograd's gradients of the exported loss equal nnc's symbolic ones within 1e-9
// (relative, f64): an independent check of nnc's differentiation. Ten train_step calls of the
// module equal ten trainStep calls (f32 within 1e-5, f64 within 1e-9), each at the rate the
// model's schedule gives the step, and lr_at is the module's learningRate at every step. Besides
// models/, small models show every optimizer with weight decay and every kind of schedule.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { compile } from "../src/compile.ts";
import { exportTorch } from "../src/export/torch.ts";
import { seededWeights } from "../src/export/weights.ts";
import {
  jsFeed,
  maxError,
  imagesCase,
  namesCase,
  optimizerCases,
  JITTER,
  randomFeed,
  randomModels,
  python,
  relativeError,
  repoModels,
  runTorchJobs,
  scheduleCases,
  tempDir,
  torchAvailable,
  withoutDropout,
  writeWeights,
  type Feed,
  type ModelCase,
} from "./export-helpers.ts";

const hasTorch = torchAvailable();
const cases = [
  ...repoModels(),
  imagesCase,
  namesCase,
  ...optimizerCases,
  ...scheduleCases,
  ...randomModels(8, 29),
];
const STEPS = 10;
/** The run the training steps are part of, for the schedule: 10 steps, 4 to an epoch. */
const RUN = { steps: STEPS, stepsPerEpoch: 4 };
/** Where lr_at is compared: every step of a run of 24 (5 to an epoch), and past its end. */
const LR_RUN = { steps: 24, stepsPerEpoch: 5 };
const LR_STEPS = Array.from({ length: 31 }, (_, k) => k);

/** A rate, or the error that asked for what the run did not give. */
type Bare = { value: number } | { error: string };

type Values = Record<string, number[]>;
interface TorchResult {
  forward: Values;
  loss: number;
  grads: Record<string, number[] | null>;
  trained: Record<"f32" | "f64", { losses: number[]; values: Values }>;
  lr_at: number[];
  lr_at_bare: Bare;
}

interface Expected {
  forward: Record<string, ArrayLike<number>>;
  loss: number;
  grads: Record<string, ArrayLike<number>>;
  trained: Record<"f32" | "f64", { losses: number[]; values: Record<string, ArrayLike<number>> }>;
  learningRate: number[];
  bare: Bare;
}

const plain = (feed: Feed) =>
  Object.fromEntries(
    Object.entries(feed).map(([k, v]) => [k, { shape: v.shape, data: [...v.data] }]),
  );

/** Exports the case, writes its weights and the job; computes what nnc's modules give. */
function prepare(c: ModelCase, dir: string, i: number): { job: unknown; expected: Expected } {
  const source = withoutDropout(c.source);
  const single = compile(source, { file: c.file, model: c.model });
  const module = join(dir, `case${i}.py`);
  writeFileSync(module, exportTorch(single.model));
  const weights = seededWeights(single, 1);
  const values = Object.fromEntries(weights);
  const path = join(dir, `case${i}.safetensors`);
  writeWeights(path, single.model, values, "f64");
  const feed = randomFeed(single.model, 6, 7);
  const train = Array.from({ length: STEPS }, (_, k) => randomFeed(single.model, 6, 50 + k));
  const double = compile(source, { file: c.file, model: c.model, dtype: "f64" });
  const params = Object.fromEntries(single.model.params.map((p) => [p.name, weights.get(p.name)!]));
  const m64 = double.load().createModel({ params });
  const forward = m64.forward(jsFeed(feed, "f64"));
  const { loss, grads } = m64.grad(jsFeed(feed, "f64"));
  const lrs = train.map((_, k) => m64.learningRate(k, RUN) * JITTER[k % 3]!);
  const trained = (type: "f32" | "f64") => {
    const m = (type === "f32" ? single : double).load().createModel({ params });
    const losses = train.map((f, k) => {
      m.setLearningRate(lrs[k]!);
      return m.trainStep(jsFeed(f, type));
    });
    return { losses, values: { ...m.params, ...m.state } };
  };
  return {
    job: {
      module,
      weights: path,
      forward: plain(feed),
      loss: plain(feed),
      train: train.map(plain),
      lrs,
      lr_at: { at: LR_STEPS, steps: LR_RUN.steps, steps_per_epoch: LR_RUN.stepsPerEpoch },
    },
    expected: {
      forward: Object.fromEntries(
        Object.entries(forward).map(([k, v]) => [
          k,
          typeof v === "number" ? [v] : Float64Array.from(v),
        ]),
      ),
      loss,
      grads: Object.fromEntries(Object.entries(grads).map(([k, v]) => [k, Float64Array.from(v)])),
      trained: { f32: trained("f32"), f64: trained("f64") },
      learningRate: LR_STEPS.map((k) => m64.learningRate(k, LR_RUN)),
      bare: bareRate(m64),
    },
  };
}

describe.runIf(hasTorch)("PyTorch export, run by torch", () => {
  const results: { c: ModelCase; got: TorchResult; expected: Expected }[] = [];

  beforeAll(() => {
    const dir = tempDir();
    const prepared = cases.map((c, i) => ({ c, ...prepare(c, dir, i) }));
    const got = runTorchJobs<TorchResult>(
      dir,
      prepared.map((p) => p.job),
    );
    prepared.forEach((p, i) => results.push({ c: p.c, got: got[i]!, expected: p.expected }));
  }, 300_000);

  it.each(cases.map((c) => [c.label]))(
    "%s: forward and autograd's gradients equal nnc's (f64, 1e-9)",
    (label) => {
      const r = results.find((x) => x.c.label === label)!;
      for (const [name, v] of Object.entries(r.expected.forward))
        expect(relativeError(r.got.forward[name]!, v), `output ${name}`).toBeLessThan(1e-9);
      expect(relativeError([r.got.loss], [r.expected.loss]), "loss").toBeLessThan(1e-9);
      // relative to each gradient's scale, or to a thousandth of the largest where a gradient is
      // 0 (a bias before batchnorm, a shift that log_softmax cancels): there both are rounding
      const largest = Math.max(...Object.values(r.expected.grads).map((g) => maxAbs(g)));
      for (const [name, g] of Object.entries(r.expected.grads))
        expect(
          relativeError(r.got.grads[name] ?? [], g, 1e-3 * largest),
          `gradient of ${name}\n${r.c.source}`,
        ).toBeLessThan(1e-9);
    },
  );

  it.each(cases.map((c) => [c.label]))(
    "%s: ten train_step calls equal ten trainStep calls",
    (label) => {
      const r = results.find((x) => x.c.label === label)!;
      const { f32, f64 } = r.got.trained;
      for (const [name, v] of Object.entries(r.expected.trained.f64.values))
        expect(maxError(f64.values[name]!, v), `${name} (f64)`).toBeLessThan(1e-9);
      expect(maxError(f64.losses, r.expected.trained.f64.losses), "losses (f64)").toBeLessThan(
        1e-9,
      );
      for (const [name, v] of Object.entries(r.expected.trained.f32.values)) {
        // f32 rounding, amplified where adam divides a gradient near 0 by its size: each engine's
        // own distance from its f64 run
        const noise =
          maxError(f32.values[name]!, f64.values[name]!) +
          maxError(v, r.expected.trained.f64.values[name]!);
        expect(maxError(f32.values[name]!, v), `${name} (f32)`).toBeLessThan(1e-5 + 2 * noise);
      }
    },
  );

  it.each(cases.map((c) => [c.label]))(
    "%s: lr_at(step, steps, steps_per_epoch) is the module's learningRate",
    (label) => {
      const r = results.find((x) => x.c.label === label)!;
      expect(relativeError(r.got.lr_at, r.expected.learningRate)).toBeLessThan(1e-12);
      const [got, want] = [r.got.lr_at_bare, r.expected.bare];
      // without the run: both give the same rate, or both ask for the same missing number
      if ("value" in want)
        expect("value" in got ? relativeError([got.value], [want.value]) : got.error).toBeLessThan(
          1e-12,
        );
      else
        expect("error" in got ? got.error : got.value).toContain(
          `ValueError: ${missing(want.error)}`,
        );
    },
  );
});

describe.runIf(hasTorch)("the module's int inputs (makemore.nn's context)", () => {
  it("takes integer tensors and whole floats as torch.long, and refuses a fraction by name", () => {
    const dir = tempDir();
    const module = join(dir, "makemore.py");
    const compiled = compile(readFileSync("models/makemore.nn", "utf8"), {
      file: "models/makemore.nn",
    });
    writeFileSync(module, exportTorch(compiled.model));
    const script = [
      "import importlib.util, sys, torch",
      `spec = importlib.util.spec_from_file_location("makemore", sys.argv[1])`,
      "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)",
      "model = m.Model().double().eval()",
      "ints = model(ctx=torch.tensor([[0, 0, 5], [1, 2, 26]]))['p']",
      "floats = model(ctx=[[0.0, 0.0, 5.0], [1.0, 2.0, 26.0]])['p']",
      "print(torch.equal(ints, floats), tuple(ints.shape))",
      "try:",
      "    model(ctx=[[0.0, 0.5, 5.0], [1.0, 2.0, 26.0]])",
      "except ValueError as e:",
      "    print(e)",
    ].join("\n");
    const out = execFileSync(python, ["-c", script, module], { encoding: "utf8" });
    expect(out.trim().split("\n")).toEqual([
      "True (2, 27)",
      "input 'ctx' holds indices: whole numbers, got a fraction",
    ]);
  });
});

/** learningRate(3) with no run: the rate, or the error of a schedule that needs the run. */
function bareRate(m: { learningRate(step: number): number }): Bare {
  try {
    return { value: m.learningRate(3) };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

/** The start of lr_at's error for what a learningRate error says is missing. */
function missing(error: string): string {
  return /\{ stepsPerEpoch \}/.test(error) ? "lr_at(step, steps_per_epoch)" : "lr_at(step, steps)";
}

function maxAbs(xs: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < xs.length; i++) m = Math.max(m, Math.abs(xs[i]!));
  return m;
}
