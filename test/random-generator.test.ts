// The random-model generator itself (test/random/): a seed gives one sample, a row added to the
// table leaves the samples that do not choose it as they were (rows are chosen by a stable hash,
// as DESIGN.md asks), and the 2,000 samples of `npm test` and the 10,000 of the full run use every
// row of the table.
import { describe, expect, it } from "vitest";
import { generate } from "./random/sample.ts";
import { rows } from "./random/rows.ts";
import { DEFAULT_SEEDS, FULL_SEEDS, seedRange } from "./random/suite.ts";

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

  it("chooses every row of the table often, in the seeds of npm test and of the full run", () => {
    const count = new Map<string, number>();
    const [from, to] = FULL_SEEDS;
    for (let seed = from; seed < to; seed++) {
      if (seed === DEFAULT_SEEDS[1]) {
        for (const row of rows) expect(count.get(row.name) ?? 0, row.name).toBeGreaterThan(40);
      }
      for (const name of new Set(generate(seed).rows)) count.set(name, (count.get(name) ?? 0) + 1);
    }
    for (const row of rows) expect(count.get(row.name) ?? 0, row.name).toBeGreaterThan(250);
  });

  it("reads its seeds from NNC_RANDOM", () => {
    expect(seedRange(undefined)).toEqual([0, 2_000]);
    expect(seedRange("full")).toEqual([0, 10_000]);
    expect(seedRange("20-30")).toEqual([20, 30]);
    expect(() => seedRange("all")).toThrow(/NNC_RANDOM must be full or FROM-TO/);
  });
});
