// A unified diff of two texts, line by line (longest common subsequence), with 3 lines of context.

type Op = { kind: " " | "-" | "+"; line: string; a: number; b: number };

function lcsOps(a: string[], b: string[]): Op[] {
  const n = a.length;
  const m = b.length;
  // table[i][j]: the LCS length of a[i..] and b[j..]
  const table = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--)
      table[i]![j] =
        a[i] === b[j] ? table[i + 1]![j + 1]! + 1 : Math.max(table[i + 1]![j]!, table[i]![j + 1]!);
  const ops: Op[] = [];
  let [i, j] = [0, 0];
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) ops.push({ kind: " ", line: a[i]!, a: i++, b: j++ });
    else if (i < n && (j === m || table[i + 1]![j]! >= table[i]![j + 1]!))
      ops.push({ kind: "-", line: a[i]!, a: i++, b: j });
    else ops.push({ kind: "+", line: b[j]!, a: i, b: j++ });
  }
  return ops;
}

export function unifiedDiff(before: string, after: string, names: [string, string]): string {
  const ops = lcsOps(before.split("\n"), after.split("\n"));
  const context = 3;
  const changed = ops.map((o, k) => (o.kind !== " " ? k : -1)).filter((k) => k >= 0);
  if (changed.length === 0) return "";
  const out = [`--- ${names[0]}`, `+++ ${names[1]}`];
  let k = 0;
  while (k < changed.length) {
    const start = Math.max(0, changed[k]! - context);
    let end = Math.min(ops.length, changed[k]! + context + 1);
    while (k + 1 < changed.length && changed[k + 1]! - context <= end) {
      k++;
      end = Math.min(ops.length, changed[k]! + context + 1);
    }
    const hunk = ops.slice(start, end);
    const aLines = hunk.filter((o) => o.kind !== "+").length;
    const bLines = hunk.filter((o) => o.kind !== "-").length;
    out.push(`@@ -${hunk[0]!.a + 1},${aLines} +${hunk[0]!.b + 1},${bLines} @@`);
    for (const o of hunk) out.push(`${o.kind}${o.line}`);
    k++;
  }
  return out.join("\n");
}
