// Replays samples of the random-model test: `npx tsx test/random/replay.ts SEED [SEED...]` prints
// each one's source, the rows it chose and its problems; exit code 1 if any sample has one.
import { checkSeed } from "./check.ts";
import { report } from "./suite.ts";

const seeds = process.argv.slice(2).map(Number);
if (seeds.length === 0 || seeds.some((s) => !Number.isInteger(s) || s < 0)) {
  process.stderr.write("usage: npx tsx test/random/replay.ts SEED [SEED...]\n");
  process.exit(2);
}
let failed = 0;
for (const seed of seeds) {
  const o = checkSeed(seed);
  if (o.problems.length > 0) failed++;
  const status = o.problems.length > 0 ? "" : o.rejected ? `\nrejected: ${o.rejected}` : "\nok";
  process.stdout.write(`${report(o)}${status}\n\n`);
}
process.exit(failed > 0 ? 1 : 0);
