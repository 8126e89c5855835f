// The toy data sets of points in the plane: their geometry without noise, their labels, their
// seeds, and the experiments' data files that they write.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compile, fit, toyData, type ToyKind } from "../src/index.ts";
import { blobs, moons, spirals } from "../scripts/experiments/datasets.ts";

const rows = (kind: ToyKind, options = {}) => {
  const t = toyData(kind, options);
  return Array.from({ length: t.rows }, (_, r) => Array.from(t.values.subarray(r * 3, r * 3 + 3)));
};
const count = (rs: number[][], label: number) => rs.filter((r) => r[2] === label).length;

describe("toyData", () => {
  it.each<[ToyKind, object, number[]]>([
    ["xor", { n: 100 }, [50, 50]],
    ["circles", { n: 101 }, [51, 50]],
    ["moons", { n: 100 }, [50, 50]],
    ["spirals", { n: 300, classes: 3 }, [100, 100, 100]],
    ["blobs", { n: 10, classes: 4 }, [3, 3, 2, 2]],
  ])("%s %o: n points split evenly over the classes", (kind, options, perClass) => {
    const rs = rows(kind, options);
    expect(rs).toHaveLength(perClass.reduce((a, b) => a + b));
    expect(perClass.map((_, j) => count(rs, j))).toEqual(perClass);
  });

  it("without noise, puts each kind's points on its curves", () => {
    for (const [x, y, c] of rows("xor", { noise: 0 })) {
      expect([Math.abs(x!), Math.abs(y!)]).toEqual([1, 1]);
      expect(c).toBe(Math.sign(x!) === Math.sign(y!) ? 0 : 1); // the signs differ: class 1
    }
    for (const [x, y, c] of rows("circles", { noise: 0 }))
      expect(Math.hypot(x!, y!)).toBeCloseTo(c === 0 ? 1 : 0.5, 12);
    for (const [x, y, c] of rows("moons", { noise: 0 }))
      // the first moon: the unit upper half circle; the second: centred at (1, 0.5), lower half
      expect(c === 0 ? Math.hypot(x!, y!) : Math.hypot(x! - 1, y! - 0.5)).toBeCloseTo(1, 12);
    const spiral = rows("spirals", { n: 30, classes: 3, noise: 0 });
    spiral.forEach(([x, y, c], i) => {
      const k = i % 10; // r = linspace(0, 1, 10), t = linspace(4c, 4c + 4, 10)
      const t = 4 * c! + (4 * k) / 9;
      expect([x, y]).toEqual([(k / 9) * Math.sin(t), (k / 9) * Math.cos(t)]);
    });
    const centers = [
      [3, 4],
      [-1, 2],
    ] as const;
    for (const [x, y, c] of rows("blobs", { centers, noise: 0 }))
      expect([x, y]).toEqual(centers[c!]);
  });

  it("labels two classes -1 and +1 on request; the same seed gives the same points", () => {
    expect(new Set(rows("moons", { labels: "signs" }).map((r) => r[2]))).toEqual(new Set([-1, 1]));
    expect(toyData("spirals", { seed: 3 }).header).toEqual(["x1", "x2", "class"]);
    expect(rows("circles", { seed: 5 })).toEqual(rows("circles", { seed: 5 }));
    expect(rows("circles", { seed: 5 })).not.toEqual(rows("circles", { seed: 6 }));
  });

  it("fits a model with an input [batch, 2] and a one-hot target", () => {
    const c = compile(readFileSync("models/spiral.nn", "utf8"), { file: "spiral.nn" });
    const data = fit(toyData("spirals", { n: 6, classes: 3, noise: 0 }), c.model);
    expect(data.fields.map((f) => [f.name, f.width])).toEqual([
      ["x", 2],
      ["y", 3],
    ]);
    expect(Array.from(data.fields[1]!.data)).toEqual([
      ...[1, 0, 0, 1, 0, 0],
      ...[0, 1, 0, 0, 1, 0],
      ...[0, 0, 1, 0, 0, 1],
    ]);
  });

  it("writes the experiments' data files exactly (data/*.csv)", () => {
    const dir = mkdtempSync(join(tmpdir(), "nnc-toy-"));
    for (const [write, name] of [
      [spirals, "spirals.csv"],
      [moons, "moons.csv"],
      [blobs, "blobs.csv"],
    ] as const) {
      write(join(dir, name));
      expect(readFileSync(join(dir, name), "utf8")).toBe(readFileSync(`data/${name}`, "utf8"));
    }
  });
});
