// Training: CSV data and every way it can be wrong, weight files byte for byte, determinism, a
// short MNIST run, the non-finite-loss diagnosis, and XOR from many seeds.
import { mkdtempSync, readdirSync, readFileSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compile, NnError } from "../src/index.ts";
import { loadModule } from "../src/codegen/index.ts";
import { parseCsv } from "../src/train/csv.ts";
import { loadWeights, readCsv, saveWeights } from "../src/train/files.ts";
import { fit } from "../src/train/data.ts";
import { loadData } from "../src/train/load.ts";
import { mnist, mnistTable } from "../src/train/mnist.ts";
import { Trainer } from "../src/train/trainer.ts";
import { Evaluator } from "../src/train/evaluate.ts";
import { terminalCurve } from "../src/train/curve.ts";
import { svg } from "../src/train/plot.ts";
import { badCsv, badTargets } from "./bad-data.ts";
import { decodeSafetensors, encodeSafetensors } from "../src/train/safetensors.ts";

const dir = mkdtempSync(join(tmpdir(), "nnc-train-"));
const file = (name: string, text: string | Uint8Array) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const model = (path: string) => compile(readFileSync(path, "utf8"), { file: path });
const xor = model("models/xor.nn");
const softmax = model("models/softmax.nn");
const mnistModel = model("models/mnist.nn");

/** The diagnostic an NnError carries, or a failure if `fn` does not throw one. */
function diagnostic(fn: () => unknown) {
  try {
    fn();
  } catch (e) {
    if (e instanceof NnError) return { ...e.diagnostics[0]!, text: e.message };
    throw e;
  }
  throw new Error("expected an NnError");
}

