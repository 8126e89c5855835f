// `npm run bench:profile -- [FILE.nn] [--batch N] [--steps N]`: where a training step's time goes,
// kernel by kernel, on the JS and the wasm target. The generated module's `trainStep` is rewritten
// so that every kernel call in it is timed in CPU time of the process (process.cpuUsage() around
// the call: microseconds, and 1 to 3 µs of overhead a call; wall-clock time means little on a
// machine shared with other work), then N steps run on MNIST batches after a warm-up; each call
// site's median over the steps is reported. A model that takes MNIST as `x: [batch, 784]` and
// `y: [batch, 10]` trains on it; any other on synthetic batches (normal numbers, and integers
// below each int input's bound: random tokens for the sequence models). Default:
// bench/models/lenet.nn, batch 64, 40 steps, also written to bench/results/profile-lenet.md.
import { readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { compile } from "../src/index.ts";
import { loadModule } from "../src/codegen/index.ts";
import { batchOf } from "./common.ts";
import { modelIndexBounds, type ModelIR } from "../src/ir/model.ts";
import { clock, instrument } from "./instrument.ts";
import { lenetData } from "./lenet.ts";

interface Model {
  trainStep(feed: Record<string, Float32Array | Int32Array>): number;
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1]!;

function profile(
  source: string,
  file: string,
  target: "js" | "wasm",
  batch: number,
  steps: number,
) {
  const compiled = compile(source, { file, dtype: "f32", target });
  const { js, sites } = instrument(compiled.js);
  const g = globalThis as { $nncProfile?: Float64Array; $nncClock?: () => number };
  g.$nncProfile = new Float64Array(sites.length);
  g.$nncClock = clock;
  const make = (text: string) =>
    (loadModule(text) as unknown as { createModel(o: object): Model }).createModel({
      seed: 1,
      batch,
    });
  const [timed, plain] = [make(js), make(compiled.js)];
  const feed = feeder(compiled.model, batch);
  const per: number[][] = sites.map(() => []);
  const cpu: number[] = [];
  for (let s = 0; s < 10; s++) [timed, plain].forEach((m) => m.trainStep(feed(s)));
  for (let s = 0; s < steps; s++) {
    timed.trainStep(feed(s));
    g.$nncProfile.forEach((t, i) => per[i]!.push(t));
    const t0 = clock();
    plain.trainStep(feed(s));
    cpu.push(clock() - t0);
  }
  return { compiled, sites, medians: per.map(median), step: median(cpu) };
}

/** MNIST batches for a model of x: [batch, 784] and y: [batch, 10]; else synthetic ones. */
function feeder(
  model: ModelIR,
  batch: number,
): (step: number) => Record<string, Float32Array | Int32Array> {
  const leaves = [...model.inputs, ...model.targets];
  const mnist = leaves
    .map((l) => `${l.name}:${l.shape.slice(1).join(",")}`)
    .sort()
    .join(" ");
  if (mnist === "x:784 y:10") {
    const { train } = lenetData();
    return (s) => batchOf(train, s, batch);
  }
  const bounds = modelIndexBounds(model);
  let state = 1;
  const uniform = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32;
  // eight batches made once, used in turn: a step allocates nothing here
  const batches = Array.from({ length: 8 }, () =>
    Object.fromEntries(
      leaves.map((l) => {
        const n = l.shape.reduce<number>((a, d) => a * (typeof d === "number" ? d : batch), 1);
        const bound = bounds.get(l.name);
        if (bound !== undefined)
          return [l.name, Int32Array.from({ length: n }, () => Math.floor(uniform() * bound))];
        return [l.name, Float32Array.from({ length: n }, () => uniform() * 2 - 1)];
      }),
    ),
  );
  return (s) => batches[s % batches.length]!;
}

function report(file: string, target: "js" | "wasm", batch: number, steps: number): string {
  const source = readFileSync(file, "utf8");
  const { compiled, sites, medians, step } = profile(source, file, target, batch, steps);
  const sum = medians.reduce((a, b) => a + b, 0);
  const order = sites.map((_, i) => i).sort((a, b) => medians[b]! - medians[a]!);
  const us = (ms: number) => (ms * 1000).toFixed(0);
  const asked = compiled.target === target ? "" : ` (asked for ${target}: ${compiled.targetNote})`;
  return [
    `${file}, batch ${batch}, the ${compiled.target} target${asked}: one trainStep takes ${us(step)} µs of CPU time (median of ${steps}, not instrumented); its ${sites.length} kernel calls, each the median over the steps:`,
    "",
    "| kernel | computes | µs | share |",
    "|---|---|--:|--:|",
    ...order.map(
      (i) =>
        `| ${sites[i]!.call.replace(/^\$k\./, "").replace(/^\$/, "")} | ${sites[i]!.what.replace(/\|/g, "\\|")} | ${us(medians[i]!)} | ${((100 * medians[i]!) / sum).toFixed(1)}% |`,
    ),
    "",
    `Sum of the medians: ${us(sum)} µs.`,
    "",
  ].join("\n");
}

function main(): void {
  const args = process.argv.slice(2);
  const opt = (name: string, fallback: number) => {
    const i = args.indexOf(name);
    return i < 0 ? fallback : Number(args.splice(i, 2)[1]);
  };
  const batch = opt("--batch", 64);
  const steps = opt("--steps", 40);
  const file = args[0] ?? "bench/models/lenet.nn";
  const when = new Date().toISOString().slice(0, 16).replace("T", " ");
  const md = [
    `Measured ${when} UTC, CPU time, load average ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} cores.\n`,
    ...(["js", "wasm"] as const).map((target) => report(file, target, batch, steps)),
  ].join("\n");
  process.stdout.write(md);
  // the default profile is kept with the results, for the kernel work to read
  if (args.length === 0 && batch === 64) {
    const out = new URL("./results/profile-lenet.md", import.meta.url);
    writeFileSync(
      out,
      `# Kernel profile of a LeNet training step (npm run bench:profile)\n\n${md}`,
    );
  }
}

main();
