// nnc export --format onnx, checked by ONNX Runtime: for every model in models/ and random models,
// the inference graph's outputs equal the generated module's forward, one exported training step
// equals trainStep, and 20 steps stay together, each at the rate the model's schedule gives the
// step (the graph's `optimizer:lr` input). Besides models/, small models show every optimizer
// with weight decay, coupled and decoupled (adamw).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { Tensor } from "onnxruntime-node";
import type * as ort from "onnxruntime-node";
import type { ModelIR } from "../src/ir/model.ts";
import { isAdam, optimizerSlots } from "../src/export/optimizer.ts";
import { compile, type Compiled } from "../src/compile.ts";
import { exportOnnx } from "../src/export/onnx.ts";
import { DataType, decodeModel, encodeDecoded, valueInfo } from "../src/export/onnx-proto.ts";
import type { onnx as Onnx } from "onnx-proto";
import { interpret } from "../src/ir/interpret.ts";
import { toposort } from "../src/ir/toposort.ts";
import { seededWeights, type Weights } from "../src/export/weights.ts";
import {
  jsFeed,
  maxError,
  imagesCase,
  namesCase,
  optimizerCases,
  JITTER,
  ortFeed,
  randomFeed,
  randomModels,
  relativeError,
  repoModels,
  session,
  withoutDropout,
  type Feed,
  type ModelCase,
} from "./export-helpers.ts";

const cases = [...repoModels(), imagesCase, namesCase, ...optimizerCases, ...randomModels(8, 13)];
/** The run the training steps are part of, for the schedule: 20 steps, 6 to an epoch. */
const RUN = { steps: 20, stepsPerEpoch: 6 };

function compileCase(c: ModelCase, source = c.source): Compiled {
  return compile(source, { file: c.file, model: c.model });
}

async function inferenceError(c: ModelCase): Promise<Record<string, number>> {
  const compiled = compileCase(c);
  const bytes = exportOnnx(compiled.model, compiled.grads, { weights: seededWeights(compiled, 1) });
  const feed = randomFeed(compiled.model, 5, 3);
  const inputs = Object.fromEntries(compiled.model.inputs.map((l) => [l.name, feed[l.name]!]));
  const out = await (await session(bytes)).run(ortFeed(inputs));
  const ref = compiled.load().createModel({ seed: 1 }).forward(jsFeed(inputs, "f32"));
  return Object.fromEntries(
    Object.entries(ref).map(([k, v]) => [
      k,
      maxError(out[k]!.data as Float32Array, typeof v === "number" ? [v] : v),
    ]),
  );
}

type Values = Record<string, ArrayLike<number>>;

/** Exported training steps in ORT on the batches `feeds` at the rates `lrs`; the values after each. */
async function ortSteps(
  bytes: Uint8Array,
  start: Record<string, ort.Tensor>,
  feeds: Feed[],
  lrs: number[],
  type: "f32" | "f64",
) {
  const s = await session(bytes);
  const carried = { ...start };
  const after: Values[] = [];
  for (const [k, feed] of feeds.entries()) {
    const lr = scalarTensor(lrs[k]!, type);
    const out = await s.run({ ...ortFeed(feed, type), ...carried, "optimizer:lr": lr });
    const values: Values = {};
    for (const [name, t] of Object.entries(out)) {
      values[name] = t.data as Float32Array | Float64Array;
      if (name.startsWith("step:")) carried[name.slice("step:".length)] = t;
    }
    after.push(values);
  }
  return after;
}

/** The same steps in the generated module, named as the ONNX outputs are. */
function moduleSteps(
  compiled: Compiled,
  params: Values,
  feeds: Feed[],
  lrs: number[],
  type: "f32" | "f64",
): Values[] {
  const m = compiled.load().createModel({ params });
  return feeds.map((feed, k) => {
    const values: Values = {};
    for (const [name, g] of Object.entries(m.grad(jsFeed(feed, type)).grads))
      values[`grad:${name}`] = Float64Array.from(g);
    m.setLearningRate(lrs[k]!);
    values["train:loss"] = [m.trainStep(jsFeed(feed, type))];
    for (const [name, v] of [...Object.entries(m.params), ...Object.entries(m.state)])
      values[`step:${name}`] = Float64Array.from(v);
    return values;
  });
}

