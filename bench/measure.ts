// Timing for `npm run bench:kernels`: CPU time of the process, best of interleaved rounds.

export interface Timed {
  label: string;
  run: () => void;
  best: number;
}

/** CPU time of this process in ms: on a shared machine far steadier than wall-clock time. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Best CPU time per call in ms of each, over interleaved rounds of about `budget` ms each. */
export function measure(items: Timed[], rounds = 15, budget = 20, warmup = 50): void {
  const reps = items.map((it) => {
    for (let w = 0; w < warmup; w++) it.run();
    const t0 = performance.now();
    it.run();
    return Math.max(1, Math.round(budget / Math.max(performance.now() - t0, 1e-3)));
  });
  for (let r = 0; r < rounds; r++)
    items.forEach((it, k) => {
      const t0 = cpuMs();
      for (let i = 0; i < reps[k]!; i++) it.run();
      it.best = Math.min(it.best, (cpuMs() - t0) / reps[k]!);
    });
}
