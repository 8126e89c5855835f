// What the playground reads from the compiler through the library entry: a trace's every value
// and gradient as data, the graphs as data, and the names of a compilation read after others.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { compile, graphData, trace, type Trace } from "../src/index.ts";

const neuron = readFileSync("models/neuron.nn", "utf8");
const xor = readFileSync("models/xor.nn", "utf8");
const at = new Map([
  ["x0", -1],
  ["x1", -2],
]);
const circuit = () => compile(neuron, { file: "neuron.nn", fuse: false, dtype: "f64", wrt: "all" });
const byName = (t: Trace, name: string) => t.nodes.find((n) => n.name === name)!;
const byText = (t: Trace, re: RegExp) => t.nodes.find((n) => re.test(n.text))!;

describe("trace", () => {
  // the neuron's math by hand: f = 1 / (1 + e^-z), z = w0 x0 + w1 x1 + w2
  const [w0, w1, w2, x0, x1] = [2, -3, -3, -1, -2];
  const z = w0 * x0 + w1 * x1 + w2;
  const den = 1 + Math.exp(-z);
  const f = 1 / den;
  const dz = f * (1 - f);

  it.each([
    ["f", f, 1],
    ["w0", w0, dz * x0],
    ["w1", w1, dz * x1],
    ["w2", w2, dz],
    ["x0", x0, dz * w0],
    ["x1", x1, dz * w1],
  ])("gives %s its value and gradient", (name, value, gradient) => {
    const n = byName(trace(circuit(), at), name);
    expect(n.value[0]).toBeCloseTo(value, 12);
    expect(n.gradient[0]).toBeCloseTo(gradient, 12);
  });

  it("gives every gate of the diagram, the 1/x gate's input at 1.37 with gradient -0.53", () => {
    const t = trace(circuit(), at);
    const plus1 = byText(t, /^add\(1, %\d+\)$/);
    expect(plus1.value[0]).toBeCloseTo(den, 12);
    expect(plus1.gradient[0]).toBeCloseTo(-1 / den ** 2, 12);
    expect(plus1.value[0]!.toFixed(2)).toBe("1.37");
    expect(plus1.gradient[0]!.toFixed(2)).toBe("-0.53");
    // the gates as written: two products, two sums, a negation, exp, +1 and 1/x
    const ops = t.nodes.filter((n) => n.inputs.length > 0).map((n) => n.op);
    expect(ops).toEqual(["mul", "mul", "add", "add", "neg", "exp", "add", "div"]);
    const one = t.nodes.find((n) => n.id === plus1.inputs[0])!;
    expect([one.op, one.constant]).toEqual(["const", 1]);
    expect(t.loss).toBe(byName(t, "f").id);
  });

  it("agrees with central finite differences of the loss for every leaf", () => {
    const t = trace(circuit(), at);
    const values = { w0, w1, w2, x0, x1 };
    const loss = (v: typeof values) => 1 / (1 + Math.exp(-(v.w0 * v.x0 + v.w1 * v.x1 + v.w2)));
    const h = 1e-6;
    for (const name of Object.keys(values) as (keyof typeof values)[]) {
      const numeric =
        (loss({ ...values, [name]: values[name] + h }) -
          loss({ ...values, [name]: values[name] - h })) /
        (2 * h);
      expect(byName(t, name).gradient[0]).toBeCloseTo(numeric, 8);
    }
  });

  it("takes params from `at` and gives the params after one sgd step", () => {
    const t = trace(circuit(), new Map([...at, ["w0", 1]]));
    expect(byName(t, "w0").value[0]).toBe(1);
    const z1 = 1 * x0 + w1 * x1 + w2;
    const f1 = 1 / (1 + Math.exp(-z1));
    const step = trace(circuit(), at).step!;
    expect(step.optimizer).toEqual({ kind: "sgd", lr: 0.1 });
    expect(step.loss).toBeCloseTo(f, 12);
    expect(step.params["w0"]![0]).toBeCloseTo(w0 - 0.1 * dz * x0, 12);
    expect(step.params["w0"]![0]!.toFixed(2)).toBe("2.02");
    expect(byName(t, "f").value[0]).toBeCloseTo(f1, 12);
  });

  it("has no step where a dim is named (the data's size is not known)", () => {
    const c = compile(xor, { file: "xor.nn", dtype: "f64" });
    const t = trace(
      c,
      new Map([
        ["x", 1],
        ["y", 1],
      ]),
      1,
    );
    expect(t.step).toBeUndefined();
    expect(byName(t, "x").shape).toEqual([1, 2]);
  });

  it("says what each leaf is, a dropout mask too (constants aside)", () => {
    const mnist = readFileSync("models/mnist.nn", "utf8");
    const c = compile(mnist, { file: "mnist.nn", dtype: "f64" });
    const t = trace(
      c,
      new Map([
        ["x", 0.5],
        ["y", 1],
      ]),
      2,
    );
    const leaves = t.nodes.filter((n) => n.inputs.length === 0 && n.op !== "const");
    const role = (name: string) => leaves.find((n) => n.name === name)?.role;
    expect([role("x"), role("y"), role("z.W")]).toEqual(["input", "target", "param"]);
    const masks = leaves.filter((n) => n.op === "dropout_mask");
    expect(masks.map((n) => n.role)).toEqual(["dropout_mask", "dropout_mask"]);
    expect(leaves.every((n) => typeof n.role === "string")).toBe(true);
  });
});

