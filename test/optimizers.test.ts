// Weight decay and learning-rate schedules: which params decay, every optimizer's step against an
// update written out by hand, weight decay against the same penalty written in the loss, and each
// schedule's rates at chosen steps against numbers computed by hand.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { compile } from "../src/index.ts";
import { lower } from "../src/parse/index.ts";
import { loadData } from "../src/train/load.ts";
import { Trainer } from "../src/train/trainer.ts";
import { updates as cases } from "./optimizer-steps.ts";

type Model = {
  params: Record<string, Float64Array>;
  trainStep(feed: Record<string, unknown>): number;
  learningRate(step: number, run?: { steps?: number; stepsPerEpoch?: number }): number;
  setLearningRate(lr: number): void;
};

const build = (source: string, options: Record<string, unknown> = {}): Model =>
  compile(source, { file: "o.nn", dtype: "f64" }).load().createModel(options) as unknown as Model;

/** z = x @ W + b with loss 1/2 |z|^2: dW[i][j] = x[i] z[j], db = z. */
const linear = (optimizer: string, loss = "0.5 * sum(z * z)") => `model m {
  input x: [2]
  param W: [2, 2] = [0.5, -1, 2, 0.25]
  param b: [2] = [0.1, -0.3]
  z = x @ W + b
  output z
  loss = ${loss}
  optimizer = ${optimizer}
}`;
const x = [1.5, -0.5];

describe("which params weight decay applies to", () => {
  const decayed = (body: string) =>
    lower(`model m {\n  input x: [batch, 3]\n  target y: [batch, 2]\n${body}\n}\n`, {
      file: "d.nn",
    }).optimizer.decayParams;
  const layers =
    "  param s: scalar = 1\n  h = x |> dense(4) |> batchnorm |> relu\n  p = h |> dense(2)\n  q = p * s\n  output q\n  loss = mean(mse(q, y))\n";

  it("by default the params of rank 2 or more: not biases, scales or batchnorm's gamma and beta", () => {
    expect(decayed(`${layers}  optimizer = sgd(lr: 0.1, weight_decay: 1e-4)`)).toEqual([
      "h.dense.W",
      "p.W",
    ]);
  });

  it("decay_params names params, or layers for every param under them", () => {
    expect(
      decayed(`${layers}  optimizer = adam(lr: 0.1, weight_decay: 1e-4, decay_params: [h, s])`),
    ).toEqual(["s", "h.dense.W", "h.dense.b", "h.batchnorm.gamma", "h.batchnorm.beta"]);
  });

  it("adamw decays by 0.01 unless told otherwise, as PyTorch's AdamW; the others by 0", () => {
    const spec = (opt: string) =>
      lower(linear(opt), { file: "d.nn" }).optimizer as { weightDecay?: number };
    expect(spec("adamw(lr: 0.1)").weightDecay).toBe(0.01);
    expect(spec("adam(lr: 0.1)").weightDecay).toBe(0);
    expect(spec("adamw(lr: 0.1, weight_decay: 0)").weightDecay).toBe(0);
  });

  it("adamw's default decay may find no weight matrix; a decay the file asks for is an error", () => {
    const neuron = readFileSync("models/neuron.nn", "utf8");
    const withOptimizer = (o: string) =>
      lower(neuron.replace(/optimizer = .*/, `optimizer = ${o}`), { file: "n.nn" });
    expect(withOptimizer("adamw(lr: 0.1)").optimizer.decayParams).toEqual([]);
    expect(() => withOptimizer("adamw(lr: 0.1, weight_decay: 0.01)")).toThrow(/NN2020/);
  });
});

