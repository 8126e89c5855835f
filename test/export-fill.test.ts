// A constant initializer (`param W: [3, 4] = 0.5`) is one fill in the IR (Init kind "fill"), not a
// list of copies: the generated module and the PyTorch export both start such a param at exactly
// that value, zero included, and the ONNX export's initializers hold it.
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compile } from "../src/compile.ts";
import { exportTorch } from "../src/export/torch.ts";
import { seededWeights } from "../src/export/weights.ts";
import { python, tempDir, torchAvailable } from "./export-helpers.ts";

const source = `model fills {
  input x: [batch, 3]
  target y: [batch, 4]
  param W: [3, 4] = 0.5
  param b: [4] = 0
  param s: scalar = -2.25
  p = x @ W + b * s
  output p
  loss = mean(mse(p, y))
}
`;
const expected: Record<string, number[]> = {
  W: Array<number>(12).fill(0.5),
  b: Array<number>(4).fill(0),
  s: [-2.25],
};

describe("a constant initializer", () => {
  const compiled = compile(source, { file: "fills.nn" });

  it("is one fill in the IR, whatever the size", () => {
    expect(compiled.model.params.map((p) => [p.name, p.init])).toEqual([
      ["W", { kind: "fill", value: 0.5 }],
      ["b", { kind: "fill", value: 0 }],
      ["s", { kind: "fill", value: -2.25 }],
    ]);
  });

  it("starts the generated module's params at the value, in f32 and f64", () => {
    for (const dtype of ["f32", "f64"] as const) {
      const m = compile(source, { file: "fills.nn", dtype }).load().createModel({ seed: 3 });
      for (const [name, values] of Object.entries(expected))
        expect(Array.from(m.params[name]!)).toEqual(values);
    }
  });

  it("is the ONNX export's initializer (the seeded weights)", () => {
    const w = seededWeights(compiled, 7);
    for (const [name, values] of Object.entries(expected))
      expect(Array.from(w.get(name)!)).toEqual(values);
  });

  it.skipIf(!torchAvailable())("starts the PyTorch module's params at the value", () => {
    const dir = tempDir();
    const module = join(dir, "fills.py");
    writeFileSync(module, exportTorch(compiled.model));
    const script = [
      "import importlib.util, json, sys",
      "spec = importlib.util.spec_from_file_location('fills', sys.argv[1])",
      "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)",
      "model = m.Model().double()",
      "print(json.dumps({k: v.detach().reshape(-1).tolist() for k, v in model.nn_params().items()}))",
    ].join("\n");
    const out = execFileSync(python, ["-c", script, module], {
      encoding: "utf8",
      env: { ...process.env, OMP_NUM_THREADS: "1" },
    });
    expect(JSON.parse(out)).toEqual(expected);
  });
});