function compare(a: Values, b: Values): Record<string, number> {
  return Object.fromEntries(Object.keys(b).map((k) => [k, maxError(a[k]!, b[k]!)]));
}

/**
 * `steps` training steps of the exported graph in ORT and of the generated module, each in f32
 * and in f64, from the same params on the same batches. In f64 ORT must agree with the module
 * to 1e-9 (`exact`): the graph computes what trainStep computes. In f32 (`errors`) the two
 * differ by rounding, which a deep batch-normalized network, or adam's g / (|g| + eps) on a
 * gradient near 0, amplifies; `noise` is each engine's own distance from its f64 result.
 */
async function trainingErrors(c: ModelCase, steps: number, check: number[]) {
  const source = withoutDropout(c.source);
  const single = compileCase(c, source);
  const double = compile(source, { file: c.file, model: c.model, dtype: "f64" });
  const weights = seededWeights(single, 1);
  const params = Object.fromEntries(single.model.params.map((p) => [p.name, weights.get(p.name)!]));
  const feeds = Array.from({ length: steps }, (_, k) => randomFeed(single.model, 8, 100 + k));
  // the schedule's rates, as nnc train sets them (the caller's part of the exported step), jittered
  const schedule = double.load().createModel({ params });
  const lrs = feeds.map((_, k) => schedule.learningRate(k, RUN) * JITTER[k % 3]!);
  const run = async (compiled: Compiled, type: "f32" | "f64") => {
    const bytes = exportOnnx(compiled.model, compiled.grads, {
      training: true,
      weights,
      dtype: type,
    });
    const start = startingInputs(compiled.model, weights, type);
    return {
      ort: await ortSteps(bytes, start, feeds, lrs, type),
      own: moduleSteps(compiled, params, feeds, lrs, type),
    };
  };
  const f32 = await run(single, "f32");
  const f64 = await run(double, "f64");
  return check.map((step) => {
    const at = (r: { ort: Values[]; own: Values[] }) => ({
      ort: r.ort[step - 1]!,
      own: r.own[step - 1]!,
    });
    const [single32, double64] = [at(f32), at(f64)];
    const ortNoise = compare(single32.ort, double64.ort);
    const ownNoise = compare(single32.own, double64.own);
    const noise = Object.fromEntries(
      Object.keys(ownNoise).map((k) => [k, ortNoise[k]! + ownNoise[k]!]),
    );
    return {
      step,
      errors: compare(single32.ort, single32.own),
      noise,
      exact: compare(double64.ort, double64.own),
    };
  });
}

function scalarTensor(value: number, type: "f32" | "f64"): ort.Tensor {
  return type === "f32"
    ? new Tensor("float32", Float32Array.of(value), [])
    : new Tensor("float64", Float64Array.of(value), []);
}

/** The training step's first inputs: the weights, zeros for the optimizer, the model's rate. */
function startingInputs(
  model: ModelIR,
  weights: Weights,
  type: "f32" | "f64",
): Record<string, ort.Tensor> {
  const tensor = (data: ArrayLike<number>, shape: readonly (number | string)[]) =>
    type === "f32"
      ? new Tensor("float32", Float32Array.from(data), shape as number[])
      : new Tensor("float64", Float64Array.from(data), shape as number[]);
  const out: Record<string, ort.Tensor> = {};
  for (const l of [...model.params, ...model.state])
    out[l.name] = tensor(weights.get(l.name)!, l.shape);
  for (const p of model.params)
    for (const slot of optimizerSlots(model.optimizer))
      out[`optimizer:${p.name}:${slot}`] = tensor(
        new Float32Array(weights.get(p.name)!.length),
        p.shape,
      );
  out["optimizer:lr"] = tensor([model.optimizer.lr], []);
  if (isAdam(model.optimizer)) out["optimizer:step"] = tensor([0], []);
  return out;
}

