// The random-model test as vitest tests, shared by the files test/random-N.test.ts so that
// vitest's workers run them side by side, in chunks of 100. `npm test` checks the seeds 0 to 1,999
// (about two minutes on two cores); NNC_RANDOM=full checks 0 to 9,999 (about fifteen), and
// NNC_RANDOM=FROM-TO any others. A failing sample is printed with its seed, the rows it chose, its
// source, its problems and the command that replays it.
import { expect, it } from "vitest";
import { checkSeed, type Outcome } from "./check.ts";

export const PARTS = 4;
const CHUNK = 100;

/** The seeds `npm test` checks, and those of the full run. */
export const DEFAULT_SEEDS: [number, number] = [0, 2_000];
export const FULL_SEEDS: [number, number] = [0, 10_000];

/** The seeds of a run: DEFAULT_SEEDS, FULL_SEEDS for NNC_RANDOM=full, or NNC_RANDOM=FROM-TO (TO excluded). */
export function seedRange(env = process.env["NNC_RANDOM"]): [number, number] {
  if (env === undefined) return DEFAULT_SEEDS;
  if (env === "full") return FULL_SEEDS;
  const m = /^(\d+)-(\d+)$/.exec(env);
  if (!m) throw new Error(`NNC_RANDOM must be full or FROM-TO, got ${env}`);
  return [Number(m[1]), Number(m[2])];
}

export function report(o: Outcome): string {
  const seed = o.sample.seed;
  return [
    `seed ${seed} (rows: ${o.sample.rows.join(", ")}); replay: npx tsx test/random/replay.ts ${seed}`,
    o.sample.source,
    ...o.problems.slice(0, 12),
    ...(o.problems.length > 12 ? [`... ${o.problems.length - 12} more`] : []),
  ].join("\n");
}

/** This file's share of the seeds (every PARTS-th), checked in chunks. */
export function randomModels(part: number): void {
  const [from, to] = seedRange();
  const mine: number[] = [];
  for (let s = from; s < to; s++) if (s % PARTS === part) mine.push(s);
  for (let i = 0; i < mine.length; i += CHUNK) {
    const chunk = mine.slice(i, i + CHUNK);
    it(`seeds ${chunk[0]} to ${chunk[chunk.length - 1]} (every ${PARTS}th)`, () => {
      const failures: string[] = [];
      let [compared, skipped, rejected, uncompared] = [0, 0, 0, 0];
      for (const seed of chunk) {
        const o = checkSeed(seed);
        [compared, skipped] = [compared + o.compared, skipped + o.skipped];
        if (o.rejected) rejected++;
        if (o.uncompared.some((why) => why.includes("f64"))) uncompared++;
        if (o.problems.length > 0) failures.push(report(o));
      }
      if (failures.length > 0) throw new Error(`\n${failures.join("\n\n")}`);
      // the judges of conditioning leave most to compare (about 3 samples in 100 sit on a kink or
      // a tie), and few samples are refused
      expect(skipped).toBeLessThan(0.05 * (compared + skipped));
      expect(uncompared).toBeLessThan(0.15 * chunk.length);
      expect(rejected).toBeLessThan(0.05 * chunk.length);
    }, 600_000);
  }
}
