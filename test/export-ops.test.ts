// Every op of the registry through both exporters, against the reference interpreter in f64: its
// ONNX form run by ONNX Runtime, and its torch form run by torch, whose autograd gradient must
// equal the op's gradient rule. Backward-only ops (gt0, bce_dp, batchnorm_dx, ...) are here too:
// the ONNX training step computes them. An op a format cannot express is an NN8001 error at its
// line.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { compile } from "../src/compile.ts";
import { gradients } from "../src/autodiff/grad.ts";
import { NnError } from "../src/diagnostics.ts";
import { interpret } from "../src/ir/interpret.ts";
import type { Node } from "../src/ir/node.ts";
import type { OpName } from "../src/ops/names.ts";
import * as ops from "../src/ops/index.ts";
import { make } from "../src/ops/op.ts";
import { exportOnnx } from "../src/export/onnx.ts";
import { onnxOps } from "../src/export/onnx-ops.ts";
import { exportTorch } from "../src/export/torch.ts";
import { torchOps } from "../src/export/torch-ops.ts";
import {
  relativeError,
  runTorchJobs,
  session,
  tempDir,
  ortFeed,
  torchAvailable,
  writeWeights,
  type Feed,
} from "./export-helpers.ts";
import { modelOf, randomArray, rng } from "./helpers.ts";
import { imageRows, rankRows, type Range, type Row } from "./export-image-rows.ts";
import { sequenceRows } from "./export-sequence-rows.ts";

const any: Range = [-2, 2];
const positive: Range = [0.2, 2];
const probability: Range = [0.05, 0.95];
const m34: [number[], Range] = [[3, 4], any];
const unary = (op: OpName, range: Range = any, attrs = {}): Row => ({
  op,
  inputs: [[[3, 4], range]],
  build: ([x]) => make(ops.opDef(op), [x!], attrs),
});
const binary = (op: OpName, a: Range = any, b: Range = any): Row => ({
  op,
  inputs: [
    [[3, 4], a],
    [[4], b],
  ],
  build: ([x, y]) => make(ops.opDef(op), [x!, y!]),
});
const sameShape = (op: OpName, a: Range, b: Range): Row => ({
  op,
  inputs: [
    [[3, 4], a],
    [[3, 4], b],
  ],
  build: ([x, y]) => make(ops.opDef(op), [x!, y!]),
});

const rows: Row[] = [
  binary("add"),
  binary("sub"),
  binary("mul"),
  binary("div", any, positive),
  unary("neg"),
  sameShape("pow", positive, [0.5, 2]),
  unary("exp"),
  unary("log", positive),
  unary("sqrt", positive),
  unary("abs"),
  unary("tanh"),
  unary("softplus"),
  unary("sigmoid"),
  unary("relu"),
  unary("leaky_relu", any, { alpha: 0.1 }),
  unary("elu", any, { alpha: 0.7 }),
  unary("step"),
  unary("gt0"),
  unary("sign"),
  unary("leaky_deriv", any, { alpha: 0.1 }),
  unary("elu_deriv", any, { alpha: 0.7 }),
  // one side rounded to a grid so that some elements are equal
  { op: "eq", inputs: [m34, [[4], any]], build: ([x, y]) => ops.eq(x!, ops.max(y!, [0], true)) },
  sameShape("bce", probability, [0, 1]),
  sameShape("bce_dp", probability, [0, 1]),
  unary("bce_dy", probability),
  sameShape("xent", probability, [0, 1]),
  sameShape("xent_dp", probability, [0, 1]),
  unary("xent_dy", probability),
  { op: "sum", inputs: [m34], build: ([x]) => ops.sum(x!, [1]) },
  { op: "mean", inputs: [m34], build: ([x]) => ops.mean(x!, [0], true) },
  { op: "max", inputs: [m34], build: ([x]) => ops.max(x!, [1], true) },
  { op: "expand", inputs: [[[1, 4], any]], build: ([x]) => ops.expand(x!, [3, 4]) },
  { op: "reshape", inputs: [m34], build: ([x]) => ops.reshape(x!, [2, 6]) },
  { op: "transpose", inputs: [m34], build: ([x]) => ops.transpose(x!) },
  {
    op: "matmul",
    inputs: [m34, [[5, 4], any]],
    build: ([a, b]) => ops.matmul(a!, b!, false, true),
  },
  { op: "softmax", inputs: [m34], build: ([x]) => ops.softmax(x!, 0) },
  { op: "log_softmax", inputs: [m34], build: ([x]) => ops.logSoftmax(x!, 1) },
  sameShape("bce_logits", any, [0, 1]),
  {
    op: "softmax_xent",
    inputs: [
      m34,
      [
        [3, 4],
        [0, 1],
      ],
    ],
    build: ([z, y]) => ops.softmaxXent(z!, y!),
  },
  {
    op: "batchnorm",
    inputs: [m34, [[1, 4], any], [[1, 4], positive], [[4], any], [[4], any]],
    build: ([x, mu, s, g, b]) => ops.batchnorm(x!, mu!, s!, g!, b!, false),
  },
  {
    op: "batchnorm_dx",
    inputs: [m34, m34, [[1, 4], any], [[1, 4], positive], [[4], any]],
    build: (xs) => make(ops.batchnormDxOp, xs),
  },
  ...rankRows,
  ...imageRows,
  ...sequenceRows,
];