describe("ONNX export, run by ONNX Runtime", () => {
  it.each(cases.map((c) => [c.label, c]))("%s: inference equals forward (1e-5)", async (_l, c) => {
    for (const [name, err] of Object.entries(await inferenceError(c)))
      expect(err, `${name} of ${c.label}\n${c.source}`).toBeLessThan(1e-5);
  });

  it.each(cases.map((c) => [c.label, c]))(
    "%s: one training step equals trainStep (1e-5), 20 stay within 1e-4",
    async (_l, c) => {
      for (const { step: steps, errors, noise, exact } of await trainingErrors(c, 20, [1, 20])) {
        const tolerance = steps === 1 ? 1e-5 : 1e-4;
        for (const [name, err] of Object.entries(exact))
          expect(err, `${name} after ${steps} steps of ${c.label} in f64`).toBeLessThan(1e-9);
        for (const [name, err] of Object.entries(errors))
          expect(err, `${name} after ${steps} steps of ${c.label}`).toBeLessThan(
            tolerance + 2 * noise[name]!,
          );
      }
    },
    60_000,
  );
});

describe("the exported graph's interface", () => {
  const compiled = compile(
    "model m {\n  input x: [batch, 2]\n  target y: [batch, 1]\n  h = x |> dense(3) |> batchnorm |> relu\n" +
      "  constructor = h |> dense(1) |> sigmoid\n  output constructor, h\n  loss = mean(bce(constructor, y))\n" +
      "  optimizer = adam(lr: 0.01)\n}",
    { file: "m.nn" },
  );
  const weights = seededWeights(compiled, 1);
  const names = (vs: { name?: string | null }[] | null | undefined) =>
    (vs ?? []).map((v) => v.name);

  it("carries the .nn names: inputs, outputs, params and state as initializers", () => {
    const g = decodeModel(exportOnnx(compiled.model, compiled.grads, { weights })).graph!;
    expect(names(g.input)).toEqual(["x"]);
    expect(names(g.output)).toEqual(["constructor", "h"]);
    expect(names(g.initializer)).toEqual(
      expect.arrayContaining(["h.dense.W", "h.batchnorm.running_var", "constructor.W"]),
    );
    const dims = g.input![0]!.type!.tensorType!.shape!.dim!;
    expect(dims.map((d) => d.dimParam || Number(d.dimValue))).toEqual(["batch", 2]);
    expect(g.node!.some((n) => n.opType === "Gemm" && n.input!.length === 3)).toBe(true);
  });

  it("fixes a bound dim and keeps opset 17", () => {
    const m = decodeModel(
      exportOnnx(compiled.model, compiled.grads, { weights, bind: { batch: 4 } }),
    );
    expect(Number(m.opsetImport[0]!.version)).toBe(17);
    const dims = m.graph!.input![0]!.type!.tensorType!.shape!.dim!;
    expect(dims.map((d) => Number(d.dimValue))).toEqual([4, 2]);
  });

  it("the training step takes and gives params, state and optimizer state by name", () => {
    const g = decodeModel(
      exportOnnx(compiled.model, compiled.grads, { weights, training: true }),
    ).graph!;
    expect(names(g.input)).toEqual(
      expect.arrayContaining(["x", "y", "h.dense.W", "h.batchnorm.running_mean", "optimizer:lr"]),
    );
    expect(names(g.input)).toEqual(
      expect.arrayContaining(["optimizer:step", "optimizer:h.dense.W:m"]),
    );
    expect(names(g.output)).toEqual(
      expect.arrayContaining(["train:loss", "step:h.dense.W", "step:optimizer:h.dense.W:v"]),
    );
    expect(names(g.output)).toEqual(
      expect.arrayContaining([
        "step:h.batchnorm.running_var",
        "step:optimizer:step",
        "grad:constructor.b",
      ]),
    );
  });

  it("names its outputs apart whatever the names: a param named `loss`, one named `optimizer`", async () => {
    const c = compile(
      "model m {\n  input x: [batch, 2]\n  target y: [batch, 1]\n  param loss: [2, 1] = [0.5, -1]\n" +
        "  param optimizer: [1] = [0.25]\n  p = x @ loss + optimizer\n  output p\n" +
        "  loss = mean(mse(p, y))\n  optimizer = adam(lr: 0.1)\n}\n",
      { file: "m.nn" },
    );
    const bytes = exportOnnx(c.model, c.grads, { training: true });
    const outputs = names(decodeModel(bytes).graph!.output);
    expect(new Set(outputs).size).toBe(outputs.length);
    expect(outputs).toEqual(
      expect.arrayContaining(["train:loss", "step:loss", "step:optimizer", "grad:loss"]),
    );
    // one step in ORT is one trainStep: the loss before it, and the param `loss` after it
    const feed = randomFeed(c.model, 4, 5);
    const start = seededWeights(c, 1);
    const zeros = (shape: number[]) =>
      new Tensor("float32", new Float32Array(shape.reduce((a, b) => a * b, 1)), shape);
    const inputs: Record<string, ort.Tensor> = {
      ...ortFeed(feed),
      "optimizer:lr": new Tensor("float32", Float32Array.of(0.1), []),
      "optimizer:step": zeros([]),
    };
    for (const p of c.model.params) {
      const shape = p.shape as number[];
      inputs[p.name] = new Tensor("float32", Float32Array.from(start.get(p.name)!), shape);
      for (const slot of optimizerSlots(c.model.optimizer))
        inputs[`optimizer:${p.name}:${slot}`] = zeros(shape);
    }
    const out = await (await session(bytes)).run(inputs);
    const m = c.load().createModel({ seed: 1 });
    const loss = m.trainStep(jsFeed(feed, "f32"));
    expect(maxError(out["train:loss"]!.data as Float32Array, [loss])).toBeLessThan(1e-5);
    expect(maxError(out["step:loss"]!.data as Float32Array, m.params["loss"]!)).toBeLessThan(1e-5);
  });
});

