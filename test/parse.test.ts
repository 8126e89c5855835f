import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { lower, modelNames, parseProgram } from "../src/parse/index.ts";
import { NnError, type Code } from "../src/diagnostics.ts";
import { nameOf, nodesBuilt, originOf, shapeToString, type Node } from "../src/ir/node.ts";
import type { ModelIR } from "../src/ir/model.ts";
import { toposort } from "../src/ir/toposort.ts";
import { grammar } from "../src/parse/semantics.ts";
import { prepareSource } from "../src/parse/source.ts";

const file = "test.nn";
const shapes = (leaves: { name: string; shape: readonly (number | string)[] }[]) =>
  Object.fromEntries(leaves.map((l) => [l.name, shapeToString(l.shape)]));
const model = (body: string, before = "") =>
  `${before}model m {\n  input x: [batch, 3]\n  target y: [batch, 2]\n${body}\n}\n`;

function errors(source: string, opts: { model?: string } = {}): NnError {
  try {
    lower(source, { file, ...opts });
  } catch (e) {
    if (e instanceof NnError) return e;
    throw e;
  }
  throw new Error("expected an NnError");
}

describe("accepted sources", () => {
  const load = (name: string): ModelIR => {
    const path = `models/${name}.nn`;
    return lower(readFileSync(path, "utf8"), { file: path });
  };

  it("lowers the neuron of SPEC §2 to straight-line scalar arithmetic", () => {
    const ir = load("neuron");
    expect(shapes(ir.inputs)).toEqual({ x0: "scalar", x1: "scalar" });
    expect(ir.params.map((p) => [p.name, p.init])).toEqual([
      ["w0", { kind: "fill", value: 2 }],
      ["w1", { kind: "fill", value: -3 }],
      ["w2", { kind: "fill", value: -3 }],
    ]);
    expect(ir.train.loss).toBe(ir.train.outputs[0]!.node);
    expect(ir.train.loss!.op).toBe("div");
    expect(ir.optimizer).toMatchObject({ kind: "sgd", lr: 0.1, momentum: 0 });
    expect(ir.dims).toEqual([]);
  });

  it("names the params of a one-layer statement after the binding (xor)", () => {
    const ir = load("xor");
    expect(shapes(ir.params)).toEqual({
      "h.W": "[2, 4]",
      "h.b": "[4]",
      "p.W": "[4, 1]",
      "p.b": "[1]",
    });
    expect(ir.params.map((p) => p.init.kind)).toEqual(["glorot", "zeros", "glorot", "zeros"]);
    expect(shapes(ir.targets)).toEqual({ y: "[batch, 1]" });
    expect(ir.dims).toEqual(["batch"]);
    expect(ir.optimizer).toMatchObject({ kind: "sgd", lr: 0.5, momentum: 0.9 });
    const p = ir.infer.outputs[0]!.node;
    expect(p.op).toBe("sigmoid");
    expect(ir.train.outputs[0]!.node).toBe(p); // no batchnorm or dropout: one graph
    expect(nameOf(p)).toBe("p");
    expect(originOf(p)).toMatchObject({ file: "models/xor.nn", line: 6 });
    expect(originOf(p)!.text).toContain("p = h |> dense(1) |> sigmoid");
  });

  it("names the params of several layers by kind, with batchnorm state (mnist)", () => {
    const ir = load("mnist");
    expect(shapes(ir.params)).toEqual({
      "h.dense.W": "[784, 128]",
      "h.dense.b": "[128]",
      "h.batchnorm.gamma": "[128]",
      "h.batchnorm.beta": "[128]",
      "z.W": "[128, 10]",
      "z.b": "[10]",
    });
    expect(ir.state.map((s) => [s.name, s.init])).toEqual([
      ["h.batchnorm.running_mean", 0],
      ["h.batchnorm.running_var", 1],
    ]);
    expect(ir.train.stateUpdates.map((u) => u.name)).toEqual([
      "h.batchnorm.running_mean",
      "h.batchnorm.running_var",
    ]);
    expect(ir.infer.stateUpdates).toEqual([]);
    const inferOps = toposort([ir.infer.outputs[0]!.node]).map((n) => n.op);
    const trainOps = toposort([ir.train.outputs[0]!.node]).map((n) => n.op);
    expect(inferOps).toContain("state");
    expect(trainOps).not.toContain("state");
    expect(ir.optimizer).toMatchObject({
      kind: "adam",
      lr: 0.002,
      beta1: 0.9,
      beta2: 0.999,
      eps: 1e-8,
      decay: 1,
      schedule: { kind: "cosine", to: 0 },
    });
  });

  it("numbers a layer kind used twice in one statement", () => {
    const ir = lower(model("  h = x |> dense(8) |> dense(4)\n  output h"), { file });
    expect(shapes(ir.params)).toEqual({
      "h.dense0.W": "[3, 8]",
      "h.dense0.b": "[8]",
      "h.dense1.W": "[8, 4]",
      "h.dense1.b": "[4]",
    });
  });

  it("lowers blocks with dim(x, -1), number arguments and nested layer names", () => {
    const source = model(
      "  h = x |> mlp(5) |> sigmoid\n  output h",
      [
        "block residual(x, n) {",
        "  param W: [dim(x, -1), n] = normal(std: 0.01)",
        "  param s: scalar = 1",
        "  z = x @ W |> relu",
        "  return z * s + x",
        "}",
        "block mlp(x, units) {",
        "  a = x |> dense(units, he)",
        "  return a |> residual(units)",
        "}\n",
      ].join("\n"),
    );
    const ir = lower(source, { file });
    expect(shapes(ir.params)).toEqual({
      "h.a.W": "[3, 5]",
      "h.a.b": "[5]",
      "h.W": "[5, 5]",
      "h.s": "scalar",
    });
    expect(ir.params.map((p) => p.init.kind)).toEqual(["he", "zeros", "normal", "fill"]);
    expect(shapeToString(ir.infer.outputs[0]!.node.shape)).toBe("[batch, 5]");
  });

  it("names two calls of one block apart", () => {
    const source = model(
      "  h = x |> lin(4) |> lin(2)\n  output h",
      "block lin(x, n) { return x |> dense(n) }\n",
    );
    const names = lower(source, { file }).params.map((p) => p.name);
    expect(names).toEqual(["h.lin0.W", "h.lin0.b", "h.lin1.W", "h.lin1.b"]);
  });

  it("accepts comments, `;`, blank lines, broken lines and the precedence of SPEC §2", () => {
    const source = [
      "// a comment",
      "",
      "model m {  # another",
      "  input a: scalar; input b: scalar",
      "",
      "  c = -a ^ 2 + b * a  // -(a^2) + (b*a)",
      "  d = max(",
      "    a,",
      "  ) + a ^ -1",
      "  e = c",
      "    |> exp",
      "  output c, d, e",
      "}",
    ].join("\n");
    const ir = lower(source, { file });
    const [c, d, e] = ir.infer.outputs.map((o) => o.node) as [Node, Node, Node];
    expect(c.op).toBe("add");
    expect(c.inputs[0]!.op).toBe("neg");
    expect(c.inputs[0]!.inputs[0]!.op).toBe("pow");
    expect(c.inputs[1]!.op).toBe("mul");
    expect(d.inputs[1]!.op).toBe("pow");
    expect(e.op).toBe("exp");
  });

  it("accepts a byte-order mark at the start of the file, with columns unchanged after it", () => {
    const source = "\uFEFFmodel m {\r\n  input x: scalar\r\n  output x\r\n}\r\n";
    expect(lower(source, { file }).inputs.map((i) => i.name)).toEqual(["x"]);
    const e = errors("\uFEFFmodel m {\n  output zz\n}\n");
    expect(e.diagnostics[0]).toMatchObject({ code: "NN2001", line: 2, col: 10 });
  });

  it("accepts any identifier as a name, including JavaScript's own", () => {
    const source = [
      "model constructor {",
      "  input __proto__: [2]",
      "  input Math: scalar",
      "  this = __proto__ |> dense(3)",
      "  toString = this * Math + eval",
      "  eval = 1",
      "  output toString",
      "}",
    ].join("\n");
    const e = errors(source);
    expect(e.diagnostics.map((d) => d.code)).toEqual(["NN2001"]); // eval used before definition
    const ok = source.replace(" + eval", "").replace("  eval = 1\n", "");
    const ir = lower(ok, { file });
    expect(ir.name).toBe("constructor");
    expect(shapes(ir.params)).toEqual({ "this.W": "[2, 3]", "this.b": "[3]" });
    expect(ir.infer.outputs[0]!.name).toBe("toString");
  });

  it("selects a model by name, and lists the models of a file", () => {
    const source =
      "model a {\n input x: scalar\n output x\n}\nmodel b {\n input z: [2]\n output z\n}\n";
    expect(modelNames(source, file)).toEqual(["a", "b"]);
    expect(lower(source, { file }).name).toBe("a");
    expect(lower(source, { file, model: "b" }).inputs[0]!.name).toBe("z");
  });

  it("lowers dropout only in training and uses the default optimizer", () => {
    const ir = lower(model("  h = x |> dense(4) |> dropout(0.5)\n  output h"), { file });
    expect(ir.params.map((p) => p.name)).toEqual(["h.W", "h.b"]); // dropout creates no params
    expect(ir.train.outputs[0]!.node.op).toBe("mul");
    expect(ir.infer.outputs[0]!.node.op).toBe("add");
    expect(ir.optimizer).toMatchObject({ kind: "sgd", lr: 0.01 });
  });

  it("refers to params by their dotted names, and initializes params from lists", () => {
    const source = model(
      "  h = x |> dense(2)\n  param v: [2, 2] = [[1, 2], [3, -4]]\n  r = sum(h.W ^ 2) + sum(v)\n  output h\n  loss = r",
    );
    const ir = lower(source, { file });
    expect(ir.params.find((p) => p.name === "v")!.init).toEqual({
      kind: "values",
      values: [1, 2, 3, -4],
    });
    expect(ir.train.loss!.shape).toEqual([]);
  });

  it("parses to a syntax tree with positions", () => {
    const program = parseProgram("model m {\n  h = x |> f(2, a: 3)\n}\n", file);
    const stmt = program.decls[0]!.body[0]!;
    expect(stmt).toMatchObject({
      kind: "assign",
      name: { name: "h", at: { line: 2, col: 3 } },
      value: {
        kind: "call",
        callee: "f",
        piped: true,
        args: [{ name: null }, { name: null }, { name: "a" }],
      },
    });
  });
});

