import { nnc } from "./contenders/nnc.ts";
import { loadMnist, mlpWeights, time } from "./common.ts";
const { test } = loadMnist();
const run = await nnc(process.argv[2] === "dyn").infer!(mlpWeights(), 1);
const x = test.x.subarray(0, 784);
const t = await time(() => run(x), { warmup: 2000, calls: 3000, reps: 5 });
console.log(
  "cpu us",
  t.reps.map((v) => (v * 1e6).toFixed(1)).join(" "),
  "wall us",
  t.wallReps.map((v) => (v * 1e6).toFixed(1)).join(" "),
);