describe("int inputs and targets (indices, classes)", () => {
  const compiled = compile(readFileSync("models/gpt.nn", "utf8"), { file: "models/gpt.nn" });
  const weights = seededWeights(compiled, 1);
  const elemTypes = (vs: Onnx.IValueInfoProto[] | null | undefined) =>
    Object.fromEntries((vs ?? []).map((v) => [v.name, v.type!.tensorType!.elemType]));

  it("are int64 graph inputs, in inference and in the training step", () => {
    const inference = decodeModel(exportOnnx(compiled.model, compiled.grads, { weights }));
    expect(elemTypes(inference.graph!.input)).toEqual({ idx: DataType.INT64 });
    const step = decodeModel(
      exportOnnx(compiled.model, compiled.grads, { weights, training: true, dtype: "f64" }),
    );
    const types = elemTypes(step.graph!.input);
    expect([types["idx"], types["next"], types["wte"]]).toEqual([
      DataType.INT64,
      DataType.INT64,
      DataType.DOUBLE,
    ]);
  });

  it("an index past the table is ONNX Runtime's error, not a read", async () => {
    const s = await session(exportOnnx(compiled.model, compiled.grads, { weights }));
    const idx = new BigInt64Array(16).fill(3n);
    idx[5] = 27n;
    await expect(s.run({ idx: new Tensor("int64", idx, [1, 16]) })).rejects.toThrow(
      /out of data bounds, idx=27/,
    );
  });
});

describe("causal_mask over a dim fixed by --bind", () => {
  it("is the constant triangle of the bound size, and ONNX Runtime's forward is the module's", async () => {
    const source = [
      "model cm {",
      "  input x: [batch, T, 3]",
      "  target y: [batch, T, 2]",
      "  a = softmax(causal_mask(x @ transpose(x, [0, 2, 1])))",
      "  p = softmax((a @ x) |> dense(2))",
      "  output p",
      "  loss = mean(cross_entropy(p, y))",
      "}",
    ].join("\n");
    const bind = { T: 4 };
    const c = compile(source, { file: "cm.nn", bind });
    const bytes = exportOnnx(c.model, c.grads, { weights: seededWeights(c, 1), bind });
    // batch and T both 4 (randomFeed gives every named dim the batch's size)
    const { x } = randomFeed(c.model, 4, 3);
    const feed = { x: x! };
    const out = await (await session(bytes)).run(ortFeed(feed));
    const ref = c.load().createModel({ seed: 1 }).forward(jsFeed(feed, "f32"));
    expect(maxError(out["p"]!.data as Float32Array, ref["p"] as Float32Array)).toBeLessThan(1e-6);
  });
});