describe("CSV data", () => {
  it("reads a header and rows of numbers, skipping blank lines and a BOM", () => {
    const t = parseCsv("\uFEFFx1, x2 ,y\r\n0,1,1\n\n1, 1e-1, -0.5\n", "a.csv");
    expect(t.header).toEqual(["x1", "x2", "y"]);
    expect([t.rows, t.columns]).toEqual([2, 3]);
    expect(Array.from(t.values)).toEqual([0, 1, 1, 1, 0.1, -0.5]);
    expect(Array.from(t.lines)).toEqual([2, 4]);
  });

  it("fills inputs then targets by width, and a one-hot target from a class column", () => {
    const full = fit(parseCsv("a,b,c0,c1,c2\n1,2,0,0,1\n3,4,1,0,0\n", "f.csv"), softmax.model);
    const compact = fit(parseCsv("a,b,class\n1,2,2\n3,4,0\n", "c.csv"), softmax.model);
    for (const d of [full, compact]) {
      expect(d.fields.map((f) => [f.name, f.width])).toEqual([
        ["x", 2],
        ["y", 3],
      ]);
      expect(Array.from(d.fields[0]!.data)).toEqual([1, 2, 3, 4]);
      expect(Array.from(d.fields[1]!.data)).toEqual([0, 0, 1, 1, 0, 0]);
    }
  });

  it.each(badCsv)("rejects %s with file, line and column", (_, text, message, code, line, col) => {
    const d = diagnostic(() => parseCsv(text, "bad.csv"));
    expect(d.message).toMatch(message);
    expect([d.file, d.code, d.line, d.col]).toEqual(["bad.csv", code, line, col]);
    expect(d.text).toMatch(new RegExp(`^bad\\.csv:${line}:${col}: error ${code}: `));
  });

  it("rejects a missing file, a directory and a device", () => {
    expect(diagnostic(() => readCsv(join(dir, "nope.csv"))).text).toMatch(
      /nope\.csv:1:1: error NN6001: no such file/,
    );
    expect(diagnostic(() => readCsv(dir))).toMatchObject({
      code: "NN5002",
      message: expect.stringMatching(/not a regular file but a directory/),
    });
    expect(diagnostic(() => readCsv("/dev/zero"))).toMatchObject({
      code: "NN5002",
      message: expect.stringMatching(/not a regular file but a character device/),
    });
  });

  it("rejects a file whose columns do not fit the model, saying what it takes", () => {
    const d = diagnostic(() => fit(parseCsv("a,b\n1,2\n", "w.csv"), xor.model));
    expect(d.code).toBe("NN6003");
    expect(d.message).toMatch(
      /takes 3 columns: x \(2 columns\), then y \(1 column\); the data has 2/,
    );
    const s = diagnostic(() => fit(parseCsv("a\n1\n", "s.csv"), softmax.model));
    expect(s.message).toMatch(
      /takes 5 \(or 3\) columns: x \(2 columns\), then y \(3 columns, or 1 class column\)/,
    );
  });

  it("reads lines that end in a lone CR, and quoted numbers", () => {
    const t = parseCsv('"x1","x2",y\r0,"1",1\r\r"-2.5e-1", 1e-1 ,"0"\r', "cr.csv");
    expect(t.header).toEqual(["x1", "x2", "y"]);
    expect(Array.from(t.values)).toEqual([0, 1, 1, -0.25, 0.1, 0]);
    expect(Array.from(t.lines)).toEqual([2, 4]);
  });

  // one rule per target (train/labels.ts, targetRule): a class index (NN6007), or the labels a
  // loss reads (NN6050), each error at the cell's line and column
  const moons = model("models/moons.nn");
  const fixtures = { xor, softmax, moons };
  it.each(badTargets)(
    "rejects %s, at its line and column",
    (_, text, fixture, code, message, line, col) => {
      const d = diagnostic(() => fit(parseCsv(text, "t.csv"), fixtures[fixture].model));
      expect(d).toMatchObject({ code, file: "t.csv", line, col });
      expect(d.message).toMatch(message);
    },
  );

  it("accepts any number as a target that no loss constrains (a regression)", () => {
    const linreg = compile(readFileSync("models/linreg.nn", "utf8"), { file: "models/linreg.nn" });
    const d = fit(parseCsv("a,b,c,y\n1,2,3,-7.5\n", "r.csv"), linreg.model);
    expect(Array.from(d.fields[1]!.data)).toEqual([-7.5]);
  });

  it("rejects a value beyond float32's range for an f32 model, at its line and column", () => {
    const text = "x1,x2,y\n0,1,1\n1, 3.5e38,0\n";
    const d = diagnostic(() => parseCsv(text, "big.csv", { limit: 3.4028234663852886e38 }));
    expect(d).toMatchObject({ code: "NN6008", file: "big.csv", line: 3, col: 4 });
    expect(d.message).toMatch(/column 2 \(x2\) is 3\.5e38, beyond float32's range.*--dtype f64/);
    expect(parseCsv(text, "big.csv").values[4]).toBe(3.5e38);
  });

  it("holds out a fixed fifth of a larger file, and nothing of a tiny one", () => {
    const rows = Array.from({ length: 50 }, (_, i) => `${i},${i % 7},${i % 2}`).join("\n");
    const path = file("fifty.csv", `x1,x2,y\n${rows}\n`);
    const a = loadData(path, xor.model);
    const b = loadData(path, xor.model);
    expect([a.train.n, a.test.n]).toEqual([40, 10]);
    expect(Array.from(a.test.fields[0]!.data)).toEqual(Array.from(b.test.fields[0]!.data));
    const tiny = loadData("data/xor.csv", xor.model);
    expect(tiny.test).toBe(tiny.train);
  });
});

describe("MNIST", () => {
  it("ships 10,000 digits, split into 8,000 and 2,000 the same way every time", () => {
    const all = mnistTable();
    expect([all.rows, all.columns]).toEqual([10000, 785]);
    const a = mnist();
    expect([a.train.rows, a.test.rows]).toEqual([8000, 2000]);
    const b = mnist({ train: 10, test: 10 });
    expect(Array.from(b.train.values)).toEqual(Array.from(a.train.values.subarray(0, 7850)));
    const labels = new Set(Array.from({ length: 2000 }, (_, i) => a.test.values[i * 785 + 784]));
    expect(labels.size).toBe(10);
  });

  it("trains models/mnist.nn on a small part well above chance", () => {
    const c = mnistModel;
    const { train, test } = loadData("mnist", c.model, { mnist: { train: 640, test: 200 } });
    const h = new Trainer(c, train, test, { epochs: 2, batch: 32, seed: 1 }).run();
    const last = h.epochs[2]!;
    expect(last.trainLoss).toBeLessThan(h.steps[0]!);
    expect(last.testAccuracy).toBeGreaterThan(0.75);
  });
});

describe("models/lenet.nn", () => {
  it("trains on the wasm target as on the JS target, and is evaluated where it trains", () => {
    const source = readFileSync("models/lenet.nn", "utf8");
    const on = (target: "js" | "wasm") => {
      const c = compile(source, { file: "models/lenet.nn", target });
      expect(c.target).toBe(target);
      const { train, test } = loadData("mnist", c.model, { mnist: { train: 640, test: 100 } });
      const t = new Trainer(c, train, test, { epochs: 1, batch: 32, seed: 1 });
      return { t, test, h: t.run() };
    };
    const [js, wasm] = [on("js"), on("wasm")];
    // twenty steps of Adam in f32 on two targets: the same curve to f32's roundings
    const [a, b] = [js.h.epochs[1]!, wasm.h.epochs[1]!];
    expect(Math.abs(a.trainLoss - b.trainLoss) / a.trainLoss).toBeLessThan(1e-3);
    expect(Math.abs(a.testLoss - b.testLoss) / a.testLoss).toBeLessThan(1e-3);
    expect(b.testAccuracy).toBeGreaterThan(0.45);
    // the held-out loss of the wasm model, evaluated by a JS twin, is the one the wasm twin gave
    const twin = new Evaluator(wasm.t.compiled.model, "f32", "js");
    expect(twin.evaluate(wasm.t.model, wasm.test).loss).toBeCloseTo(b.testLoss, 5);
  });
});

describe("determinism", () => {
  const run = (seed: number) => {
    const c = mnistModel;
    const { train, test } = loadData("mnist", c.model, { mnist: { train: 96, test: 16 } });
    const t = new Trainer(c, train, test, { epochs: 2, batch: 32, seed });
    t.run();
    return encodeSafetensors(
      Object.entries({ ...t.model.params, ...t.model.state }).map(([name, data]) => ({
        name,
        shape: [data.length],
        data,
      })),
    );
  };
  it("the same seed gives bit-identical weights; another seed does not", () => {
    const a = run(7);
    expect(Buffer.from(run(7)).equals(Buffer.from(a))).toBe(true);
    expect(Buffer.from(run(8)).equals(Buffer.from(a))).toBe(false);
  });
});

describe("safetensors", () => {
  it("writes the format byte for byte: u64 LE header length, padded JSON, LE data", () => {
    const bytes = encodeSafetensors(
      [
        { name: "w", shape: [2], data: Float32Array.of(1, -2) },
        { name: "s", shape: [], data: Float64Array.of(0.5) },
      ],
      { format: "nnc" },
    );
    const json =
      '{"__metadata__":{"format":"nnc"},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},' +
      '"s":{"dtype":"F64","shape":[],"data_offsets":[8,16]}}';
    const padded = json + " ".repeat((8 - (json.length % 8)) % 8);
    const view = new DataView(bytes.buffer);
    expect(Number(view.getBigUint64(0, true))).toBe(padded.length);
    expect(padded.length % 8).toBe(0);
    expect(Buffer.from(bytes.subarray(8, 8 + padded.length)).toString()).toBe(padded);
    const data = Array.from(bytes.subarray(8 + padded.length));
    // 1.0f = 0x3f800000, -2.0f = 0xc0000000, 0.5 = 0x3fe0000000000000, little-endian
    expect(data).toEqual([0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0, 0, 0, 0, 0, 0, 0, 0xe0, 0x3f]);
    const back = decodeSafetensors(bytes, "t.safetensors");
    expect(Array.from(back.get("w")!.data)).toEqual([1, -2]);
    expect(back.get("s")!.shape).toEqual([]);
    expect(back.get("s")!.data).toBeInstanceOf(Float64Array);
  });

  it("round-trips a model's params and state", () => {
    const c = mnistModel;
    const m = c.load().createModel({ seed: 3 });
    m.state["h.batchnorm.running_mean"]!.fill(0.25);
    const path = join(dir, "mnist.safetensors");
    saveWeights(path, c.model, m);
    const w = loadWeights(path, c.model);
    expect([...w.keys()]).toEqual([...c.model.params, ...c.model.state].map((l) => l.name));
    expect(Array.from(w.get("h.dense.W")!)).toEqual(Array.from(m.params["h.dense.W"]!));
    expect(w.get("h.batchnorm.running_mean")![5]).toBe(0.25);
  });

  it("loads saved weights, state included, into a module in one call, on either target", () => {
    const path = join(dir, "mnist-round-trip.safetensors");
    const trained = mnistModel.load().createModel({ seed: 5 });
    const x = Float32Array.from({ length: 2 * 784 }, (_, i) => (i % 7) / 7);
    const y = Float32Array.from({ length: 20 }, (_, i) => (i % 10 === 3 ? 1 : 0));
    for (let k = 0; k < 3; k++) trained.trainStep({ x, y });
    saveWeights(path, mnistModel.model, trained);
    const weights = loadWeights(path, mnistModel.model, "f32");
    for (const target of ["js", "wasm"] as const) {
      const c = compile(readFileSync("models/mnist.nn", "utf8"), { target });
      const m = c.load().createModel({ weights });
      expect(Array.from(m.state["h.batchnorm.running_var"]!)).toEqual(
        Array.from(trained.state["h.batchnorm.running_var"]!),
      );
      // inference reads the running statistics: the same outputs as the trained model's
      const [a, b] = [m.forward({ x }).p, trained.forward({ x }).p] as Float32Array[];
      a!.forEach((v, i) => expect(v).toBeCloseTo(b![i]!, 6));
      // an object works as a Map does
      expect(() => c.load().createModel({ weights: Object.fromEntries(weights) })).not.toThrow();
    }
    const make = (options: object) => () => mnistModel.load().createModel(options);
    const lacking = new Map(weights);
    lacking.delete("h.batchnorm.running_mean");
    expect(make({ weights: lacking })).toThrow(/weights lack "h.batchnorm.running_mean"/);
    const extra = new Map([...weights, ["h.nope", new Float32Array(3)]]);
    expect(make({ weights: extra })).toThrow(
      /unknown weight "h.nope"; the params and state are: h.dense.W/,
    );
    expect(make({ weights, params: {} })).toThrow(/params or its weights, not both/);
    const short = new Map([...weights, ["z.b", new Float32Array(3)]]);
    expect(make({ weights: short })).toThrow(/weight "z.b" should be 10 numbers/);
  });

  it("rejects weights whose names or shapes do not match the model", () => {
    const path = join(dir, "xor.safetensors");
    saveWeights(path, xor.model, xor.load().createModel({ seed: 1 }));
    const d = diagnostic(() => loadWeights(path, softmax.model));
    expect(d.code).toBe("NN6102");
    expect(d.message).toMatch(/the file has no `z.W`, `z.b`; the model has no `h.W`/);
    const bad = encodeSafetensors([
      { name: "h.W", shape: [4, 2], data: new Float32Array(8) },
      { name: "h.b", shape: [4], data: new Float32Array(4) },
      { name: "p.W", shape: [4, 1], data: new Float32Array(4) },
      { name: "p.b", shape: [1], data: new Float32Array(1) },
    ]);
    const s = diagnostic(() => loadWeights(file("shape.safetensors", bad), xor.model));
    expect(s.message).toMatch(/`h.W` is \[4, 2\] in the file, \[2, 4\] in the model/);
  });

  const broken: [string, Uint8Array, RegExp][] = [
    ["too short", Uint8Array.of(1, 2), /too short/],
    ["a header past the end", Uint8Array.of(200, 0, 0, 0, 0, 0, 0, 0, 123), /does not fit/],
    ["a header that is not JSON", withHeader("{oops"), /not JSON/],
    [
      "an unsupported dtype",
      withHeader('{"a":{"dtype":"BF16","shape":[1],"data_offsets":[0,2]}}', 2),
      /nnc reads F32 and F64/,
    ],
    [
      "offsets past the data",
      withHeader('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}', 4),
      /do not hold/,
    ],
    [
      "bytes left over",
      withHeader('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', 8),
      /4 bytes after the last tensor/,
    ],
  ];
  it.each(broken)("rejects a file with %s", (_, bytes, message) => {
    const d = diagnostic(() => decodeSafetensors(bytes, "b.safetensors"));
    expect([d.code, d.file]).toEqual(["NN6101", "b.safetensors"]);
    expect(d.message).toMatch(message);
  });

  it("rejects a missing file", () => {
    expect(diagnostic(() => loadWeights(join(dir, "none.safetensors"), xor.model)).message).toMatch(
      /no such file/,
    );
  });

  const values: [string, number, "f32" | "f64", string | null, RegExp | null][] = [
    ["NaN", NaN, "f64", "NN6103", /`p.W` holds NaN \(element 2 of 4\); weights must be finite/],
    ["infinity", -Infinity, "f64", "NN6103", /`p.W` holds -Infinity/],
    [
      "beyond float32 in an f32 model",
      1e39,
      "f32",
      "NN6104",
      /`p.W` holds 1e\+39 .*float32's range/,
    ],
    ["beyond float32 in an f64 model", 1e39, "f64", null, null],
    ["float32's largest value in an f32 model", 3.4028234663852886e38, "f32", null, null],
  ];
  it.each(values)("a value that is %s", (_, v, dtype, code, message) => {
    const data = (n: number) => new Float64Array(n);
    const pW = Float64Array.of(0.5, 0.5, v, 0.5);
    const bytes = encodeSafetensors([
      { name: "h.W", shape: [2, 4], data: data(8) },
      { name: "h.b", shape: [4], data: data(4) },
      { name: "p.W", shape: [4, 1], data: pW },
      { name: "p.b", shape: [1], data: data(1) },
    ]);
    const path = file(`value-${dtype}.safetensors`, bytes);
    if (code === null) expect(loadWeights(path, xor.model, dtype).get("p.W")![2]).toBe(v);
    else
      expect(diagnostic(() => loadWeights(path, xor.model, dtype))).toMatchObject({
        code,
        file: path,
        message: expect.stringMatching(message!),
      });
  });

  it("refuses a weights file that is not a regular file, or larger than 2 GiB", () => {
    expect(diagnostic(() => loadWeights("/dev/zero", xor.model))).toMatchObject({
      code: "NN5002",
      message: expect.stringMatching(/character device/),
    });
    const big = join(dir, "big.safetensors");
    truncateSync(file("big.safetensors", new Uint8Array(0)), 2 ** 31 + 1);
    expect(diagnostic(() => loadWeights(big, xor.model))).toMatchObject({
      code: "NN5003",
      message: expect.stringMatching(
        /the file has 2,147,483,649 bytes; nnc reads weights files of up to 2 GiB/,
      ),
    });
  });
});

function withHeader(json: string, dataBytes = 0): Uint8Array {
  const h = Buffer.from(json);
  const out = new Uint8Array(8 + h.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  return out;
}

describe("a loss that is not finite", () => {
  it("stops training, naming the step and the first node that is not finite, at its line", () => {
    const src = file(
      "sqrt.nn",
      [
        "model m {",
        "  input  x: [batch, 1]",
        "  target y: [batch, 1]",
        "  param  w: [1, 1] = ones",
        "  p = sqrt(x @ w)",
        "  output p",
        "  loss = mean(mse(p, y))",
        "}",
      ].join("\n"),
    );
    const data = file("neg.csv", "x,y\n1,1\n4,2\n-9,3\n");
    const c = model(src);
    const { train, test } = loadData(data, c.model);
    // one example per step: the step that meets x = -9 takes the square root of -9
    const t = new Trainer(c, train, test, { epochs: 3, batch: 1, seed: 1 });
    const d = diagnostic(() => t.run());
    expect(d.code).toBe("NN7001");
    expect(d.message).toMatch(/^training stopped at step \d+ \(epoch 1\): the loss is NaN/);
    expect(d.message).toMatch(
      /the first value that is not finite is `p` \(op `sqrt`\) in the forward pass/,
    );
    expect([d.file, d.line]).toEqual([src, 5]);
    expect(d.text).toMatch(/5 \|\s+p = sqrt\(x @ w\)/);
  });
});

describe("a step that is finite in the reference interpreter", () => {
  // e = exp(-120 x) underflows to 0 in a float32 buffer, so e / sum(e) is 0 / 0 there; the
  // interpreter and the f64 module compute 0.5 (the loss does not differentiate through e)
  const text =
    "model m {\n  input x: [batch, 1]\n  target y: [batch, 1]\n  param w: [1, 1] = ones\n" +
    "  e = exp(x * -120)\n  p = e / sum(e) + x @ w\n  output p\n  loss = mean(mse(p, y))\n}\n";
  const data = (c: ReturnType<typeof compile>) =>
    fit(parseCsv("x,y\n1,1\n1,1\n", "u.csv"), c.model);

  it("blames float32 only with the evidence: finite in f64, in the interpreter and the module", () => {
    const c = compile(text, { file: "under.nn" });
    const d = diagnostic(() =>
      new Trainer(c, data(c), data(c), { epochs: 1, batch: 2, seed: 1 }).run(),
    );
    expect(d).toMatchObject({ code: "NN7001", file: "under.nn", line: 1, col: 7 });
    expect(d.message).toMatch(
      /the loss is NaN; every value of the step is finite in f64, both in the reference interpreter and in this model compiled with --dtype f64, so float32's range or precision is what fails/,
    );
    const f64 = compile(text, { file: "under.nn", dtype: "f64" });
    expect(() =>
      new Trainer(f64, data(f64), data(f64), { epochs: 1, batch: 2, seed: 1 }).run(),
    ).not.toThrow();
  });

  it("calls generated code that disagrees with the interpreter a compiler bug (NN9000)", () => {
    const c = compile(text, { file: "bad.nn", dtype: "f64" });
    // generated code that computes something else than the graph: a NaN the graph does not have
    const broken = c.js.replace(/Math\.exp\(/g, "NaN * Math.exp(");
    expect(broken).not.toBe(c.js);
    const tampered = {
      ...c,
      load: <M>() => loadModule(broken) as unknown as M,
    };
    const d = diagnostic(() =>
      new Trainer(tampered, data(c), data(c), { epochs: 1, batch: 2, seed: 1 }).run(),
    );
    expect(d.code).toBe("NN9000");
    expect(d.message).toMatch(
      /^internal compiler error: training stopped at step 1 \(epoch 1\): the loss is NaN, but the reference interpreter finds every value of the step finite/,
    );
    expect(d.message).toMatch(/please report it/);
  });
});

describe("an overflow", () => {
  it("is found where it happens, in f64 as in f32", () => {
    const text =
      "model m {\n  input x: [batch, 1]\n  target y: [batch, 1]\n  param w: [1, 1] = ones\n" +
      "  e = exp(x @ w)\n  p = e * 2\n  output p\n  loss = mean(mse(p, y))\n}\n";
    const data = file("big.csv", "x,y\n800,1\n900,1\n");
    for (const dtype of ["f32", "f64"] as const) {
      const c = compile(text, { file: "big.nn", dtype });
      const { train, test } = loadData(data, c.model);
      const d = diagnostic(() =>
        new Trainer(c, train, test, { epochs: 1, batch: 2, seed: 1 }).run(),
      );
      expect(d.message).toMatch(
        /the loss is Infinity; the first value that is not finite is `e` \(op `exp`\)/,
      );
      expect(d.line).toBe(5);
    }
  });
});

describe("models/xor.nn", () => {
  it("gets all four points right from at least 9 of 10 seeds", () => {
    const { train, test } = loadData("data/xor.csv", xor.model);
    let solved = 0;
    for (let seed = 1; seed <= 10; seed++) {
      const h = new Trainer(xor, train, test, { epochs: 500, batch: 4, seed }).run();
      if (h.epochs.at(-1)!.testAccuracy === 1) solved++;
    }
    expect(solved).toBeGreaterThanOrEqual(9);
  });
});

describe("learning-rate schedules", () => {
  const withOptimizer = (line: string) =>
    compile(
      `model m {\n  input x: [batch, 2]\n  target y: [batch, 1]\n  p = x |> dense(1) |> sigmoid\n  output p\n  loss = mean(bce(p, y))\n  optimizer = ${line}\n}\n`,
      { file: "s.nn" },
    );

  it("rejects a schedule that is not one and a decay out of (0, 1]", () => {
    expect(diagnostic(() => withOptimizer("adam(lr: 0.01, schedule: sine)")).message).toMatch(
      /`schedule` must be one of `constant`, `linear`, `cosine`, `step`, `exponential`/,
    );
    expect(diagnostic(() => withOptimizer("sgd(lr: 0.1, decay: 1.5)")).message).toMatch(
      /`decay` of `sgd`/,
    );
  });

  it("the generated module's setLearningRate changes the steps that follow", () => {
    const m = withOptimizer("sgd(lr: 0.5)").load().createModel({ seed: 1 });
    const feed = { x: Float32Array.of(0, 1, 1, 0), y: Float32Array.of(1, 0) };
    m.setLearningRate(0);
    const before = Float32Array.from(m.params["p.W"]!);
    m.trainStep(feed);
    expect(m.params["p.W"]).toEqual(before);
    m.setLearningRate(0.5);
    m.trainStep(feed);
    expect(m.params["p.W"]).not.toEqual(before);
    expect(() => m.setLearningRate(-1)).toThrow(/lr must be a finite non-negative number/);
  });
});

describe("models/experiments", () => {
  const files = readdirSync("models/experiments").filter((f) => f.endsWith(".nn"));
  it.each(files)("every model of %s compiles", (name) => {
    const path = `models/experiments/${name}`;
    const source = readFileSync(path, "utf8");
    const names = [...source.matchAll(/^model (\w+)/gm)].map((m) => m[1]!);
    expect(names.length).toBeGreaterThan(0);
    for (const m of names)
      expect(compile(source, { file: path, model: m }).grads.length).toBeGreaterThan(0);
  });
});

describe("--grad-norms", () => {
  it("measures each layer without changing how the model trains", () => {
    const c = model("models/experiments/deep.nn");
    const { train, test } = loadData("data/spirals.csv", c.model);
    const run = (gradNorms: boolean) => {
      const t = new Trainer(c, train, test, { epochs: 2, batch: 32, seed: 4, gradNorms });
      return { history: t.run(), w: Float32Array.from(t.model.params["h1.W"]!) };
    };
    const a = run(true);
    const b = run(false);
    expect(a.w).toEqual(b.w);
    const norms = a.history.epochs[0]!.gradNorms!;
    expect(norms.map((g) => g.layer)).toEqual(["h1", "h2", "h3", "h4", "h5", "h6", "h7", "out"]);
    // the sigmoid network's gradient shrinks layer by layer on the way back
    expect(norms[0]!.norm).toBeLessThan(norms[6]!.norm / 100);
  });

  it("leaves the dropout masks of the model being trained alone", () => {
    const { train, test } = loadData("mnist", mnistModel.model, { mnist: { train: 64, test: 16 } });
    const run = (gradNorms: boolean) => {
      const t = new Trainer(mnistModel, train, test, { epochs: 2, batch: 32, seed: 4, gradNorms });
      t.run();
      return Float32Array.from(t.model.params["z.W"]!);
    };
    expect(run(true)).toEqual(run(false));
  });
});

describe("charts", () => {
  it("draws a loss curve in the terminal, high values on top", () => {
    const lines = terminalCurve([4, 3, 2, 1], { height: 4, x: "4 steps" }).split("\n");
    expect(lines).toEqual([
      "4.00 ┤•",
      "     ┤ •",
      "     ┤  •",
      "1.00 ┤   •",
      "     └────",
      "      4 steps",
    ]);
  });

  it("writes an SVG document with one path per series and log-scale ticks", () => {
    const doc = svg([
      {
        kind: "line",
        title: "loss",
        x: "epoch",
        y: "loss",
        logY: true,
        series: [
          {
            name: "a",
            points: [
              [1, 1],
              [2, 0.01],
            ],
          },
          {
            name: "b <&>",
            points: [
              [1, 0.5],
              [2, NaN],
              [3, 0.1],
            ],
            dashed: true,
          },
        ],
      },
      {
        kind: "bar",
        title: "norms",
        y: "norm",
        categories: ["h1", "h2"],
        series: [{ name: "n", values: [1e-5, 1] }],
        logY: true,
      },
    ]);
    expect(doc).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="1040"/);
    expect(doc.trimEnd().endsWith("</svg>")).toBe(true);
    expect(doc.match(/<path /g)).toHaveLength(2);
    expect(doc).toContain("b &lt;&amp;&gt;");
    expect(doc).toMatch(/>1e-5</);
    expect(doc.match(/<rect x=/g)).toHaveLength(2);
    expect(doc).not.toMatch(/NaN/);
  });
});
