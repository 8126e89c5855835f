// The command line: each command's output and exit code, and errors without stack traces.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { captureStdio } from "./capture.ts";
import { main } from "../src/cli/main.ts";

const io = captureStdio();

const dir = mkdtempSync(join(tmpdir(), "nnc-cli-"));
function source(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

describe("nnc trace", () => {
  it("prints the backprop diagram of the neuron and the params after one step", async () => {
    // by default, every gate of the diagram as written, the 1/x gate included
    expect(await main(["trace", "models/neuron.nn", "--at", "x0=-1,x1=-2"])).toBe(0);
    const row = (name: string) =>
      io.out.split("\n").find((l) => new RegExp(`^%\\d+ ${name} `).test(l))!;
    expect(row("f")).toMatch(/0\.7311\s+1\.0000$/);
    expect(row("w0")).toMatch(/2\.0000\s+-0\.1966$/);
    expect(row("x0")).toMatch(/-1\.0000\s+0\.3932$/);
    expect(row("w1")).toMatch(/-0\.3932$/);
    expect(row("x1")).toMatch(/-0\.5898$/);
    expect(row("w2")).toMatch(/0\.1966$/);
    // the 1/x gate's input, 1 + exp(...), is 1.37 with gradient -0.53
    expect(io.out).toMatch(/add\(1, %\d+\)\s+1\.3679\s+-0\.5344/);
    expect(io.out).toMatch(/w0 = 2\.0197/);
  });

  it("shows the sigmoid gate as one node with --fuse", async () => {
    expect(await main(["trace", "models/neuron.nn", "--at", "x0=-1,x1=-2", "--fuse"])).toBe(0);
    expect(io.out).toMatch(/%\d+ f\s+sigmoid\(%\d+\)\s+0\.7311\s+1\.0000/);
    expect(io.out).toMatch(/add\(%\d+, w2\)\s+1\.0000\s+0\.1966/);
    expect(io.out).not.toMatch(/exp\(/);
  });

  it("shows a tensor too large to print by its shape, smallest, mean and largest value", async () => {
    const conv = source(
      "conv.nn",
      "model m {\n  input x: [batch, 1, 4, 4]\n  param W: [2, 1, 3, 3] = 0.5\n" +
        "  y = conv2d(x, W, padding: 1)\n  loss = sum(y)\n}\n",
    );
    expect(await main(["trace", conv, "--at", "x=2"])).toBe(0);
    const row = io.out.split("\n").find((l) => /^%\d+ y +conv2d\(x, W\)/.test(l))!;
    // each output sums the 3x3 window of 2s (4 at a corner, 6 on an edge, 9 inside) times 0.5
    const [corner, edge, inside] = [4 * 2 * 0.5, 6 * 2 * 0.5, 9 * 2 * 0.5];
    const mean = (4 * corner + 8 * edge + 4 * inside) / 16;
    expect(row).toContain("[1, 2, 4, 4]");
    expect(row).toContain(
      `min ${corner.toFixed(4)} mean ${mean.toFixed(4)} max ${inside.toFixed(4)}`,
    );
    // the kernel's gradient: each tap sums x (2) over the outputs it reaches inside the image,
    // 16 for the centre tap, 12 for an edge tap, 9 for a corner tap
    expect(io.out).toMatch(
      /W\s+param \[2, 1, 3, 3\]\s+\[2, 1, 3, 3\]\s+min 0\.5000 mean 0\.5000 max 0\.5000\s+min 18\.0000 mean 22\.2222 max 32\.0000/,
    );
  });

  it("asks for a missing input", async () => {
    expect(await main(["trace", "models/neuron.nn", "--at", "x0=-1"])).toBe(1);
    expect(io.err).toMatch(/--at x1=NUMBER/);
  });
});

describe("nnc compile", () => {
  it("writes the module and its .d.ts, which load and run", async () => {
    const out = join(dir, "xor.js");
    expect(await main(["compile", "models/xor.nn", "-o", out])).toBe(0);
    const js = readFileSync(out, "utf8");
    expect(js).not.toMatch(/^import /m);
    expect(readFileSync(join(dir, "xor.d.ts"), "utf8")).toMatch(/"h\.W"/);
    const mod = await import(out);
    const m = mod.createModel({ seed: 1 });
    expect(m.forward({ x: [0, 1, 1, 0] }).p).toHaveLength(2);
  });

  it("bakes --bind sizes into the code and honors --dtype", async () => {
    const out = join(dir, "xor64.js");
    expect(
      await main(["compile", "models/xor.nn", "-o", out, "--bind", "batch=4", "--dtype", "f64"]),
    ).toBe(0);
    const js = readFileSync(out, "utf8");
    expect(js).toMatch(/Float64Array/);
    expect(js).not.toMatch(/Float32Array/);
    expect(js).not.toMatch(/n_batch/);
  });

  it("compiles to the wasm target, and writes its WebAssembly text with --emit wat", async () => {
    const out = join(dir, "mnist-wasm.js");
    expect(await main(["compile", "models/mnist.nn", "--target", "wasm", "-o", out])).toBe(0);
    expect(io.out).toMatch(/WebAssembly SIMD kernels/);
    const m = (await import(out)).createModel({ seed: 1 });
    expect(m.forward({ x: new Float32Array(2 * 784) }).p).toHaveLength(20);
    const wat = join(dir, "mnist.wat");
    expect(await main(["compile", "models/mnist.nn", "--emit", "wat", "-o", wat])).toBe(0);
    expect(readFileSync(wat, "utf8")).toMatch(/^\(module[\s\S]*f32x4\.mul/);
    expect(io.out).toMatch(/wrote .*mnist\.wat \(model mnist, WebAssembly text\)/);
    expect(await main(["compile", "models/xor.nn", "--emit", "asm", "-o", wat])).toBe(1);
    expect(io.err).toMatch(/--emit must be js or wat, got asm/);
  });

  it("needs -o", async () => {
    expect(await main(["compile", "models/xor.nn"])).toBe(1);
    expect(io.err).toMatch(/missing -o/);
  });

  it("an output it cannot write is the user's error: exit 1, no stack trace", async () => {
    expect(await main(["compile", "models/xor.nn", "-o", dir])).toBe(1);
    expect(io.err).toMatch(
      /error NN5002: not a regular file but a directory; nnc writes the module/,
    );
    expect(io.err).not.toMatch(/internal error|\n\s+at /);
  });
});

describe("nnc grad and nnc trace on models/lenet.nn", () => {
  it("--math reads as the derivation, in at most 45 lines", async () => {
    expect(await main(["grad", "--math", "models/lenet.nn"])).toBe(0);
    const lines = io.out.trimEnd().split("\n");
    expect(lines.length).toBeLessThanOrEqual(45);
    const math = lines.map((l) => l.replace(/\s+#.*$/, ""));
    // the convolution's two gradients, each its own op
    expect(math).toContain("d_c2.W = conv2d_weight(c1, d_c2_pre)");
    expect(math).toContain("d_c1 = conv_transpose2d(d_c2_pre, c2.W)");
    expect(math).toContain("d_c1.W = conv2d_weight(img, d_c1_pre, padding: 2)");
    expect(math).toContain("d_c2.b = sum(d_c2_pre, axis: [0, 2, 3])");
    // max pool's gradient, and where it goes
    expect(math).toContain("d_c2_relu = max_pool2d_backward(d_c2, c2_relu, kernel: 2)");
    expect(io.out).toMatch(/# max pool's gradient goes to the maximum of each window \(the first/);
    // the dense layer reads the pooled images as rows
    expect(math).toContain("d_h.dense0.W = transpose(flatten(c2)) @ d_h_pre_2");
  });

  it("--plain writes each convolution as the textbook seven nested loops", async () => {
    expect(await main(["grad", "--plain", "--kernels", "--forward", "models/lenet.nn"])).toBe(0);
    const kernels = io.out.split(/\n(?=function )/).filter((k) => /^function \$conv2d/.test(k));
    // forward (twice), the weight gradient (twice) and the input gradient (once)
    expect(kernels).toHaveLength(5);
    for (const k of kernels) {
      let depth = 0;
      let deepest = 0;
      for (const line of k.split("\n")) {
        if (/^\s*for \(let \w+ = 0; \w+ < [\w.]+; \w+\+\+\) \{$/.test(line)) depth++;
        else if (/^\s*\}$/.test(line) && depth > 0) depth--;
        deepest = Math.max(deepest, depth);
      }
      expect(deepest, k.split("\n")[0]).toBe(7);
    }
  });

  it("trace shows each tensor's shape and its smallest, mean and largest value", async () => {
    const at = ["--at", "x=0.5,y=0.1", "--bind", "batch=2"];
    expect(await main(["trace", "models/lenet.nn", ...at])).toBe(0);
    const row = (name: string) =>
      io.out.split("\n").find((l) => new RegExp(`^%\\d+ ${name.replace(".", "\\.")} `).test(l))!;
    const summary = /min -?[\d.e-]+ mean -?[\d.e-]+ max -?[\d.e-]+/;
    expect(row("c1")).toMatch(/max_pool2d\(%\d+\)\s+\[2, 6, 14, 14\]/);
    expect(row("c2")).toContain("[2, 16, 5, 5]");
    for (const name of ["c1", "c2", "c1.W"]) expect(row(name)).toMatch(summary);
    // the input is 0.5 everywhere
    expect(row("x")).toContain("min 0.5000 mean 0.5000 max 0.5000");
  });
});

describe("nnc grad, graph, stats, check", () => {
  it("grad prints the gradient function with source comments", async () => {
    expect(await main(["grad", "models/neuron.nn"])).toBe(0);
    expect(io.out).toMatch(/function \$grad\(\$feed\)/);
    expect(io.out).toMatch(/\/\/ line \d+: f = 1 \/ \(1 \+ exp/);
    expect(io.out).not.toMatch(/for \(/); // a scalar model is straight-line code
  });

  it("grad --wrt adds input gradients", async () => {
    expect(await main(["grad", "models/neuron.nn", "--wrt", "x0"])).toBe(0);
    expect(io.out).toMatch(/d_x0/);
  });

  it("graph prints forward and backward IR, as text and as dot", async () => {
    expect(await main(["graph", "models/xor.nn", "--backward"])).toBe(0);
    expect(io.out).toMatch(/xor: forward \(inference\)/);
    expect(io.out).toMatch(/xor: backward/);
    expect(io.out).toMatch(/matmul\(%\d+, %\d+\)/);
    io.out = "";
    expect(await main(["graph", "models/xor.nn", "--format", "dot"])).toBe(0);
    expect(io.out).toMatch(/^digraph /);
  });

  it("stats prints JSON with node counts", async () => {
    expect(await main(["stats", "models/xor.nn"])).toBe(0);
    const stats = JSON.parse(io.out);
    expect(stats.forward.ops.matmul).toBe(2);
    expect(stats.backward.nodes).toBeGreaterThan(0);
  });

  it("check passes on every model, and fails on a wrong gradient rule", async () => {
    for (const model of ["neuron", "xor", "softmax", "perceptron"]) {
      expect(await main(["check", `models/${model}.nn`])).toBe(0);
    }
    expect(io.out).toMatch(/all gradients match/);
    expect(io.out).toMatch(/skip {2}w: its gradient passes straight through `step`/);
  });

  it("check says why there is nothing to check, and checks inputs with --wrt", async () => {
    const file = source(
      "noparams.nn",
      "model m {\n  input x: [batch, 2]\n  y = x * x\n  output y\n  loss = sum(y)\n}\n",
    );
    expect(await main(["check", file])).toBe(0);
    expect(io.out).toMatch(/model m has no params, and --wrt names no inputs: nothing to check/);
    expect(await main(["check", file, "--wrt", "all"])).toBe(0);
    expect(io.out).toMatch(/ok {4}x: 6 elements/);
  });
});

describe("errors", () => {
  it("a source error prints FILE:LINE:COL, the code, the line and a caret; exit 1", async () => {
    const file = source("bad.nn", "model m {\n  input x: [2]\n  h = sigmod(x)\n  output h\n}\n");
    expect(await main(["compile", file, "-o", join(dir, "bad.js")])).toBe(1);
    expect(io.err).toContain(`${file}:3:7: error NN2003:`);
    expect(io.err).toMatch(/did you mean `sigmoid`/);
    expect(io.err).toMatch(/\n3 \| {3}h = sigmod\(x\)\n {10}\^/);
    expect(io.err).not.toMatch(/\bat .*\.ts:\d+/); // no stack trace
  });

  it("a missing file, an unknown command and a bad flag are usage errors", async () => {
    expect(await main(["grad", join(dir, "nope.nn")])).toBe(1);
    expect(io.err).toMatch(/no such file/);
    expect(await main(["frobnicate"])).toBe(1);
    expect(await main(["trian", "models/xor.nn"])).toBe(1);
    expect(io.err).toMatch(/unknown command `trian` \(did you mean `train`\?\)/);
    expect(await main(["grad", "models/xor.nn", "--frob"])).toBe(1);
    expect(await main(["compile", "models/xor.nn", "-o", "x.js", "--dtype", "f16"])).toBe(1);
    expect(await main(["grad", "models/xor.nn", "--wrt", "nope"])).toBe(1);
    expect(io.err).toMatch(/--wrt names `nope`/);
  });

  it("every command has --help", async () => {
    for (const c of ["compile", "grad", "graph", "trace", "check", "stats"]) {
      io.out = "";
      expect(await main([c, "--help"])).toBe(0);
      expect(io.out).toMatch(new RegExp(`^usage: nnc ${c}`));
    }
  });
});

describe("bin/nnc.js", () => {
  it("runs as a program with exit code 1 on bad source", () => {
    const file = source("syntax.nn", "model m {\n  h = (1 +\n}\n");
    const r = spawnSync(process.execPath, ["bin/nnc.js", "grad", file], { encoding: "utf8" });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`${file.replace(/[.]/g, "\\.")}:\\d+:\\d+: error NN1001`));
    expect(r.stderr).not.toMatch(/node:internal|at Object\./);
  }, 30_000); // a process of its own: slow to start on a busy machine

  it("stops quietly, with exit code 0, when the reader of its output stops early (| head)", () => {
    // 2,000 rows of predictions: far more than a pipe holds, so nnc writes after head has gone
    const r = spawnSync(
      "bash",
      [
        "-c",
        'node bin/nnc.js init models/mnist.nn --save "$1" >/dev/null && ' +
          'node bin/nnc.js predict models/mnist.nn --load "$1" --data mnist | head -1; ' +
          'echo "exit ${PIPESTATUS[0]}"',
        "_",
        join(dir, "mnist-init.safetensors"),
      ],
      { encoding: "utf8" },
    );
    expect(r.stdout).toBe(`${Array.from({ length: 10 }, (_, i) => `p_${i}`).join(",")}\nexit 0\n`);
    expect(r.stderr).toBe("");
  }, 60_000);
});

describe("nnc --version", () => {
  it.each(["--version", "-v", "version"])("%s prints package.json's version", async (flag) => {
    const { version } = JSON.parse(readFileSync("package.json", "utf8")) as { version: string };
    expect(version).toMatch(/^\d+\.\d+\.\d+/);
    expect(await main([flag])).toBe(0);
    expect(io.out).toBe(`${version}\n`);
  });
});
