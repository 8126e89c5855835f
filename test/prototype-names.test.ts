// Names a user may choose that are also Object.prototype's own: as a dim (bound or read from the
// data), a param, an input and an output, each compiles, runs and round-trips through a weights
// file exactly like any other name.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compile } from "../src/compile.ts";
import { NnError } from "../src/diagnostics.ts";
import { decodeSafetensors, encodeSafetensors } from "../src/train/safetensors.ts";
import { loadWeights, saveWeights } from "../src/train/files.ts";

// read at test time, so that a name a later engine adds to Object.prototype is covered too
const names = [
  ...new Set([
    "constructor",
    "toString",
    "valueOf",
    "hasOwnProperty",
    "__proto__",
    ...Object.getOwnPropertyNames(Object.prototype),
  ]),
];
const dir = mkdtempSync(join(tmpdir(), "nnc-names-"));

/** x @ W + b with W = [[1], [2]], b = 0.5: for the rows [1, 2], [3, 4], [5, 6] that is 5.5, 11.5, 17.5. */
function model(role: Role, n: string): string {
  const [dim, W, x, h] = [
    role === "dim" ? n : "batch",
    role === "param" ? n : "W",
    role === "input" ? n : "x",
    role === "output" ? n : "h",
  ];
  return [
    "model m {",
    `  input ${x}: [${dim}, 2]`,
    `  target y: [${dim}, 1]`,
    `  param ${W}: [2, 1] = [[1], [2]]`,
    "  param b: [1] = 0.5",
    `  ${h} = ${x} @ ${W} + b`,
    `  output ${h}`,
    `  loss = mean(mse(${h}, y))`,
    "}",
  ].join("\n");
}

type Role = "dim" | "param" | "input" | "output";
interface Row {
  n: string;
  role: Role;
  bound: boolean;
}
const roles: Role[] = ["dim", "param", "input", "output"];
const rows: Row[] = names.flatMap((n) =>
  roles.flatMap((role): Row[] => [
    { n, role, bound: false },
    ...(role === "dim" ? [{ n, role, bound: true }] : []),
  ]),
);

describe("names that are Object.prototype's", () => {
  it.each(rows)("`$n` as a $role (bound: $bound)", ({ n, role, bound }) => {
    const dim = role === "dim" ? n : "batch";
    const c = compile(model(role, n), bound ? { bind: new Map([[dim, 3]]) } : {});
    const m = c.load().createModel({ seed: 1 });
    const feed = Object.create(null) as Record<string, Float32Array>;
    feed[role === "input" ? n : "x"] = Float32Array.of(1, 2, 3, 4, 5, 6);
    feed["y"] = Float32Array.of(5, 12, 17);
    const out = m.forward(feed)[role === "output" ? n : "h"] as Float32Array;
    expect(Array.from(out)).toEqual([5.5, 11.5, 17.5]);
    const { loss, grads } = m.grad(feed);
    // residuals 0.5, -0.5, 0.5: the mean square is 0.25, d/db = mean(2 r) = 1/3
    expect(loss).toBeCloseTo(0.25, 6);
    expect(grads["b"]![0]).toBeCloseTo(1 / 3, 6);
    const W = role === "param" ? n : "W";
    // d/dW = mean over rows of 2 r x = 2/3 (0.5 - 1.5 + 2.5, 1 - 2 + 3) = [1, 4/3]
    expect(Array.from(grads[W]!)).toEqual([expect.closeTo(1, 6), expect.closeTo(4 / 3, 6)]);
    const file = join(dir, `${role}-${Math.random().toString(36).slice(2)}.safetensors`);
    saveWeights(file, c.model, m);
    const back = loadWeights(file, c.model, "f32");
    expect([...back.keys()]).toEqual([W, "b"]);
    expect(Array.from(back.get(W)!)).toEqual([1, 2]);
  });

  it("keeps every such name as a tensor name of a weights file, in order", () => {
    const tensors = names.map((name, i) => ({ name, shape: [1], data: Float32Array.of(i) }));
    const back = decodeSafetensors(encodeSafetensors(tensors), "names.safetensors");
    expect([...back.keys()]).toEqual(names);
    expect([...back.values()].map((t) => t.data[0])).toEqual(names.map((_, i) => i));
  });

  it("refuses a param named `__metadata__`, safetensors' own key, at its line and column", () => {
    const source =
      "model m {\n  input x: [2]\n  param __metadata__: [2]\n  h = x * __metadata__\n  output h\n}\n";
    let error: unknown;
    try {
      compile(source, { file: "meta.nn" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(NnError);
    expect((error as NnError).diagnostics[0]).toMatchObject({
      code: "NN2008",
      line: 3,
      col: 9,
      message: expect.stringMatching(/`__metadata__` is reserved/),
    });
  });
});
