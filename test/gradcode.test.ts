// The gradient code as a reader sees it (`nnc grad`): the backward pass only, each statement under
// the `.nn` line of the forward operation it differentiates, with its math; the derivation
// (`nnc grad --math`) checked against golden files reviewed by hand; names from the source.
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { compile, type Compiled } from "../src/index.ts";
import { formatDerivation } from "../src/codegen/index.ts";
import { walkthrough } from "../scripts/walkthrough.ts";
import { gptBackward } from "../scripts/gpt-backward.ts";

const compiled = (m: string, extra = {}): Compiled => {
  const file = `models/${m}.nn`;
  return compile(readFileSync(file, "utf8"), { file, ...extra });
};

/** The source line under which the value `name` (as the source writes it) is computed. */
function lineOf(code: string, name: string): number | undefined {
  let line: number | undefined;
  const esc = name.replace(/\./g, "\\.");
  const computes = new RegExp(`^\\s*(const ${esc} =|// {3}${esc} =)`);
  for (const l of code.split("\n")) {
    const m = /\/\/ line (\d+):/.exec(l);
    if (m) line = Number(m[1]);
    if (computes.test(l)) return line;
  }
  return undefined;
}

describe("nnc grad --math", () => {
  for (const m of ["neuron", "xor", "softmax", "mnist"]) {
    it(`${m}: the derivation is the golden one`, () => {
      const text = formatDerivation(compiled(m).derivation).join("\n") + "\n";
      const golden = `test/golden/${m}.math`;
      if (process.env["UPDATE_GOLDEN"]) writeFileSync(golden, text);
      expect(text).toBe(readFileSync(golden, "utf8"));
    });
  }

  it("mnist's derivation runs from d_loss = 1 to the first layer's weights in 15-25 lines", () => {
    const rows = compiled("mnist").derivation;
    expect(rows[0]!.math).toBe("d_loss = 1");
    expect(rows.map((r) => r.math)).toContain("d_h.dense.W = transpose(x_dropped) @ d_h_pre");
    expect(rows.length).toBeGreaterThanOrEqual(10);
    expect(rows.length).toBeLessThanOrEqual(25);
  });
});

describe("nnc grad: comments at the right line", () => {
  it("neuron: d_w0 comes from line 8, where w0 * x0 is written, not from param w0's line", () => {
    const code = compiled("neuron").gradCode({});
    expect(lineOf(code, "d_w0")).toBe(8);
    expect(lineOf(code, "d_w2")).toBe(8);
    expect(code).toMatch(/the sigmoid gate: its local gradient s \* \(1 - s\)/);
  });

  it("mnist: each gradient under the line of the layer it differentiates", () => {
    const code = compiled("mnist").gradCode({});
    expect(lineOf(code, "d_z")).toBe(10); // loss = mean(cross_entropy(p, y))
    expect(lineOf(code, "d_z.W")).toBe(7); // z = h |> dense(10)
    expect(lineOf(code, "d_h")).toBe(7);
    expect(lineOf(code, "d_h_pre")).toBe(6); // h = x |> ... |> batchnorm |> ...
    expect(lineOf(code, "d_h.dense.W")).toBe(6);
    expect(code).toMatch(
      /\/\/ {3}d_z\.W = transpose\(h\) @ d_z\n\s*\$matmul_tn_128xbatchx10\(h, d_z, d_z_W, n_batch\);/,
    );
    expect(code).toMatch(/softmax \+ cross_entropy fused/);
    expect(code).toMatch(/batchnorm fused: d_x = gamma \* invstd \/ N/);
  });
});

describe("nnc grad: the backward pass, apart from the kernels", () => {
  it("mnist's gradient code is short: the forward pass and the kernels only on request", () => {
    const c = compiled("mnist");
    const backward = c.gradCode({});
    expect(backward.split("\n").length).toBeLessThanOrEqual(200);
    expect(backward).toMatch(/the forward pass: \d+ statements \(--forward shows them\)/);
    expect(backward).not.toMatch(/for \(/);
    const forward = c.gradCode({ forward: true });
    expect(forward).toMatch(
      // the bias is added as the product is stored
      /\$matmul_nn_bias_batchx784x128\(x_dropped, h_dense_W, h_dense_b, h_pre, n_batch\);/,
    );
    const kernels = c.gradCode({ kernels: true });
    expect(kernels).toMatch(/^function \$matmul_tn_784xbatchx128\(a, b, c, n_batch\) \{$/m);
  });

  it("names every value after the source: no op-and-number names in any model", () => {
    const models = readdirSync("models").filter((f) => f.endsWith(".nn"));
    for (const f of models) {
      const c = compiled(f.replace(/\.nn$/, ""), { fuse: true });
      const all = c.gradCode({ forward: true, kernels: true }) + c.js;
      expect(
        all.match(/\b(add|sub|mul|div|neg|exp|log|matmul|mean|sum|max|batchnorm)\d+\b/g),
        f,
      ).toBeNull();
    }
  });

  it("--plain writes plain loops that give the same bits as the blocked kernels", () => {
    const feed = {
      x: Float64Array.from({ length: 4 * 784 }, (_, i) => Math.sin(i) * 0.5 + 0.5),
      y: Float64Array.from({ length: 40 }, (_, i) => (i % 11 === 0 ? 1 : 0)),
    };
    const grads = (plain: boolean) => {
      const c = compiled("mnist", { dtype: "f64", plain });
      const m = c.load().createModel({ seed: 4 });
      m.reseed(7);
      const g = m.grad(feed);
      return {
        loss: g.loss,
        grads: Object.fromEntries(Object.entries(g.grads).map(([k, v]) => [k, Array.from(v)])),
        js: c.js,
      };
    };
    const blocked = grads(false);
    const plain = grads(true);
    expect(plain.js).toMatch(/plain loops/);
    expect(blocked.js).not.toMatch(/plain loops/);
    expect(plain.loss).toBe(blocked.loss);
    expect(plain.grads).toEqual(blocked.grads);
  });
});

describe("docs/BACKPROP.md", () => {
  it("is what `npm run walkthrough` writes from the compiler's output today", async () => {
    expect(readFileSync("docs/BACKPROP.md", "utf8")).toBe(await walkthrough());
  });
});

describe("docs/GPT-BACKWARD.md", () => {
  it("is what `npm run walkthrough` writes from the compiler's output today", async () => {
    expect(readFileSync("docs/GPT-BACKWARD.md", "utf8")).toBe(await gptBackward());
  });
});