describe("graphData", () => {
  const sigmoids = (fuse: boolean) =>
    graphData(compile(neuron, { file: "neuron.nn", fuse })).nodes.filter((n) => n.op === "sigmoid");

  it("collapses the neuron's spelled-out sigmoid into one fused node", () => {
    expect(sigmoids(true)).toHaveLength(1);
    expect(sigmoids(true)[0]).toMatchObject({ kind: "fused", name: "f", line: 8 });
    expect(sigmoids(false)).toHaveLength(0);
    const count = (fuse: boolean) =>
      graphData(compile(neuron, { file: "neuron.nn", fuse })).nodes.length;
    expect(count(false)).toBeGreaterThan(count(true));
  });

  it("gives each node its kind, shape, line and inputs; the backward part on request", () => {
    const c = compile(xor, { file: "xor.nn" });
    const g = graphData(c);
    const node = (name: string) => g.nodes.find((n) => n.name === name)!;
    expect(node("x")).toMatchObject({ kind: "input", shape: "[batch, 2]", line: 3 });
    expect(node("y")).toMatchObject({ kind: "target", shape: "[batch, 1]" });
    expect(node("h.W")).toMatchObject({ kind: "param", shape: "[2, 4]", line: 5 });
    const product = g.nodes.find((n) => n.op === "matmul" && n.inputs[1] === node("h.W").id)!;
    expect(product).toMatchObject({ kind: "matmul", shape: "[batch, 4]", line: 5 });
    expect(g.nodes.every((n) => !n.backward)).toBe(true);
    expect(g.roots.map((r) => r.label)).toEqual(["p", "loss"]);
    const ids = new Set<number>();
    for (const n of g.nodes) {
      expect(n.inputs.every((i) => ids.has(i))).toBe(true); // topological order
      ids.add(n.id);
    }
    const full = graphData(c, { backward: true });
    expect(full.roots.map((r) => r.label)).toEqual([
      "p",
      "loss",
      "d h.W",
      "d h.b",
      "d p.W",
      "d p.b",
    ]);
    const dW = full.nodes.find((n) => n.name === "d_h.W")!;
    expect(dW).toMatchObject({ op: "matmul", backward: true, shape: "[2, 4]", line: 5 });
  });

  it("sums up each convolution and pool: its filters or window, and its settings", () => {
    const lenet = readFileSync("models/lenet.nn", "utf8");
    const g = graphData(compile(lenet, { file: "lenet.nn" }), { backward: true });
    const shown = (op: string) =>
      g.nodes.filter((n) => n.op === op).map((n) => `${n.summary} ${n.shape}`);
    expect(shown("conv2d")).toEqual([
      "6@5x5, padding: 2 [batch, 6, 28, 28]",
      "16@5x5 [batch, 16, 10, 10]",
    ]);
    expect(shown("max_pool2d")).toEqual(["2x2 [batch, 6, 14, 14]", "2x2 [batch, 16, 5, 5]"]);
    // the gradients' convolutions: c2's input gradient, and each layer's weight gradient
    expect(shown("conv2d_dx")).toEqual(["16@5x5 [batch, 6, 14, 14]"]);
    expect(shown("conv2d_dw").sort()).toEqual([
      "16@5x5 [16, 6, 5, 5]",
      "6@5x5, padding: 2 [6, 1, 5, 5]",
    ]);
    const windows = g.nodes.filter((n) => n.summary !== undefined);
    expect(windows.every((n) => n.kind === "conv")).toBe(true);
    expect(g.nodes.filter((n) => n.kind === "conv")).toEqual(windows);
    expect(g.nodes.find((n) => n.op === "matmul")!.summary).toBeUndefined();
    const wide =
      "model m {\n input x: [batch, 3, 9, 9]\n h = x |> avg_pool2d(3, stride: 2, padding: 1)\n output h\n}";
    const pool = graphData(compile(wide)).nodes.find((n) => n.op === "avg_pool2d")!;
    expect(`${pool.summary} ${pool.shape}`).toBe("3x3, stride: 2, padding: 1 [batch, 3, 5, 5]");
  });
});

describe("a compilation's names, read after other compilations", () => {
  it("are the same in its graph and its trace", () => {
    const c = compile(xor, { file: "xor.nn" });
    const named = (g: ReturnType<typeof graphData>) => g.nodes.map((n) => n.name ?? "");
    const before = named(graphData(c, { backward: true }));
    const t0 = trace(circuit(), at);
    compile(readFileSync("models/mnist.nn", "utf8"), { file: "mnist.nn" });
    expect(named(graphData(c, { backward: true }))).toEqual(before);
    expect(before).toContain("h.W");
    const neuronFirst = circuit();
    compile(xor, { file: "xor.nn" });
    expect(trace(neuronFirst, at).nodes.map((n) => [n.name, n.line])).toEqual(
      t0.nodes.map((n) => [n.name, n.line]),
    );
  });
});
