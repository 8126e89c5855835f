// Bytes a call allocates in steady state, measured in a worker process (run with --expose-gc):
// the MLP workloads' steps (worker.ts) and the sequence models' (sequence-worker.ts).
import { PerformanceObserver } from "node:perf_hooks";
import v8 from "node:v8";

export interface Alloc {
  bytesPerStep: number;
  arrayBytesPerStep: number;
  steps: number;
  /** collections during the measurement (then the bytes are a lower bound) */
  gcs: number;
}

/** Warm-up: at least `n` calls and a second (for the optimizing compiler on a busy machine). */
function warmUp(fn: () => void, n: number): void {
  const t0 = performance.now();
  for (let i = 0; i < n || performance.now() - t0 < 1000; i++) fn();
}

/** Bytes in use in the young generation, where new objects are allocated (the old generation's
 * number moves with concurrent sweeping). */
function heapUsed(): number {
  return v8
    .getHeapSpaceStatistics()
    .filter((s) => s.space_name.startsWith("new_"))
    .reduce((a, s) => a + s.space_used_size, 0);
}

/**
 * Bytes allocated per call in steady state: after warm-up (and no forced collection, which would
 * drop optimized code), the growth of the heap over `n` calls and over 2n calls; their difference
 * over n is the calls' allocation alone (the measurement's own allocations cancel). A collection
 * during the measurement frees memory and makes the number a lower bound: `gcs` counts them.
 */
export async function allocation(fn: () => void, n: number): Promise<Alloc> {
  warmUp(fn, n);
  let gcs = 0;
  const obs = new PerformanceObserver((list) => (gcs += list.getEntries().length));
  obs.observe({ entryTypes: ["gc"] });
  const grow = (calls: number) => {
    const h0 = heapUsed();
    const a0 = process.memoryUsage().arrayBuffers;
    for (let i = 0; i < calls; i++) fn();
    return [heapUsed() - h0, process.memoryUsage().arrayBuffers - a0] as const;
  };
  const [h1, a1] = grow(n);
  const [h2, a2] = grow(2 * n);
  await new Promise((resolve) => setTimeout(resolve, 20));
  obs.disconnect();
  return { bytesPerStep: (h2 - h1) / n, arrayBytesPerStep: (a2 - a1) / n, steps: n, gcs };
}