type Row = [
  scenario: string,
  source: string,
  message: RegExp,
  code: Code,
  line: number,
  col: number,
];

const rows: Row[] = [
  [
    "syntax: missing operand",
    model("  h = x +;"),
    /expected an expression, found the end of the statement/,
    "NN1001",
    4,
    10,
  ],
  [
    "syntax: a trailing operator continues the statement onto the next line",
    model("  h = x +"),
    /expected an expression, found `}` \(line 4 ends in `\+`, so the statement continues on line 5\)/,
    "NN1001",
    5,
    1,
  ],
  [
    "syntax: a source with the hole character",
    model("  h = x + \x01"),
    /expected an expression/,
    "NN1001",
    4,
    11,
  ],
  [
    "syntax: missing `{`",
    "model m\n  input x: [2]\n}\n",
    /expected `\{`, found `input`/,
    "NN1001",
    2,
    3,
  ],
  [
    "syntax: missing `}`",
    "model m {\n  input x: [2]\n",
    /expected `\}`, found the end of the file/,
    "NN1001",
    3,
    1,
  ],
  [
    "syntax: a stray `}`",
    "}\nmodel m {\n}\n",
    /expected `model` or `block`, found `\}`/,
    "NN1001",
    1,
    1,
  ],
  [
    "syntax: a misspelled `model`",
    "modle m {\n}\n",
    /expected `block` or `model`, found `modle`/,
    "NN1001",
    1,
    1,
  ],
  [
    "syntax: braces inside a body",
    model("  h = x\n  {\n  output h"),
    /expected a statement or `\}`, found `\{`/,
    "NN1001",
    5,
    3,
  ],
  [
    "syntax: a chain of 3,000 unary minus signs is nested too deeply, at its statement",
    model(`  h = ${"-".repeat(3000)}x\n  output h`),
    /nested too deeply to parse/,
    "NN1002",
    4,
    3,
  ],
  ["syntax: missing colon", "model m {\n  input x [2]\n}", /expected `:`/, "NN1001", 2, 11],
  [
    "syntax: unclosed paren, reported where its line ends",
    model("  h = sigmoid(x\n  output h"),
    /expected `\)` to close the `\(` of line 4, column 14, before the line ends/,
    "NN1001",
    4,
    16,
  ],
  [
    "unknown name",
    model("  h = sigmoid(xx)\n  output h"),
    /unknown name `xx` \(did you mean `x`\?\)/,
    "NN2001",
    4,
    15,
  ],
  [
    "use before definition",
    model("  h = g + 1\n  g = x\n  output h"),
    /`g` is used before its definition on line 5/,
    "NN2001",
    4,
    7,
  ],
  [
    "name defined twice",
    model("  h = x\n  h = x\n  output h"),
    /`h` is already defined on line 4/,
    "NN2002",
    5,
    3,
  ],
  [
    "input defined twice",
    model("  input x: scalar\n  output x"),
    /`x` is already defined/,
    "NN2002",
    4,
    9,
  ],
  [
    "unknown function",
    model("  h = sigmod(x)\n  output h"),
    /unknown function `sigmod` \(did you mean `sigmoid`\?\)/,
    "NN2003",
    4,
    7,
  ],
  [
    "too many arguments",
    model("  h = sigmoid(x, 2)\n  output h"),
    /`sigmoid\(x\)` takes 1 argument, got 2/,
    "NN2004",
    4,
    18,
  ],
  [
    "too many piped arguments",
    model("  h = x |> sigmoid(2)\n  output h"),
    /counting the piped value/,
    "NN2004",
    4,
    20,
  ],
  [
    "a misspelled named argument: one error, with the name meant (letters swapped)",
    model("  param w: [2, 2] = normal(sdt: 0.1)\n  h = x @ w\n  output h"),
    /^`normal` has no argument `sdt` \(did you mean `std`\?\); it is `normal\(mean, std\)`$/,
    "NN2004",
    4,
    28,
  ],
  [
    "unknown named argument",
    model("  h = leaky_relu(x, beta: 0.2)\n  output h"),
    /`leaky_relu` has no argument `beta`/,
    "NN2004",
    4,
    21,
  ],
  [
    "missing argument",
    model("  h = x |> dense\n  output h"),
    /`dense` needs the argument `units`/,
    "NN2004",
    4,
    12,
  ],
  [
    "tensor where a number is needed",
    model("  h = x |> dense(x)\n  output h"),
    /`units` of `dense` must be a number.*\[batch, 3\]/,
    "NN2004",
    4,
    18,
  ],
  [
    "list in an expression",
    model("  h = x + [1, 2]\n  output h"),
    /a list is allowed only/,
    "NN2004",
    4,
    11,
  ],
  [
    "shapes do not broadcast",
    model("  h = x + y\n  output h"),
    /\[batch, 3\] and \[batch, 2\]/,
    "NN3001",
    4,
    9,
  ],
  [
    "matmul inner sizes",
    model("  param w: [2, 4]\n  h = x @ w\n  output h"),
    /inner sizes.*\[batch, 3\].*\[2, 4\]/,
    "NN3003",
    5,
    9,
  ],
  [
    "matmul batch axes",
    model("  param v: [2, 4, 3]\n  param w: [3, 3, 2]\n  h = v @ w\n  output h"),
    /batch axes .* the left side is \[2, 4, 3\], the right side is \[3, 3, 2\]/,
    "NN3003",
    6,
    9,
  ],
  [
    "axis out of range",
    model("  h = sum(x, 2)\n  output h"),
    /axis 2 is out of range/,
    "NN3002",
    4,
    7,
  ],
  [
    "loss not scalar",
    model("  p = x |> dense(2)\n  output p\n  loss = mse(p, y)"),
    /must be a scalar.*\[batch\].*mean/,
    "NN3004",
    6,
    10,
  ],
  [
    "loss of different shapes",
    model("  output x\n  loss = mean(mse(x, y))"),
    /p is \[batch, 3\], y is \[batch, 2\]/,
    "NN3001",
    5,
    15,
  ],
  [
    "output depends on target",
    model("  p = x |> dense(2)\n  q = p + y\n  output q"),
    /output `q` depends on the target `y`/,
    "NN4002",
    6,
    10,
  ],
  [
    "param with a named dim",
    model("  param w: [batch, 2]\n  output x"),
    /named dimension `batch`/,
    "NN3007",
    4,
    9,
  ],
  [
    "bad dimension",
    model("  param w: [0]\n  output x"),
    /positive integer, got 0/,
    "NN3007",
    4,
    13,
  ],
  [
    "shape too large",
    model("  param w: [100000, 100000]\n  output x"),
    /too large/,
    "NN3006",
    4,
    9,
  ],
  [
    "init of the wrong length",
    model("  param w: [3] = [1, 2]\n  output x"),
    /3 element\(s\) but its initial value lists 2/,
    "NN3005",
    4,
    9,
  ],
  [
    "unknown initializer",
    model("  param w: [3] = gorlot\n  output x"),
    /unknown initializer `gorlot` \(did you mean `glorot`\?\)/,
    "NN2003",
    4,
    18,
  ],
  [
    "dropout rate",
    model("  h = x |> dropout(1.5)\n  output h"),
    /`rate` of `dropout` must be in \[0, 1\)/,
    "NN3005",
    4,
    12,
  ],
  [
    "batchnorm of a scalar",
    model("  s = sum(x)\n  h = s |> batchnorm\n  output h"),
    /`batchnorm` needs x of shape \[n, c\]/,
    "NN3008",
    5,
    12,
  ],
  [
    "unknown optimizer",
    model("  output x\n  optimizer = nadam(lr: 0.1)"),
    /unknown optimizer `nadam` \(did you mean `adam`\?\); use sgd, rmsprop, adam, adamw/,
    "NN2003",
    5,
    15,
  ],
  [
    "optimizer without lr",
    model("  output x\n  optimizer = sgd(momentum: 0.9)"),
    /`sgd` needs the argument `lr`/,
    "NN2004",
    5,
    15,
  ],
  [
    "optimizer value, at the argument",
    model("  output x\n  optimizer = adam(lr: 0.1, beta1: 1.5)"),
    /`beta1` of `adam` must be in \[0, 1\)/,
    "NN3005",
    5,
    29,
  ],
  [
    "a learning rate of 0",
    model("  output x\n  optimizer = sgd(lr: 0, momentum: 0.9)"),
    /`lr` of `sgd` must be a finite number greater than 0, got 0/,
    "NN3005",
    5,
    19,
  ],
  [
    "a negative learning rate, given by position",
    model("  output x\n  optimizer = rmsprop(-0.1)"),
    /`lr` of `rmsprop` must be a finite number greater than 0, got -0\.1/,
    "NN3005",
    5,
    23,
  ],
  [
    "an infinite learning rate",
    model("  output x\n  optimizer = adam(lr: 1 / 0)"),
    /`lr` of `adam` must be a finite number greater than 0, got Infinity/,
    "NN3005",
    5,
    20,
  ],
  [
    "two losses",
    model("  output x\n  loss = sum(x)\n  loss = sum(y)"),
    /already has a `loss`/,
    "NN2002",
    6,
    3,
  ],
  ["nothing to compute", model("  h = x"), /has no `output` and no `loss`/, "NN2005", 1, 7],
  ["no model", "block f(x) { return x }\n", /defines no model/, "NN2005", 1, 1],
  [
    "recursive block",
    model("  h = x |> f\n  output h", "block f(x) { return x |> f }\n"),
    /calls itself/,
    "NN2006",
    1,
    26,
  ],
  [
    "block without return",
    model("  h = x |> f\n  output h", "block f(x) { z = x }\n"),
    /has no `return`/,
    "NN2005",
    1,
    7,
  ],
  [
    "block named like a built-in",
    model("  output x", "block relu(x) { return x }\n"),
    /`relu` is a built-in function/,
    "NN2002",
    1,
    7,
  ],
  [
    "input in a block",
    model("  output x", "block f(x) {\n  input z: scalar\n  return x\n}\n"),
    /`input` belongs in a model/,
    "NN2006",
    2,
    3,
  ],
  [
    "return in a model",
    model("  return x\n  output x"),
    /`return` belongs in a block/,
    "NN2006",
    4,
    3,
  ],
  [
    "shape error inside a block",
    model("  h = x |> f(4)\n  output h", "block f(x, n) {\n  param W: [n, n]\n  return x @ W\n}\n"),
    /inner sizes.*\(in block `f` called on line 8\)/,
    "NN3003",
    3,
    12,
  ],
  ["output defined twice", model("  output x, x"), /already an output/, "NN2002", 4, 13],
  ...recipeErrors(),
  [
    "number literal beyond a double",
    model("  param w: scalar = 1e400\n  q = x * w ^ 2e999\n  output q"),
    /the number 1e400 is too large/,
    "NN3005",
    4,
    21,
  ],
];