describe("a step with weight decay matches the update written by hand", () => {
  /** Params after `steps` steps, computed here: W decays (rank 2), b does not. */
  const byHand = (
    steps: number,
    update: (p: number, g: number, decay: boolean, st: number[], t: number) => number,
  ) => {
    const W = [0.5, -1, 2, 0.25];
    const b = [0.1, -0.3];
    const st = { W: W.map(() => [0, 0]), b: b.map(() => [0, 0]) };
    for (let t = 1; t <= steps; t++) {
      const z = [0, 1].map((j) => x[0]! * W[j]! + x[1]! * W[2 + j]! + b[j]!);
      const gW = [0, 1, 2, 3].map((k) => x[Math.floor(k / 2)]! * z[k % 2]!);
      W.forEach((p, k) => (W[k] = update(p, gW[k]!, true, st.W[k]!, t)));
      b.forEach((p, k) => (b[k] = update(p, z[k]!, false, st.b[k]!, t)));
    }
    return { W, b };
  };
  it.each(cases)("%s", (optimizer, update) => {
    const m = build(linear(optimizer));
    for (let t = 0; t < 4; t++) m.trainStep({ x });
    const want = byHand(4, update);
    for (const [name, values] of Object.entries(want))
      values.forEach((v, k) => expect(m.params[name]![k]!, `${name}[${k}]`).toBeCloseTo(v, 12));
  });

  it("coupled weight decay is the penalty wd/2 |W|^2 in the loss (l2 has no 1/2)", () => {
    const decayed = build(linear("sgd(lr: 0.1, momentum: 0.9, weight_decay: 0.3)"));
    const penalized = build(
      linear("sgd(lr: 0.1, momentum: 0.9)", "0.5 * sum(z * z) + 0.15 * l2(W)"),
    );
    for (let t = 0; t < 5; t++) [decayed, penalized].forEach((m) => m.trainStep({ x }));
    for (const name of ["W", "b"])
      decayed.params[name]!.forEach((v, k) =>
        expect(v).toBeCloseTo(penalized.params[name]![k]!, 13),
      );
  });
});

describe("learning-rate schedules, per step", () => {
  const rates = (optimizer: string, steps: number[], run?: Record<string, number>, lr?: number) => {
    const m = build(linear(optimizer), lr === undefined ? {} : { lr });
    return steps.map((s) => m.learningRate(s, run));
  };
  const close = (got: number[], want: number[]) =>
    want.forEach((w, i) => expect(got[i], `at ${i}`).toBeCloseTo(w, 14));

  it("linear(to) goes from lr to `to` over the run, as micrograd's 1.0 - 0.9 k / 100", () => {
    close(
      rates("sgd(lr: 1.0, schedule: linear(to: 0.1))", [0, 1, 50, 99, 100, 150], { steps: 100 }),
      [1, 0.991, 0.55, 0.109, 0.1, 0.1],
    );
    close(rates("sgd(lr: 1.0, schedule: linear(to: 0.1, steps: 10))", [0, 5, 10]), [1, 0.55, 0.1]);
  });

  it("cosine anneals along half a cosine, to 0 or to `to`", () => {
    close(rates("adam(lr: 0.01, schedule: cosine)", [0, 1, 2, 4], { steps: 4 }, 0.02), [
      0.02,
      0.01 * (1 + Math.SQRT1_2),
      0.01,
      0,
    ]);
    close(
      rates("adam(lr: 0.01, schedule: cosine(to: 0.001, steps: 10))", [5, 10, 20]),
      [0.0055, 0.001, 0.001],
    );
  });

  it("step and exponential multiply by a factor", () => {
    close(
      rates("sgd(lr: 0.1, schedule: step(every: 10, factor: 0.5))", [0, 9, 10, 25]),
      [0.1, 0.1, 0.05, 0.025],
    );
    close(rates("sgd(lr: 1, schedule: exponential(0.97))", [0, 1, 3]), [1, 0.97, 0.912673]);
    close(rates("sgd(lr: 1, schedule: exponential(0.25, every: 10))", [5, 20]), [0.5, 0.0625]);
  });

  it("warmup ramps up over its steps, then the schedule runs over the rest", () => {
    close(
      rates("adam(lr: 0.1, warmup: 4, schedule: linear(to: 0, steps: 14))", [0, 1, 3, 4, 9, 14]),
      [0.025, 0.05, 0.1, 0.1, 0.05, 0],
    );
    close(rates("sgd(lr: 0.2, warmup: 2)", [0, 1, 2, 100]), [0.1, 0.2, 0.2, 0.2]);
  });

  it("decay multiplies the rate once per epoch, on top of the schedule", () => {
    close(
      rates("sgd(lr: 0.8, decay: 0.5)", [0, 2, 3, 7], { stepsPerEpoch: 3 }),
      [0.8, 0.8, 0.4, 0.2],
    );
    close(
      rates("sgd(lr: 1, decay: 0.5, schedule: linear(to: 0))", [5], {
        steps: 10,
        stepsPerEpoch: 2,
      }),
      [0.5 * 0.25],
    );
  });

  it("a constant rate is createModel's lr or the file's, whatever the step", () => {
    close(rates("sgd(lr: 0.1)", [0, 1000]), [0.1, 0.1]);
    close(rates("sgd(lr: 0.1)", [7], undefined, 0.3), [0.3]);
  });

  it("says what it needs to know about the run, and rejects a step that is not one", () => {
    const m = build(linear("sgd(lr: 1, decay: 0.5, schedule: cosine)"));
    expect(() => m.learningRate(3)).toThrow(
      /needs the length of the run in steps for cosine\(to: 0\)/,
    );
    expect(() => m.learningRate(3, { steps: 10 })).toThrow(/stepsPerEpoch.*decay: 0.5/);
    expect(() => m.learningRate(-1, { steps: 10, stepsPerEpoch: 1 })).toThrow(/a step number/);
    expect(() => m.learningRate(1.5, { steps: 10, stepsPerEpoch: 1 })).toThrow(
      /got the number 1.5/,
    );
  });

  it("meta describes the optimizer, its schedule and what it decays", () => {
    const meta = compile(
      linear("adamw(lr: 0.1, warmup: 3, schedule: linear(to: 0.01), weight_decay: 0.05)"),
    ).load().meta;
    expect(meta["optimizer"]).toEqual({
      kind: "adamw",
      lr: 0.1,
      beta1: 0.9,
      beta2: 0.999,
      eps: 1e-8,
      weight_decay: 0.05,
      decay_params: ["W"],
      schedule: { kind: "linear", to: 0.01 },
      warmup: 3,
      decay: 1,
    });
  });
});

