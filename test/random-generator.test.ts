// The random-model generator itself (test/random/): a seed gives one sample, a row added to the
// table leaves the samples that do not choose it as they were (rows are chosen by a stable hash,
// as DESIGN.md asks), and the 10,000 samples of `npm test` use every row of the table.
import { describe, expect, it } from "vitest";
import { generate } from "./random/sample.ts";
import { rows } from "./random/rows.ts";

describe("the random-model generator", () => {
  it("gives the same sample for a seed, every time", () => {
    for (let seed = 0; seed < 50; seed++) expect(generate(seed)).toEqual(generate(seed));
  });

  it("keeps every sample that does not choose a row when that row is added", () => {
    for (const row of [rows[0]!, rows[17]!, rows[rows.length - 1]!]) {
      const without = rows.filter((r) => r !== row);
      let kept = 0;
      for (let seed = 0; seed < 300; seed++) {
        const sample = generate(seed);
        if (sample.rows.includes(row.name)) continue;
        expect(generate(seed, without).source, `seed ${seed}, row ${row.name}`).toBe(sample.source);
        kept++;
      }
      expect(kept).toBeGreaterThan(250);
    }
  });

  it("chooses every row of the table in the 10,000 samples of npm test", () => {
    const count = new Map<string, number>();
    for (let seed = 0; seed < 10_000; seed++)
      for (const name of new Set(generate(seed).rows)) count.set(name, (count.get(name) ?? 0) + 1);
    for (const row of rows) expect(count.get(row.name) ?? 0, row.name).toBeGreaterThan(50);
  });
});