describe("the training step's optimizer", () => {
  const source = (optimizer: string) =>
    "model m {\n  input x: [batch, 2]\n  target y: [batch, 1]\n  h = x |> dense(3) |> relu\n" +
    "  z = h |> dense(1)\n  output z\n  loss = mean(mse(z, y))\n" +
    `  optimizer = ${optimizer}\n}`;
  const exported = (optimizer: string, training = true) => {
    const c = compile(source(optimizer), { file: "m.nn" });
    return decodeModel(exportOnnx(c.model, c.grads, { training, weights: seededWeights(c, 1) }));
  };
  const metadata = (m: ReturnType<typeof decodeModel>) =>
    Object.fromEntries(m.metadataProps.map((p) => [p.key, JSON.parse(p.value!) as unknown]));

  it("says in its metadata how nnc schedules the rate the caller feeds as optimizer:lr", () => {
    const m = exported(
      "adamw(lr: 0.01, weight_decay: 0.1, warmup: 2, decay: 0.9, schedule: cosine(to: 0.001))",
    );
    expect(metadata(m)).toEqual({
      "nnc:optimizer": {
        kind: "adamw",
        lr: 0.01,
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        weight_decay: 0.1,
        decay_params: ["h.W", "z.W"],
        schedule: { kind: "cosine", to: 0.001 },
        warmup: 2,
        decay_per_epoch: 0.9,
      },
    });
    expect(m.graph!.input!.map((i) => i.name)).toEqual(
      expect.arrayContaining(["optimizer:lr", "optimizer:step", "optimizer:h.W:m"]),
    );
    expect(metadata(exported("sgd(lr: 0.1, momentum: 0.5)"))["nnc:optimizer"]).toEqual({
      kind: "sgd",
      lr: 0.1,
      momentum: 0.5,
      weight_decay: 0,
      decay_params: [],
      schedule: { kind: "constant" },
      warmup: 0,
      decay_per_epoch: 1,
    });
    expect(exported("adam(lr: 0.1)", false).metadataProps).toEqual([]);
  });
});

describe("dropout in the training step", () => {
  it("draws masks of 0 and 1/(1-rate) in ORT, and the step is nnc's math with those masks", async () => {
    const source = readFileSync("models/mnist.nn", "utf8");
    const compiled = compile(source, { file: "models/mnist.nn" });
    const model = compiled.model;
    const weights = seededWeights(compiled, 1);
    const decoded = decodeModel(exportOnnx(model, compiled.grads, { training: true, weights }));
    // the masks, in the order the exporter lowered the dropout_mask nodes, as extra outputs
    const masks = decoded
      .graph!.node!.filter((n) => n.opType === "Dropout")
      .map((n) => n.output![0]!);
    decoded.graph!.output!.push(...masks.map((name) => valueInfo(name, [8, "n"], "f32")));
    const s = await session(encodeDecoded(decoded));
    const feed = randomFeed(model, 8, 5);
    const out = await s.run({ ...ortFeed(feed), ...startingInputs(model, weights, "f32") });
    const grads = compiled.grads.filter((g) => g.kind === "param");
    const roots = [
      model.train.loss!,
      ...grads.map((g) => g.node),
      ...model.train.stateUpdates.map((u) => u.node),
    ];
    const order = toposort(roots).filter((n) => n.op === "dropout_mask");
    expect(order.length).toBe(masks.length);
    const draws: number[] = [];
    order.forEach((node, i) => {
      const rate = node.attrs["rate"] as number;
      const mask = out[masks[i]!]!.data as Float32Array;
      const kept = mask.filter((v) => v !== 0);
      expect(kept.every((v) => Math.abs(v - 1 / (1 - rate)) < 1e-6)).toBe(true);
      // about `rate` of the elements dropped
      expect(Math.abs(1 - kept.length / mask.length - rate)).toBeLessThan(0.05);
      for (const v of mask) draws.push(v === 0 ? 0 : 0.999999);
    });
    const values = new Map<string, ArrayLike<number> | number>([
      ...Object.entries(feed).map(([k, v]) => [k, v.data] as const),
      ...weights,
    ]);
    const ref = interpret(roots, { values, dims: { batch: 8 }, random: () => draws.shift()! });
    const loss = out["train:loss"]!.data[0] as number;
    expect(Math.abs(loss - ref.get(model.train.loss!)!.data[0]!)).toBeLessThan(1e-5);
    for (const g of grads)
      expect(
        relativeError(out[`grad:${g.name}`]!.data as Float32Array, ref.get(g.node)!.data, 1e-3),
        g.name,
      ).toBeLessThan(1e-4);
  });
});