describe("nnc train sets the module's own rate before every step", () => {
  const source = readFileSync("models/xor.nn", "utf8").replace(
    /optimizer = .*/,
    "optimizer = sgd(lr: 0.5, warmup: 2, decay: 0.5, schedule: linear(to: 0.05))",
  );
  const compiled = compile(source, { file: "xor.nn" });

  it("through learningRate(step, { steps: epochs * batches, stepsPerEpoch })", () => {
    const { train, test } = loadData("data/xor.csv", compiled.model);
    const trainer = new Trainer(compiled, train, test, { epochs: 3, batch: 2, seed: 1 });
    const set: number[] = [];
    const original = trainer.model.setLearningRate;
    trainer.model.setLearningRate = (lr: number) => {
      set.push(lr);
      original(lr);
    };
    trainer.run();
    // 2 steps per epoch, 6 in all: warmup 0.25, 0.5, then 0.5 -> 0.05 over 4 steps, halved per epoch
    const linear = (u: number) => 0.5 + (0.05 - 0.5) * (u / 4);
    const want = [0.25, 0.5, 0.5 * linear(0), 0.5 * linear(1), 0.25 * linear(2), 0.25 * linear(3)];
    expect(set).toHaveLength(6);
    want.forEach((w, i) => expect(set[i]).toBeCloseTo(w, 12));
    expect(trainer.learningRate(5)).toBeCloseTo(want[5]!, 12);
  });
});

