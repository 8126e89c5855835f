// Gradient checking of a generated module: its symbolic gradient against finite differences of its
// own loss, in f64, on seeded random data (check-probes.ts says what is compared). A difference
// passes when it is within `tolerance` of the numeric value, or within what the numeric value
// cannot resolve: the loss's rounding noise over the step (a loss of 10^5 is only known to about
// 10^-11, so a step of 10^-6 leaves 10^-5 of doubt), and for a direction its own third difference.
// The noise is measured, not assumed: the median of the directions' third differences, and at
// least the rounding of the largest loss seen. The number of loss evaluations shrinks as the loss
// graph grows (at least 4 per param: one direction), so that a check of the largest param takes seconds.
import type { Compiled } from "./compile.ts";
import { modelIndexBounds, type ModelIR } from "./ir/model.ts";
import type { Dim, Node } from "./ir/node.ts";
import { toposort } from "./ir/toposort.ts";
import { ownEntries, record } from "./ir/keys.ts";
import { mulberry32 } from "./train/rng.ts";
import { plan, probeDirection, probeElement, type Slot } from "./check-probes.ts";
import { judge, type Probed } from "./check-judge.ts";

export interface CheckRow {
  name: string;
  /** elements compared one by one */
  checked: number;
  /** random directions compared (each over up to 65,536 elements) */
  directions: number;
  /** the elements of the param or input */
  size: number;
  /** worst |symbolic - numeric| / (1e-3 * |direction| + |numeric|) */
  worst: number;
  ok: boolean;
  /** why the row was not compared */
  skipped?: string;
  /** for a row that failed: the comparison furthest outside what is allowed */
  detail?: string;
}

export interface CheckOptions {
  seed?: number;
  /** sizes of named dims (default 3) */
  dims?: Record<string, number>;
  /** elements compared one by one per param at most (default 40; fewer for a large model) */
  samples?: number;
  /** random directions per param at most (default 3; at least 1 for a large model) */
  directions?: number;
  /** the step, times max(1, |value|) (default 1e-6) */
  h?: number;
  /** relative error allowed beyond what the finite differences cannot resolve (default 1e-4) */
  tolerance?: number;
}

/** A feed of seeded random data for every input and target of `model`. */
export function randomFeed(model: ModelIR, dims: Record<string, number>, seed: number) {
  const rand = mulberry32(seed);
  const bounds = modelIndexBounds(model);
  const feed: Record<string, Float64Array | number> = Object.create(null);
  for (const leaf of [...model.inputs, ...model.targets]) {
    const n = leaf.shape.reduce<number>(
      (a, d) => a * (typeof d === "number" ? d : Object.hasOwn(dims, d) ? dims[d]! : 3),
      1,
    );
    const bound = bounds.get(leaf.name);
    const data = Float64Array.from({ length: n }, () =>
      bound !== undefined
        ? Math.floor(rand() * bound)
        : leaf.node.attrs["role"] === "target"
          ? rand()
          : 2 * rand() - 1,
    );
    feed[leaf.name] = leaf.shape.length === 0 ? data[0]! : data;
  }
  return feed;
}

/** Elements of the loss graph's nodes times loss evaluations, per param: about a second's work. */
const WORK = 2 ** 30;
const MIN_EVALUATIONS = 4;

export interface CheckPlan {
  /** sizes of the named dims */
  dims: Record<string, number>;
  /** the params and inputs compared, and those skipped (reached only through `step`) */
  checked: Compiled["grads"];
  skipped: Compiled["grads"];
  /** loss evaluations per param, and how they are spent: 4 per direction, 2 per element */
  evaluations: number;
  directions: number;
  samples: number;
}

