import { Session } from "node:inspector/promises";
import { nnc } from "./contenders/nnc.ts";
import { loadMnist, mlpWeights, batchOf } from "./common.ts";
const { train } = loadMnist();
const t = await nnc(false).mlp!(mlpWeights(), 64);
const bs = Array.from({ length: 100 }, (_, b) => batchOf(train, b, 64));
const mode = process.argv[2] ?? "step";
let b = 0;
const f =
  mode === "grad"
    ? () => t.grad!(bs[0]!.x, bs[0]!.y)
    : () => {
        const d = bs[b++ % bs.length]!;
        t.step(d.x, d.y);
      };
for (let i = 0; i < 3000; i++) f();
const s = new Session();
s.connect();
await s.post("HeapProfiler.startSampling", {
  samplingInterval: 8,
  includeObjectsCollectedByMinorGC: true,
  includeObjectsCollectedByMajorGC: true,
});
for (let i = 0; i < 3000; i++) f();
const { profile } = await s.post("HeapProfiler.stopSampling");
const out: [string, number][] = [];
const walk = (n: any, path: string[]) => {
  const p = [...path, `${n.callFrame.functionName}:${n.callFrame.lineNumber}`];
  if (n.selfSize > 0) out.push([p.slice(-4).join(" < "), n.selfSize]);
  for (const c of n.children) walk(c, p);
};
walk(profile.head, []);
out
  .sort((a, b) => b[1] - a[1])
  .slice(0, 8)
  .forEach(([k, v]) => console.log((v / 3000).toFixed(1), k));
