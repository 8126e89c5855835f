import { nnc } from "./contenders/nnc.ts";
import { loadMnist, mlpWeights, mlpBnWeights, batchOf } from "./common.ts";
const { train } = loadMnist();
const which = process.argv[2] ?? "mlp";
const t =
  which === "bn"
    ? await nnc(false).mlpBn!(mlpBnWeights(), 64)
    : await nnc(false).mlp!(mlpWeights(), 64);
const bs = Array.from({ length: 100 }, (_, b) => batchOf(train, b, 64));
const t0 = performance.now();
for (let i = 0; i < 600; i++) t.step(bs[i % 100]!.x, bs[i % 100]!.y);
console.log("ms/step", (performance.now() - t0) / 600);
