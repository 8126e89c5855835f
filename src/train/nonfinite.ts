// When training produces a loss or a param that is NaN or infinite, find out where it started: run
// the failing batch again through the reference interpreter over the IR (in f64), with the params
// and state from before the step, and name the first node whose value is not finite, in the order
// the values are computed (the forward pass, then the gradients), with its `.nn` line. Where the
// interpreter finds every value finite, the step is run once more in the model compiled in f64:
// finite there, float32 is what fails (evidence, not a guess); not finite there either, the
// generated code disagrees with the interpreter, which is a bug of nnc's and is reported as one.
import type { ModelIR } from "../ir/model.ts";
import { nameOf, originOf, type Node, type Origin } from "../ir/node.ts";
import { interpret } from "../ir/interpret.ts";
import { toposort } from "../ir/toposort.ts";
import type { At, NnError } from "../diagnostics.ts";
import type { GradTarget } from "../codegen/index.ts";
import { dataError } from "./errors.ts";

/** The largest finite float32: beyond it, a float32 module sees infinity. */
const f32Max = 3.4028234663852886e38;

/** What the trainer remembers of the model's graph, taken right after compiling. */
export interface GraphInfo {
  model: ModelIR;
  grads: GradTarget[];
  origins: Map<Node, Origin>;
  names: Map<Node, string>;
}

export function graphInfo(model: ModelIR, grads: GradTarget[]): GraphInfo {
  const roots = rootsOf(model, grads);
  const origins = new Map<Node, Origin>();
  const names = new Map<Node, string>();
  for (const n of toposort(roots)) {
    const o = originOf(n);
    if (o) origins.set(n, o);
    const name = nameOf(n);
    if (name !== undefined) names.set(n, name);
  }
  return { model, grads, origins, names };
}

function rootsOf(model: ModelIR, grads: GradTarget[]): Node[] {
  const loss = model.train.loss;
  return [
    ...(loss ? [loss] : []),
    ...grads.map((g) => g.node),
    ...model.train.stateUpdates.map((u) => u.node),
  ];
}

export interface Failure {
  /** 1-based step over the whole run, and the epoch it is in */
  step: number;
  epoch: number;
  /** the loss the module returned for the step */
  loss: number;
  /** a param or state that is not finite after the step, if the loss was */
  badParam?: string;
  /** inputs, targets, params and state before the step */
  values: Map<string, ArrayLike<number>>;
  dims: Record<string, number>;
  dtype: "f32" | "f64";
  /** runs the step again in the model compiled in f64: whether its loss and new params are finite */
  stepInF64(): boolean;
}

export function nonFiniteError(info: GraphInfo, f: Failure): NnError {
  const what =
    f.badParam === undefined
      ? `the loss is ${f.loss}`
      : `the loss was ${f.loss} but \`${f.badParam}\` is no longer finite after the update`;
  const head = `training stopped at step ${f.step} (epoch ${f.epoch}): ${what}`;
  const top = { file: info.model.file, line: 1, col: 1 };
  let found: { node: Node; bad: number; total: number; example: number } | undefined;
  try {
    found = firstNonFinite(info, f);
  } catch (e) {
    return dataError(
      "NN7001",
      top,
      `${head} (the reference interpreter failed: ${(e as Error).message})`,
    );
  }
  if (!found) return finiteInInterpreter(head, info.model.at ?? top, f);
  const { node, bad, total, example } = found;
  const at = originNear(info, node);
  const forward = info.model.train.loss ? toposort([info.model.train.loss]).includes(node) : true;
  const name = info.names.get(node);
  const label = `${name !== undefined ? `\`${name}\` (op \`${node.op}\`)` : `op \`${node.op}\``}`;
  const message =
    `${head}; the first value that is not finite is ${label} ` +
    `${forward ? "in the forward pass" : "in the backward pass (a gradient)"}: ` +
    `${bad} of ${total} element${total === 1 ? "" : "s"} (e.g. ${example}` +
    (Number.isFinite(example) ? ", beyond the float32 range)" : ")");
  return dataError("NN7001", at ?? top, message, at?.text ?? "");
}

/** The interpreter finds every value finite: float32's fault, with evidence, or nnc's. */
function finiteInInterpreter(head: string, top: At, f: Failure): NnError {
  const inF64 = f.dtype === "f64" ? false : f.stepInF64();
  if (inF64)
    return dataError(
      "NN7001",
      top,
      `${head}; every value of the step is finite in f64, both in the reference interpreter and in ` +
        "this model compiled with --dtype f64, so float32's range or precision is what fails: " +
        "train with --dtype f64, or with a smaller --lr",
    );
  return dataError(
    "NN9000",
    top,
    `internal compiler error: ${head}, but the reference interpreter finds every value of the ` +
      `step finite${f.dtype === "f32" ? " (and the model compiled in f64 fails too)" : ""}: the ` +
      "generated code computes something else than the graph; please report it with the model and the data",
  );
}

function firstNonFinite(info: GraphInfo, f: Failure) {
  const roots = rootsOf(info.model, info.grads);
  const values = interpret(roots, { values: f.values, dims: f.dims });
  const limit = f.dtype === "f32" ? f32Max : Infinity;
  for (const node of toposort(roots)) {
    const data = values.get(node)?.data;
    if (!data) continue;
    let bad = 0;
    let example = 0;
    for (let i = 0; i < data.length; i++) {
      const v = data[i]!;
      if (!Number.isFinite(v) || Math.abs(v) > limit) {
        if (bad === 0) example = v;
        bad++;
      }
    }
    if (bad > 0) return { node, bad, total: data.length, example };
  }
  return undefined;
}

/** The node's own `.nn` line, or the nearest one among what it is computed from. */
function originNear(info: GraphInfo, node: Node): Origin | undefined {
  const seen = new Set<Node>();
  const queue = [node];
  while (queue.length > 0) {
    const n = queue.shift()!;
    const o = info.origins.get(n);
    if (o) return o;
    for (const x of n.inputs)
      if (!seen.has(x)) {
        seen.add(x);
        queue.push(x);
      }
  }
  return undefined;
}
