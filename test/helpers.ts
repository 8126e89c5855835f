// Shared test helpers: seeded random numbers, finite differences over the reference interpreter.
import type { Node, Shape } from "../src/ir/node.ts";
import type { Init, ModelIR, OptimizerSpec } from "../src/ir/model.ts";
import { interpret } from "../src/ir/interpret.ts";
import { gradients } from "../src/autodiff/grad.ts";
import { mulberry32 } from "../src/train/rng.ts";

/** seeded uniform [0, 1) numbers (mulberry32) */
export const rng = mulberry32;

export function randomArray(n: number, rand: () => number, lo = -1, hi = 1): Float64Array {
  return Float64Array.from({ length: n }, () => lo + (hi - lo) * rand());
}

export function size(shape: Shape, dims: Record<string, number> = {}): number {
  return shape.reduce<number>((a, d) => a * (typeof d === "number" ? d : dims[d]!), 1);
}

/** Value of the scalar `loss` with the leaves set to `values`. */
export function evalScalar(
  loss: Node,
  values: Map<string, ArrayLike<number> | number>,
  dims: Record<string, number> = {},
): number {
  return interpret([loss], { values, dims }).get(loss)!.data[0]!;
}

/**
 * Symbolic gradient (through autodiff and the interpreter) and central finite differences of
 * `loss` with respect to the named leaves; returns both, flattened per leaf.
 */
export function checkGradient(
  loss: Node,
  leaves: Node[],
  values: Map<string, Float64Array>,
  dims: Record<string, number> = {},
  h = 1e-6,
): { name: string; symbolic: Float64Array; numeric: Float64Array }[] {
  const grads = gradients(loss, leaves);
  const roots = leaves.map((l) => grads.get(l)!);
  const vals = interpret(roots, { values, dims });
  return leaves.map((leaf) => {
    const name = leaf.attrs["name"] as string;
    const x = values.get(name)!;
    const numeric = new Float64Array(x.length);
    for (let i = 0; i < x.length; i++) {
      const keep = x[i]!;
      x[i] = keep + h;
      const up = evalScalar(loss, values, dims);
      x[i] = keep - h;
      const down = evalScalar(loss, values, dims);
      x[i] = keep;
      numeric[i] = (up - down) / (2 * h);
    }
    return { name, symbolic: vals.get(grads.get(leaf)!)!.data, numeric };
  });
}

/** max |a - b| / max(1, |b|) */
export function relError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < b.length; i++)
    worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)));
  return worst;
}

export interface Spec {
  name?: string;
  inputs?: Node[];
  targets?: Node[];
  params?: [Node, Init][];
  outputs: Record<string, Node>;
  loss: Node | null;
  dims?: string[];
  optimizer?: Partial<OptimizerSpec>;
}

export const at = { file: "test.nn", line: 1, col: 1, text: "" };

export function leaf(node: Node) {
  return { name: node.attrs["name"] as string, shape: node.shape, node, origin: at };
}

/** A ModelIR built by hand, one graph for both modes. */
export function modelOf(spec: Spec): ModelIR {
  const outputs = Object.entries(spec.outputs).map(([name, node]) => ({ name, node }));
  const graph = { outputs, loss: spec.loss, stateUpdates: [] };
  return {
    name: spec.name ?? "test",
    file: "test.nn",
    inputs: (spec.inputs ?? []).map(leaf),
    targets: (spec.targets ?? []).map(leaf),
    params: (spec.params ?? []).map(([node, init]) => ({ ...leaf(node), init })),
    state: [],
    dims: spec.dims ?? [],
    infer: graph,
    train: graph,
    optimizer: {
      kind: "sgd",
      lr: 0.1,
      momentum: 0,
      rho: 0.9,
      beta1: 0.9,
      beta2: 0.999,
      eps: 1e-8,
      ...spec.optimizer,
    },
    source: "",
  };
}