/** Errors of the optimizer's options, the metric, and the regularization and margin losses. */
function recipeErrors(): [string, string, RegExp, Code, number, number][] {
  const fit = (opt: string, extra = "") =>
    model(
      `  p = x |> dense(2)\n  output p\n  loss = mean(mse(p, y))${extra}\n  optimizer = ${opt}`,
    );
  const scored = (metric: string) =>
    model(
      `  p = x |> dense(2) |> softmax\n  output p\n  loss = mean(cross_entropy(p, y))\n  metric = ${metric}`,
    );
  return [
    [
      "l2 of nothing",
      model("  r = l2()\n  output r"),
      /`l2` takes one or more tensors/,
      "NN2004",
      4,
      7,
    ],
    [
      "l2 with a named argument",
      model("  r = l2(x, axis: 0)\n  output r"),
      /`l2` takes one or more tensors/,
      "NN2004",
      4,
      13,
    ],
    [
      "hinge of different shapes",
      model("  s = x |> dense(1)\n  h = hinge(s, y)\n  output h"),
      /`hinge` needs score and y of the same shape: score is \[batch, 1\], y is \[batch, 2\]/,
      "NN3001",
      5,
      7,
    ],
    [
      "negative weight decay",
      fit("sgd(lr: 0.1, weight_decay: -1)"),
      /`weight_decay` of `sgd` must be 0 or more/,
      "NN3005",
      7,
      28,
    ],
    [
      "warmup that is not a step count",
      fit("adam(lr: 0.1, warmup: 2.5)"),
      /`warmup` of `adam` is a number of steps/,
      "NN3005",
      7,
      29,
    ],
    [
      "weight decay on no weight matrix",
      model(
        "  param b: [2] = zeros\n  q = x * 1\n  output q\n  loss = sum(b * b)\n  optimizer = sgd(lr: 0.1, weight_decay: 0.01)",
      ),
      /`weight_decay` decays the params of rank 2 or more.*`decay_params/,
      "NN2020",
      8,
      3,
    ],
    [
      "decay_params naming no param",
      fit("sgd(lr: 0.1, weight_decay: 0.01, decay_params: [p.W, q])"),
      /`q` is not a param or a layer; the params are `p.W`, `p.b`/,
      "NN2001",
      7,
      68,
    ],
    [
      "decay_params that is not a list of names",
      fit("sgd(lr: 0.1, weight_decay: 0.01, decay_params: 3)"),
      /`decay_params` is a list of params or layers by name/,
      "NN2004",
      7,
      48,
    ],
    [
      "decay_params without weight decay",
      fit("adam(lr: 0.1, decay_params: [p])"),
      /`decay_params` names the params that `weight_decay` decays/,
      "NN3005",
      7,
      29,
    ],
    [
      "an unknown schedule",
      fit("sgd(lr: 0.1, schedule: linaer(to: 0.1))"),
      /`schedule` must be one of `constant`, `linear`, `cosine`, `step`, `exponential` \(did you mean `linear`\?\)/,
      "NN2004",
      7,
      38,
    ],
    [
      "linear without its end",
      fit("sgd(lr: 0.1, schedule: linear)"),
      /`linear` needs the argument `to`/,
      "NN2004",
      7,
      38,
    ],
    [
      "a step schedule's fraction of a step",
      fit("sgd(lr: 0.1, schedule: step(every: 0.5, factor: 0.5))"),
      /`every` must be a positive whole number of steps, got 0.5 \(in `step`\)/,
      "NN3005",
      7,
      38,
    ],
    [
      "an exponential schedule that grows",
      fit("sgd(lr: 0.1, schedule: exponential(1.5))"),
      /`rate` multiplies the learning rate: it must be in \(0, 1\]/,
      "NN3005",
      7,
      38,
    ],
    [
      "a schedule's unknown argument",
      fit("sgd(lr: 0.1, schedule: cosine(too: 0.1))"),
      /`cosine` has no argument `too` \(did you mean `to`\?\)/,
      "NN2004",
      7,
      45,
    ],
    [
      "an unknown metric",
      scored("acuracy(p, y)"),
      /unknown metric `acuracy` \(did you mean `accuracy`\?\)/,
      "NN2003",
      7,
      12,
    ],
    [
      "a metric twice",
      scored("accuracy(p, y)\n  metric = accuracy(p, y)"),
      /already has a `metric`/,
      "NN2002",
      8,
      3,
    ],
    [
      "a metric whose y is no target",
      scored("accuracy(p, x)"),
      /`y` of `accuracy` must be a target of the model/,
      "NN2004",
      7,
      24,
    ],
    [
      "a metric's prediction from the target",
      scored("accuracy(p + y, y)"),
      /the prediction of `accuracy` depends on the target `y`/,
      "NN4002",
      7,
      12,
    ],
    [
      "a metric's shapes",
      scored("accuracy(sum(p, axis: 1), y)"),
      /`accuracy` compares one prediction per example with its target: p is \[batch\], y is \[batch, 2\]/,
      "NN3020",
      7,
      12,
    ],
    [
      "a threshold for several outputs",
      scored("accuracy(p, y, threshold: 0)"),
      /`threshold` splits one output per example into two classes/,
      "NN2004",
      7,
      12,
    ],
    [
      "a metric in a block",
      model("  h = x |> f\n  output h", "block f(x) {\n  metric = accuracy(x, x)\n  return x\n}\n"),
      /`metric` belongs in a model, not in the block `f`/,
      "NN2006",
      2,
      3,
    ],
  ];
}

describe("errors", () => {
  it.each(rows)("%s", (_scenario, source, message, code, line, col) => {
    const e = errors(source);
    expect(e.diagnostics[0]).toMatchObject({ file, code, line, col });
    if (/^syntax|misspelled/.test(_scenario)) expect(e.diagnostics).toHaveLength(1);
    expect(e.diagnostics[0]!.message).toMatch(message);
    expect(e.message).toContain(`${file}:${line}:${col}: error ${code}:`);
  });

  it("reports every number literal too large for a double", () => {
    const e = errors(model("  param w: scalar = 1e400\n  q = x * w ^ 2e999\n  output q"));
    expect(e.diagnostics.map((d) => [d.code, d.line, d.col])).toEqual([
      ["NN3005", 4, 21],
      ["NN3005", 5, 15],
    ]);
  });

  it("reports an unknown model with the names the file defines", () => {
    const e = errors("model a {\n input x: scalar\n output x\n}\n", { model: "b" });
    expect(e.diagnostics).toMatchObject([
      { code: "NN2007", message: expect.stringMatching(/`b`.*defines `a`/) },
    ]);
  });

  it("reports every error of a file, once each, without cascades", () => {
    const source = model(
      "  h = sigmod(x)\n  g = h + q\n  k = x + y\n  m = g + k\n  output m\n  loss = m",
    );
    const found = errors(source).diagnostics.map((d) => [d.code, d.line, d.col]);
    expect(found).toEqual([
      ["NN2003", 4, 7],
      ["NN2001", 5, 11],
      ["NN3001", 6, 9],
    ]);
  });

  it("reports too many arguments once, at the first one too many", () => {
    const e = errors(model("  h = leaky_relu(x, 0.1, 0.2, 0.3)\n  output h"));
    expect(e.diagnostics.map((d) => [d.code, d.line, d.col, d.message])).toEqual([
      ["NN2004", 4, 26, "`leaky_relu(x, alpha)` takes 2 arguments, got 4"],
    ]);
  });

  it("lets no other exception escape, whatever the text", () => {
    const alphabet =
      "model block input target param output loss optimizer metric return x y h = + - * / @ ^ |> ( ) [ ] { } , : ; \n # . 1 2e3 dense sigmoid batchnorm dim scalar".split(
        " ",
      );
    const token = fc.constantFrom(...alphabet, " ", "\n");
    const text = fc.oneof(
      fc.string(),
      fc.array(token, { maxLength: 60 }).map((t) => t.join(" ")),
    );
    const prefixed = text.map((t) => `model m {\n input x: [batch, 3]\n${t}\n}`);
    fc.assert(
      fc.property(fc.oneof(text, prefixed), (source) => {
        try {
          lower(source, { file });
        } catch (e) {
          if (!(e instanceof NnError)) throw e;
          expect(e.diagnostics.every((d) => d.code !== "NN9000")).toBe(true);
        }
      }),
      { numRuns: 400 },
    );
  });

  it("survives deeply nested expressions", () => {
    const deep = model(`  h = ${"(".repeat(5000)}x${")".repeat(5000)}\n  output h`);
    const long = model(`  h = x${" + x".repeat(3000)}\n  output h`);
    for (const source of [deep, long]) {
      try {
        lower(source, { file });
      } catch (e) {
        expect(e).toBeInstanceOf(NnError);
      }
    }
  });
});

describe("continued lines", () => {
  const scalars = (body: string) =>
    `model m {\n  input a: scalar\n  input b: scalar\n  input v: [3]\n  param W: [3, 2]\n${body}\n}\n`;
  const rows: [scenario: string, broken: string, oneLine: string][] = [
    ["after `+`", "  h = a +\n    b\n  output h", "  h = a + b\n  output h"],
    ["after `-`", "  h = a -\n    b\n  output h", "  h = a - b\n  output h"],
    ["after `*`", "  h = a *\n    b\n  output h", "  h = a * b\n  output h"],
    ["after `/`", "  h = a /\n    b\n  output h", "  h = a / b\n  output h"],
    ["after `^`", "  h = a ^\n    b\n  output h", "  h = a ^ b\n  output h"],
    ["after `@`", "  h = v @\n    W\n  output h", "  h = v @ W\n  output h"],
    ["after `|>`", "  h = a |>\n    exp\n  output h", "  h = exp(a)\n  output h"],
    ["after a comma", "  h = a\n  g = b\n  output h,\n    g", "  h = a\n  g = b\n  output h, g"],
    ["over a comment", "  h = a + # the bias\n    b\n  output h", "  h = a + b\n  output h"],
    ["over blank lines", "  h = a *\n\n  # later\n\n    b\n  output h", "  h = a * b\n  output h"],
    ["before `|>`", "  h = a\n    |> exp\n  output h", "  h = exp(a)\n  output h"],
  ];
  it.each(rows)("a statement continues %s", (_scenario, broken, oneLine) => {
    const outputs = (src: string) => lower(scalars(src), { file }).infer.outputs.map((o) => o.node);
    expect(outputs(broken)).toEqual(outputs(oneLine));
    // hash-consing: the same graph is the same nodes
    outputs(broken).forEach((n, i) => expect(n).toBe(outputs(oneLine)[i]));
  });

  it("keeps a line that ends in a name as a statement of its own", () => {
    const ir = lower(scalars("  h = a\n  g = -b\n  output h, g"), { file });
    expect(ir.infer.outputs.map((o) => o.node.op)).toEqual(["input", "neg"]);
  });
});

describe("several syntax errors", () => {
  it("reports each statement's first error, and each broken header, with its caret", () => {
    const source = [
      "model m {",
      "  input x [2]",
      "  h = x y z",
      "  g = (x +",
      "  output h",
      "}",
      "modle n {",
      "  k = 1 +* 2",
      "}",
    ].join("\n");
    const e = errors(source);
    expect(e.diagnostics.map((d) => [d.code, d.line, d.col])).toEqual([
      ["NN1001", 2, 11],
      ["NN1001", 3, 9],
      ["NN1001", 5, 10], // `(x + output h`: the bracket continues the line
      ["NN1001", 7, 1],
      ["NN1001", 8, 10],
    ]);
    expect(e.message).toContain("3 |   h = x y z\n            ^");
    expect(e.message).toContain("8 |   k = 1 +* 2\n             ^");
  });

  it("stops after 20 errors and says that more follow", () => {
    const broken = Array.from({ length: 30 }, (_, i) => `  h${i} = x x`).join("\n");
    const e = errors(model(broken));
    expect(e.diagnostics).toHaveLength(21);
    expect(e.diagnostics.slice(0, 20).every((d) => d.code === "NN1001")).toBe(true);
    expect(e.diagnostics.map((d) => d.line)).toEqual(Array.from({ length: 21 }, (_, i) => i + 4));
    expect(e.diagnostics[20]!.message).toMatch(
      /more syntax errors follow; nnc reports the first 20/,
    );
  });

  it("accepts exactly the files the grammar's whole-file rule `Program` accepts", () => {
    const alphabet =
      "model block input target param output loss optimizer return x y h = + - * / @ ^ |> ( ) [ ] { } , : ; \n # . 1 2e3 dense scalar".split(
        " ",
      );
    const token = fc.constantFrom(...alphabet, " ", "\n", "model m {", "}", "h = x +\n");
    const text = fc.array(token, { maxLength: 40 }).map((t) => t.join(" "));
    fc.assert(
      fc.property(text, (source) => {
        const whole = grammar.match(prepareSource(source), "Program").succeeded();
        let cut = true;
        try {
          parseProgram(source, file);
        } catch (e) {
          if (!(e instanceof NnError)) throw e;
          cut = !e.diagnostics.some((d) => d.code === "NN1001" || d.code === "NN1002");
        }
        expect(cut).toBe(whole);
      }),
      { numRuns: 600 },
    );
  });
});

describe("the two modes", () => {
  const body = (layer: string) =>
    `model m {\n  input x: [batch, 4]\n  target y: [batch, 4]\n  h = x |> dense(4)${layer}\n` +
    "  a = tanh(h) * 0.5 + x\n  b = tanh(a) * 0.5 + x\n  output b\n  loss = mean(mse(b, y))\n}\n";
  const graphOf = (g: ModelIR["train"]) => toposort([...g.outputs.map((o) => o.node), g.loss!]);

  it("are one graph, lowered once, where no layer differs by mode", () => {
    const ir = lower(body(""), { file: "m.nn" });
    const built = nodesBuilt();
    expect(graphOf(ir.infer)).toEqual(graphOf(ir.train));
    // every node was built once, a few found again (the same constant), none a second time over
    expect(built).toBeLessThan(1.5 * graphOf(ir.train).length);
  });

  // dropout's mask is training's only; batchnorm reads its running statistics (state) in inference
  it.each([
    ["dropout", " |> dropout(0.5)", "dropout_mask", "train"],
    ["batchnorm", " |> batchnorm", "state", "infer"],
  ] as const)("differ where %s does", (_layer, layer, op, where) => {
    const ir = lower(body(layer), { file: "m.nn" });
    const has = (g: ModelIR["train"]) => graphOf(g).some((n) => n.op === op);
    expect([has(ir.train), has(ir.infer)]).toEqual([where === "train", where === "infer"]);
    expect(ir.infer.outputs[0]!.node).not.toBe(ir.train.outputs[0]!.node);
  });
});
