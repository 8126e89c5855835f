// Gradient checking of a generated module: its symbolic gradient against central finite
// differences of its own loss, in f64, on seeded random data.
import type { Compiled } from "./compile.ts";
import type { ModelIR } from "./ir/model.ts";
import type { Node } from "./ir/node.ts";
import { toposort } from "./ir/toposort.ts";
import { ownEntries, record } from "./ir/keys.ts";
import { mulberry32 } from "./train/rng.ts";

export interface CheckRow {
  name: string;
  /** elements compared */
  checked: number;
  /** worst |symbolic - numeric| / (1e-3 + |numeric|) */
  worst: number;
  ok: boolean;
  /** why the row was not compared */
  skipped?: string;
}

export interface CheckOptions {
  seed?: number;
  /** sizes of named dims (default 3) */
  dims?: Record<string, number>;
  /** elements compared per param at most */
  samples?: number;
  h?: number;
  tolerance?: number;
}

/** A feed of seeded random data for every input and target of `model`. */
export function randomFeed(model: ModelIR, dims: Record<string, number>, seed: number) {
  const rand = mulberry32(seed);
  const feed: Record<string, Float64Array | number> = Object.create(null);
  for (const leaf of [...model.inputs, ...model.targets]) {
    const n = leaf.shape.reduce<number>(
      (a, d) => a * (typeof d === "number" ? d : Object.hasOwn(dims, d) ? dims[d]! : 3),
      1,
    );
    const data = Float64Array.from({ length: n }, () =>
      leaf.node.attrs["role"] === "target" ? rand() : 2 * rand() - 1,
    );
    feed[leaf.name] = leaf.shape.length === 0 ? data[0]! : data;
  }
  return feed;
}

export function checkGradients(compiled: Compiled, options: CheckOptions = {}): CheckRow[] {
  const { model } = compiled;
  const loss = model.train.loss;
  if (!loss) return [];
  const seed = options.seed ?? 1;
  const given = ownEntries(options.dims);
  const dims = record(model.dims.map((d) => [d, given.get(d) ?? 3]));
  const h = options.h ?? 1e-6;
  const tolerance = options.tolerance ?? 1e-4;
  const m = compiled.load().createModel({ seed });
  const feed = randomFeed(model, dims, seed + 1);
  const reseed = () => m.reseed?.(seed);
  const lossAt = () => {
    reseed();
    return m.loss(feed) as number;
  };
  reseed();
  const { grads } = m.grad(feed) as { grads: Record<string, ArrayLike<number>> };
  const straightThrough = upstreamOfStep(loss);
  const rand = mulberry32(seed + 2);
  return compiled.grads.map((target) => {
    const leaf = [...model.params, ...model.inputs, ...model.targets].find(
      (l) => l.name === target.name,
    )!;
    if (straightThrough.has(leaf.node))
      return {
        name: target.name,
        checked: 0,
        worst: 0,
        ok: true,
        skipped:
          "its gradient passes straight through `step` by design (the perceptron rule), so it is not the derivative",
      };
    const symbolic = Float64Array.from(grads[target.name]!);
    const values =
      target.kind === "param"
        ? (m.params[target.name] as Float64Array)
        : (feed[target.name] as Float64Array | number);
    const scalar = typeof values === "number";
    const n = scalar ? 1 : values.length;
    const indices = pick(n, options.samples ?? 40, rand);
    let worst = 0;
    for (const i of indices) {
      const get = () => (scalar ? (feed[target.name] as number) : values[i]!);
      const set = (v: number) => {
        if (scalar) feed[target.name] = v;
        else values[i] = v;
      };
      const keep = get();
      set(keep + h);
      const up = lossAt();
      set(keep - h);
      const down = lossAt();
      set(keep);
      const numeric = (up - down) / (2 * h);
      worst = Math.max(worst, Math.abs(symbolic[i]! - numeric) / (1e-3 + Math.abs(numeric)));
    }
    return { name: target.name, checked: indices.length, worst, ok: worst <= tolerance };
  });
}

/** Leaves from which the loss is reached only through a `step` somewhere on the way. */
export function upstreamOfStep(loss: Node): Set<Node> {
  const order = toposort([loss]);
  const below = new Set<Node>();
  for (const node of order) if (node.op === "step") for (const n of toposort([node])) below.add(n);
  return new Set(order.filter((n) => n.inputs.length === 0 && below.has(n)));
}

function pick(n: number, k: number, rand: () => number): number[] {
  if (n <= k) return Array.from({ length: n }, (_, i) => i);
  const set = new Set<number>();
  while (set.size < k) set.add(Math.floor(rand() * n));
  return [...set].sort((a, b) => a - b);
}
