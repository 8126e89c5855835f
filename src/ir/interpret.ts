// A small reference interpreter over the IR, in f64, with none of codegen's machinery: each op's
// plain `evaluate`. Tests compare generated code with it, and `nnc trace` prints its values.
import type { Dim, Node } from "./node.ts";
import { toposort } from "./toposort.ts";
import { opDef, type Tensor } from "../ops/index.ts";
import { ownEntries } from "./keys.ts";

export interface InterpretEnv {
  /** values of input, target, param and state leaves, by name */
  values: ReadonlyMap<string, ArrayLike<number> | number>;
  /** sizes of named dims (only own keys count: a dim may be named `constructor`) */
  dims: Readonly<Record<string, number>> | ReadonlyMap<string, number>;
  /** uniform [0, 1) numbers for dropout masks; dropout is off (mask of ones) when absent */
  random?: () => number;
}

export function concreteShape(
  shape: readonly Dim[],
  dims: Readonly<Record<string, number>> | ReadonlyMap<string, number>,
): number[] {
  const sizes = dims instanceof Map ? dims : ownEntries(dims);
  return shape.map((d) => {
    if (typeof d === "number") return d;
    const v = sizes.get(d);
    if (v === undefined) throw new Error(`the dimension \`${d}\` is not bound`);
    return v;
  });
}

/** Evaluates `roots` and everything they depend on; returns every node's value. */
export function interpret(roots: readonly Node[], env: InterpretEnv): Map<Node, Tensor> {
  const values = new Map<Node, Tensor>();
  const dims = ownEntries(env.dims);
  for (const node of toposort(roots)) {
    const shape = concreteShape(node.shape, dims);
    const inputs = node.inputs.map((x) => values.get(x)!);
    const data = opDef(node.op).evaluate(
      inputs,
      node.attrs,
      shape,
      {
        dim: (name) => dims.get(name) ?? NaN,
        leaf: (leaf) => leafValue(leaf, shape, env),
      },
      node,
    );
    values.set(node, { data, shape });
  }
  return values;
}

function leafValue(node: Node, shape: number[], env: InterpretEnv): Float64Array {
  const size = shape.reduce((a, b) => a * b, 1);
  if (node.op === "dropout_mask") {
    const rate = node.attrs["rate"] as number;
    const rnd = env.random;
    return Float64Array.from({ length: size }, () =>
      rnd === undefined ? 1 : rnd() < rate ? 0 : 1 / (1 - rate),
    );
  }
  const name = node.attrs["name"] as string;
  const v = env.values.get(name);
  if (v === undefined) throw new Error(`no value for \`${name}\``);
  const data = typeof v === "number" ? Float64Array.of(v) : Float64Array.from(v);
  if (data.length !== size) throw new Error(`\`${name}\` needs ${size} values, got ${data.length}`);
  return data;
}