/** `conv2d (stride 2, padding 1)`: a row's name in the tests. */
const rowName = (r: Row) => (r.label ? `${r.op} (${r.label})` : r.op);

/** Leaves are named by the exporters; every other op needs a row. */
const leaves: OpName[] = ["const", "input", "param", "state", "dimsize", "dropout_mask"];

interface Case {
  row: Row;
  node: Node;
  /** the row's float inputs, as params */
  params: Node[];
  /** its int inputs (indices, classes), as model inputs */
  ints: Node[];
  values: Map<string, Float64Array>;
  expected: Float64Array;
  /** the op's gradient rule, through sum(out * out), where it has one for every input */
  grads: Map<string, Float64Array> | null;
}

function prepare(row: Row, i: number): Case {
  const rand = rng(40 + i);
  const bound = (k: number) => row.ints?.[k];
  const leaves = row.inputs.map(([shape], k) =>
    bound(k) === undefined ? ops.param(`p${k}`, shape) : ops.input(`p${k}`, shape, "input", true),
  );
  const values = new Map(
    row.inputs.map(([shape, [lo, hi]], k) => {
      const n = shape.reduce((a, b) => a * b, 1);
      const b = bound(k);
      if (b !== undefined)
        return [`p${k}`, Float64Array.from({ length: n }, () => Math.floor(rand() * b))] as const;
      const v = randomArray(n, rand, lo, hi);
      const grid = row.op === "eq" ? 1 : row.grid;
      return [`p${k}`, grid ? v.map((x) => Math.round(x / grid) * grid) : v] as const;
    }),
  );
  const node = row.build(leaves);
  const params = leaves.filter((l) => !ops.isInt(l));
  const ints = leaves.filter((l) => ops.isInt(l));
  const expected = interpret([node], { values, dims: {} }).get(node)!.data;
  const def = ops.opDef(row.op);
  const loss = ops.sum(ops.mul(node, node));
  let grads: Map<string, Float64Array> | null = null;
  // an int input has no gradient; a float one must have its rule
  const rules = def.grad?.(node, node);
  if (rules && node.inputs.every((x, k) => !params.includes(x) || rules[k] !== null)) {
    const map = gradients(loss, params);
    const got = interpret([...map.values()], { values, dims: {} });
    grads = new Map(params.map((p) => [nameOf(p), got.get(map.get(p)!)!.data]));
  }
  return { row, node, params, ints, values, expected, grads };
}

const nameOf = (leaf: Node) => leaf.attrs["name"] as string;

/** The row's int inputs as a feed (the float ones are its weights). */
function intFeed(c: Case): Feed {
  return Object.fromEntries(
    c.ints.map((l) => {
      const name = nameOf(l);
      return [name, { shape: l.shape as number[], data: c.values.get(name)!, int: true }];
    }),
  );
}

function modelOfCase(c: Case) {
  return modelOf({
    inputs: c.ints,
    params: c.params.map((p) => [p, { kind: "zeros" }]),
    outputs: { out: c.node },
    loss: ops.sum(ops.mul(c.node, c.node)),
  });
}