/** What `checkGradients` compares; null for a model without a loss. */
export function checkPlan(compiled: Compiled, options: CheckOptions = {}): CheckPlan | null {
  const { model } = compiled;
  const loss = model.train.loss;
  if (!loss) return null;
  const given = ownEntries(options.dims);
  const dims = record(model.dims.map((d) => [d, given.get(d) ?? 3]));
  const through = upstreamOfStep(loss);
  const skip = (t: { name: string }) => through.has(leafOf(model, t.name).node);
  const checked = compiled.grads.filter((t) => !skip(t));
  let work = 0;
  for (const node of toposort([loss])) work += size(concrete(node.shape, dims));
  const per = Math.floor(WORK / (work * Math.max(1, checked.length)));
  const evaluations = Math.max(MIN_EVALUATIONS, per);
  const directions = Math.min(options.directions ?? 3, Math.max(1, Math.floor(evaluations / 12)));
  const samples = Math.min(options.samples ?? 40, Math.floor((evaluations - 4 * directions) / 2));
  return { dims, checked, skipped: compiled.grads.filter(skip), evaluations, directions, samples };
}

export function checkGradients(compiled: Compiled, options: CheckOptions = {}): CheckRow[] {
  const p = checkPlan(compiled, options);
  if (!p) return [];
  const seed = options.seed ?? 1;
  const h = options.h ?? 1e-6;
  const m = compiled.load().createModel({ seed });
  const feed = randomFeed(compiled.model, p.dims, seed + 1);
  let largest = 0;
  const lossAt = () => {
    m.reseed?.(seed);
    const value = m.loss(feed) as number;
    largest = Math.max(largest, Math.abs(value));
    return value;
  };
  m.reseed?.(seed);
  const { loss, grads } = m.grad(feed) as { loss: number; grads: Record<string, Float64Array> };
  largest = Math.abs(loss);
  const rand = mulberry32(seed + 2);
  // everything read from `grads` first: the loss evaluations may reuse its arrays
  const plans = p.checked.map((t) => {
    const slot = slotOf(m, feed, t);
    return { name: t.name, slot, ...plan(slot, grads[t.name]!, p, rand) };
  });
  const probed: Probed[] = plans.map((q) => ({
    ...q,
    shape: shapeOf(compiled.model, q.name, p.dims),
    elements: q.elements.map((e) => ({ ...e, ...probeElement(q.slot, e.index, h, lossAt) })),
    directions: q.directions.map((d) => ({ ...d, ...probeDirection(q.slot, d, h, lossAt) })),
  }));
  const rows = judge(probed, { h, tolerance: options.tolerance ?? 1e-4, largest });
  const skipped = (name: string) => skippedRow(name, size(shapeOf(compiled.model, name, p.dims)));
  return compiled.grads.map((t) => rows.find((r) => r.name === t.name) ?? skipped(t.name));
}

function skippedRow(name: string, size: number): CheckRow {
  return {
    name,
    checked: 0,
    directions: 0,
    size,
    worst: 0,
    ok: true,
    skipped:
      "its gradient passes straight through `step` by design (the perceptron rule), so it is not the derivative",
  };
}

const concrete = (shape: readonly Dim[], dims: Record<string, number>) =>
  shape.map((d) => (typeof d === "number" ? d : dims[d]!));
const size = (shape: number[]) => shape.reduce((n, d) => n * d, 1);
const shapeOf = (model: ModelIR, name: string, dims: Record<string, number>) =>
  concrete(leafOf(model, name).shape, dims);

function leafOf(model: ModelIR, name: string) {
  return [...model.params, ...model.inputs, ...model.targets].find((l) => l.name === name)!;
}

/** A param's values, or an input's in the feed (a scalar input is a number there). */
function slotOf(
  m: { params: Record<string, unknown> },
  feed: Record<string, Float64Array | number>,
  target: Compiled["grads"][number],
): Slot {
  const name = target.name;
  const values = target.kind === "param" ? (m.params[name] as Float64Array) : feed[name]!;
  if (typeof values === "number")
    return {
      size: 1,
      get: () => feed[name] as number,
      set: (_, v) => void (feed[name] = v),
    };
  return { size: values.length, get: (i) => values[i]!, set: (i, v) => void (values[i] = v) };
}

/** Leaves from which the loss is reached only through a `step` somewhere on the way. */
export function upstreamOfStep(loss: Node): Set<Node> {
  const order = toposort([loss]);
  const below = new Set<Node>();
  for (const node of order) if (node.op === "step") for (const n of toposort([node])) below.add(n);
  return new Set(order.filter((n) => n.inputs.length === 0 && below.has(n)));
}
