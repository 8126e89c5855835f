// What a model computes inside, for one feed: every node of its inference graph (the graph
// `forward` runs) with its value, from given params and state, e.g. a trained model's. Pages
// that show a layer's feature maps read them here, by node, including the values the source does
// not name (the relu inside `c1 = img |> conv2d(6, kernel: 5) |> relu |> max_pool2d(2)`).
import { inCompilation, type Compiled } from "./compile.ts";
import { bindingOrder } from "./ir/dims.ts";
import { interpret } from "./ir/interpret.ts";
import { ownEntries, record } from "./ir/keys.ts";
import { displayName, originOf, type Node } from "./ir/node.ts";
import { toposort } from "./ir/toposort.ts";

/** One node of the inference graph and its value. */
export interface ActivationNode {
  /** the node's number in the IR (`%9`), as `graphData` and `trace` give it */
  id: number;
  op: string;
  /** the name the source gives it (`c1`, `h.W`) or its role's name (`c1_pre`), if any */
  name?: string;
  /** the ids of its inputs */
  inputs: number[];
  /** the shape, with named dims bound from the feed */
  shape: number[];
  /** the `.nn` line it comes from */
  line?: number;
  /** row-major, f64 */
  value: Float64Array;
}

/** Named arrays: a feed, or a model's `params` and `state`. */
type Arrays = Readonly<Record<string, ArrayLike<number> | number>>;

/**
 * Every node of `compiled`'s inference graph with its value for `feed` (its inputs, row-major;
 * the batch size read from the length, as `forward` reads it), in topological order, computed in
 * f64 by the reference interpreter from `weights`: a generated model's `params` and `state`
 * (`activations(compiled, { x }, trainer.model)`). Its outputs are `forward`'s, to rounding.
 */
export function activations(
  compiled: Compiled,
  feed: Arrays,
  weights: { params: Arrays; state?: Arrays },
): ActivationNode[] {
  return inCompilation(compiled, () => activationsOf(compiled, feed, weights));
}

function activationsOf(
  compiled: Compiled,
  feed: Arrays,
  weights: { params: Arrays; state?: Arrays },
): ActivationNode[] {
  const { model } = compiled;
  const values = new Map<string, ArrayLike<number> | number>();
  const take = (names: readonly { name: string }[], from: Arrays, what: string) => {
    for (const { name } of names) {
      const v = Object.hasOwn(from, name) ? from[name] : undefined;
      if (v === undefined) throw new Error(`activations needs the ${what} \`${name}\``);
      values.set(name, v);
    }
  };
  take(model.inputs, feed, "input");
  take(model.params, weights.params, "param");
  take(model.state, weights.state ?? {}, "state");
  const dims = dimsOf(compiled, feed);
  const nodes = toposort(model.infer.outputs.map((o) => o.node));
  const computed = interpret(nodes, { values, dims });
  return nodes.map((n) => activationNode(n, computed.get(n)!));
}

/** The named dims: `bind`'s, and each other read from the length of the input it appears in. */
function dimsOf(compiled: Compiled, feed: Arrays): Record<string, number> {
  const dims = record(ownEntries(compiled.schedule.bind));
  const known = (d: string) => Object.hasOwn(dims, d);
  const { order, stuck } = bindingOrder(compiled.model.inputs, known);
  if (stuck.length > 0) throw new Error(`cannot read the size of \`${stuck[0]!.name}\`'s dims`);
  for (const { leaf, binds } of order) {
    if (binds === undefined) continue;
    const v = feed[leaf.name]!;
    const length = typeof v === "number" ? 1 : v.length;
    const rest = leaf.shape.reduce<number>(
      (a, d) => a * (d === binds ? 1 : typeof d === "number" ? d : dims[d]!),
      1,
    );
    if (length % rest !== 0 || length === 0)
      throw new Error(`\`${leaf.name}\` needs a multiple of ${rest} values, got ${length}`);
    dims[binds] = length / rest;
  }
  return dims;
}

function activationNode(n: Node, t: { data: Float64Array; shape: number[] }): ActivationNode {
  const name = displayName(n);
  const line = originOf(n)?.line;
  return {
    id: n.id,
    op: n.op,
    ...(name !== undefined ? { name } : {}),
    inputs: n.inputs.map((x) => x.id),
    shape: t.shape,
    ...(line !== undefined ? { line } : {}),
    value: t.data,
  };
}
