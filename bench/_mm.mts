import { matmulLines } from "../src/codegen/matmul.ts";
const cases = [
  { name: "x@W", M: 64, N: 128, K: 784, ta: false, tb: false },
  { name: "x^T@dh", M: 784, N: 128, K: 64, ta: true, tb: false },
  { name: "x@W b1", M: 1, N: 128, K: 784, ta: false, tb: false },
];
const blocks: [number, number][] = JSON.parse(
  process.argv[2] ?? "[[2,4],[1,8],[3,4],[2,6],[4,2],[2,5]]",
);
const res: Record<string, number[]> = {};
for (let round = 0; round < 5; round++)
  for (const c of cases)
    for (const block of blocks) {
      if (c.M === 1 && block[0] !== 1) continue;
      const A = new Float32Array(c.M * c.K).map(() => Math.random());
      const B = new Float32Array(c.K * c.N).map(() => Math.random());
      const C = new Float32Array(c.M * c.N);
      const lines = matmulLines({
        C: "C",
        A: "A",
        B: "B",
        M: String(c.M),
        N: String(c.N),
        K: String(c.K),
        ta: c.ta,
        tb: c.tb,
        block,
      });
      const f = new Function("A", "B", "C", `return function kern() {\n${lines.join("\n")}\n}`)(
        A,
        B,
        C,
      ) as () => void;
      const n = Math.max(5, Math.round(2e8 / (2 * c.M * c.N * c.K)));
      for (let i = 0; i < n; i++) f();
      const t0 = process.cpuUsage();
      for (let i = 0; i < n; i++) f();
      const gf = (2 * c.M * c.N * c.K * n) / (process.cpuUsage(t0).user / 1e6) / 1e9;
      (res[`${c.name} ${block.join("x")}`] ??= []).push(gf);
    }
for (const [k, v] of Object.entries(res))
  console.log(
    k.padEnd(16),
    "max GFLOP/s",
    Math.max(...v).toFixed(2),
    "median",
    v.sort()[2]!.toFixed(2),
  );