describe("every op has a row in each exporter's table and in this test", () => {
  it("covers the registry", () => {
    const all = Object.keys(ops.registry) as OpName[];
    const untested = all.filter((op) => !leaves.includes(op) && !rows.some((r) => r.op === op));
    expect(untested).toEqual([]);
    for (const op of all) {
      expect(onnxOps[op], op).toBeDefined();
      expect(torchOps[op], op).toBeDefined();
      if (!leaves.includes(op)) {
        expect("unsupported" in onnxOps[op], op).toBe(false);
        expect("unsupported" in torchOps[op], op).toBe(false);
      }
    }
  });
});

describe("each op as ONNX, run by ONNX Runtime in f64", () => {
  it.each(rows.map((r, i) => [rowName(r), i] as const))("%s", async (_op, i) => {
    const c = prepare(rows[i]!, i);
    const bytes = exportOnnx(modelOfCase(c), [], { weights: c.values, dtype: "f64" });
    const out = await (await session(bytes)).run(ortFeed(intFeed(c), "f64"));
    expect(relativeError(out["out"]!.data as Float64Array, c.expected)).toBeLessThan(1e-12);
  });
});

// A float graph writes the image ops as ONNX's own (Conv, ConvTranspose, MaxPool, AveragePool),
// which ONNX Runtime has no double kernels for: on values of the grid a float32 convolution sums
// exactly, so that a window read one cell off shows far above float32's rounding.
describe("each image op's float form (Conv, ConvTranspose, ...), run by ONNX Runtime in f32", () => {
  const images = rows.flatMap((r, i) => (r.grid ? [[rowName(r), i] as const] : []));
  it.each(images)("%s", async (_op, i) => {
    const c = prepare(rows[i]!, i);
    const bytes = exportOnnx(modelOfCase(c), [], { weights: c.values, dtype: "f32" });
    const out = await (await session(bytes)).run({});
    expect(relativeError(out["out"]!.data as Float32Array, c.expected)).toBeLessThan(1e-6);
  });
});

describe.runIf(torchAvailable())(
  "each op in torch: its value, and autograd against its rule",
  () => {
    const cases = rows.map(prepare);
    let results: { forward: Record<string, number[]>; grads: Record<string, number[] | null> }[];

    beforeAll(() => {
      const dir = tempDir();
      const jobs = cases.map((c, i) => {
        const model = modelOfCase(c);
        const module = join(dir, `op${i}.py`);
        writeFileSync(module, exportTorch(model));
        const weights = join(dir, `op${i}.safetensors`);
        writeWeights(weights, model, Object.fromEntries(c.values), "f64");
        const feed = Object.fromEntries(
          Object.entries(intFeed(c)).map(([k, v]) => [k, { shape: v.shape, data: [...v.data] }]),
        );
        return { module, weights, forward: feed, loss: feed };
      });
      results = runTorchJobs(dir, jobs);
    }, 120_000);

    it.each(rows.map((r, i) => [rowName(r), i] as const))("%s", (_op, i) => {
      const c = cases[i]!;
      const r = results[i]!;
      expect(relativeError(r.forward["out"]!, c.expected)).toBeLessThan(1e-12);
      for (const [name, g] of c.grads ?? [])
        expect(relativeError(r.grads[name] ?? [], g, 1e-6), `d/d${name}`).toBeLessThan(1e-9);
    });
  },
);

describe("an op a format cannot express", () => {
  const source =
    "model m {\n  input x: [batch, 2]\n  param w: [2, 2]\n  h = tanh(x @ w)\n  output h\n}\n";
  const saved = { onnx: onnxOps.tanh, torch: torchOps.tanh };
  afterEach(() => {
    onnxOps.tanh = saved.onnx;
    torchOps.tanh = saved.torch;
  });

  it.each(["onnx", "torch"] as const)("is NN8001 at its line (%s)", (format) => {
    const why = { unsupported: "not in this format" };
    if (format === "onnx") onnxOps.tanh = why;
    else torchOps.tanh = why;
    const compiled = compile(source, { file: "m.nn" });
    const run = () =>
      format === "onnx"
        ? exportOnnx(compiled.model, compiled.grads, { weights: new Map([["w", [1, 0, 0, 1]]]) })
        : exportTorch(compiled.model);
    expect(run).toThrow(NnError);
    try {
      run();
    } catch (e) {
      const d = (e as NnError).diagnostics[0]!;
      expect([d.code, d.line, d.col]).toEqual(["NN8001", 4, 3]);
      expect(d.message).toMatch(/cannot write the op `tanh` \(not in this format\)/);
    }
  });
});
