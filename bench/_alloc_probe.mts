import v8 from "node:v8";
import { nnc } from "./contenders/nnc.ts";
import { loadMnist, mlpWeights, batchOf } from "./common.ts";
const { train } = loadMnist();
const t = await nnc(false).mlp!(mlpWeights(), 64);
const bs = Array.from({ length: 100 }, (_, b) => batchOf(train, b, 64));
for (let i = 0; i < 300; i++) t.step(bs[i % 100]!.x, bs[i % 100]!.y);
const spaces = () =>
  Object.fromEntries(v8.getHeapSpaceStatistics().map((s) => [s.space_name, s.space_used_size]));
for (const n of [100, 1000, 3000]) {
  (globalThis as any).gc();
  const a = spaces();
  for (let i = 0; i < n; i++) t.step(bs[i % 100]!.x, bs[i % 100]!.y);
  const b = spaces();
  console.log(n, Object.fromEntries(Object.keys(a).map((k) => [k, (b[k]! - a[k]!) / n])));
}