describe("m.optimizer: the optimizer's state, to resume training exactly", () => {
  type Resumable = {
    params: Record<string, Float32Array | Float64Array>;
    state: Record<string, Float32Array | Float64Array>;
    optimizer: { step: number; slots: Record<string, Float32Array | Float64Array> };
    trainStep(feed: Record<string, unknown>): number;
    reseed(seed: number): void;
    randomState(): number;
  };
  // dropout and batchnorm too: a resumed step must see the same masks and running statistics
  const net = (optimizer: string) => `model m {
  input x: [batch, 3]
  target y: [batch, 2]
  h = x |> dropout(0.25) |> dense(4) |> batchnorm |> relu
  p = h |> dense(2)
  s = p * 1.5
  param k: scalar = 0.5
  q = s * k
  output q
  loss = mean(mse(q, y))
  optimizer = ${optimizer}
}`;
  const feed = {
    x: Float32Array.from({ length: 12 }, (_, i) => Math.sin(i + 1)),
    y: Float32Array.from({ length: 8 }, (_, i) => Math.cos(i)),
  };
  const copy = (from: Resumable, to: Resumable) => {
    for (const [k, v] of Object.entries(from.params)) to.params[k]!.set(v);
    for (const [k, v] of Object.entries(from.state)) to.state[k]!.set(v);
    for (const [k, v] of Object.entries(from.optimizer.slots)) to.optimizer.slots[k]!.set(v);
    to.optimizer.step = from.optimizer.step;
    to.reseed(from.randomState());
  };
  const rows: [string, string[]][] = [
    ["sgd(lr: 0.1)", []],
    ["sgd(lr: 0.1, momentum: 0.9)", ["velocity"]],
    ["rmsprop(lr: 0.01)", ["meansquare"]],
    ["adam(lr: 0.01)", ["m", "v"]],
    ["adamw(lr: 0.01, schedule: cosine)", ["m", "v"]],
  ];
  const targets = [
    ["js", "f64"],
    ["js", "f32"],
    ["wasm", "f32"],
  ] as const;

  describe.each(rows)("%s", (optimizer, roles) => {
    it.each(targets)(
      "on the %s target in %s: a copy of every state resumes bit for bit",
      (target, dtype) => {
        const c = compile(net(optimizer), { file: "r.nn", target, dtype });
        expect(c.target).toBe(target);
        const mod = c.load();
        const a = mod.createModel({ seed: 3 }) as unknown as Resumable;
        const params = [
          "h.dense.W",
          "h.dense.b",
          "h.batchnorm.gamma",
          "h.batchnorm.beta",
          "p.W",
          "p.b",
          "k",
        ];
        expect(Object.keys(a.optimizer.slots)).toEqual(
          params.flatMap((p) => roles.map((r) => `${p}.${r}`)),
        );
        for (let s = 0; s < 3; s++) a.trainStep(feed);
        expect(a.optimizer.step).toBe(3);
        for (const slot of Object.values(a.optimizer.slots))
          expect(slot.some((v) => v !== 0)).toBe(true);
        const b = mod.createModel({ seed: 99 }) as unknown as Resumable;
        copy(a, b);
        for (let s = 0; s < 2; s++) expect(b.trainStep(feed)).toBe(a.trainStep(feed));
        for (const [k, v] of Object.entries(a.params)) expect(b.params[k]).toEqual(v);
        for (const [k, v] of Object.entries(a.optimizer.slots))
          expect(b.optimizer.slots[k]).toEqual(v);
        // without the optimizer's state the same params take another step (unless sgd keeps none)
        const fresh = mod.createModel({ seed: 99 }) as unknown as Resumable;
        copy(a, fresh);
        for (const slot of Object.values(fresh.optimizer.slots)) slot.fill(0);
        fresh.optimizer.step = 0;
        const stepOf = (m: Resumable) => (m.trainStep(feed), Array.from(m.params["p.W"]!));
        const [withState, without] = [stepOf(a), stepOf(fresh)];
        if (roles.length === 0) expect(without).toEqual(withState);
        else expect(without).not.toEqual(withState);
      },
    );
  });

  it("step takes a whole number of steps, and nothing else", () => {
    const m = compile(net("adam(lr: 0.01)"), { file: "r.nn" })
      .load()
      .createModel() as unknown as Resumable;
    for (const bad of [1.5, -1, NaN, "2"])
      expect(() => (m.optimizer.step = bad as number)).toThrow(
        /optimizer.step must be a whole number of steps/,
      );
    m.optimizer.step = 7;
    expect(m.optimizer.step).toBe(7);
  });

  it("an inference-only model has none", () => {
    const c = compile(
      "model m {\n  input x: [2]\n  param w: [2] = 1\n  h = x * w\n  output h\n}\n",
    );
    expect("optimizer" in c.load().createModel()).toBe(false);
    expect(c.dts).not.toMatch(/OptimizerSlots|readonly optimizer/);
  });

  it("the declarations name every slot", () => {
    const dts = compile(net("adam(lr: 0.01)"), { file: "r.nn" }).dts;
    expect(dts).toMatch(
      /export type OptimizerSlots = \{\n  "h.dense.W.m": Float32Array;\n  "h.dense.W.v": Float32Array;/,
    );
    expect(dts).toMatch(/readonly optimizer: \{ step: number; readonly slots: OptimizerSlots \};/);
    expect(dts).toMatch(/randomState\(\): number;/);
  });
});
