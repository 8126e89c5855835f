// `nnc export --format onnx`: the optimized IR as an ONNX model (opset 17). The inference graph
// takes the model's inputs and gives its outputs, by their `.nn` names, with the params and state
// as initializers. With `training`, the graph is one training step instead: the training forward
// pass, nnc's symbolic backward graph and the optimizer's update, from (data, params, state,
// optimizer state, learning rate) to (loss, new params, new state), so that any ONNX runtime can
// train the model.
import type { GradTarget } from "../codegen/index.ts";
import { Diagnostics, NnError } from "../diagnostics.ts";
import type { Leaf, ModelIR } from "../ir/model.ts";
import { nameOf, originOf, shapeToString, type Node, type Shape } from "../ir/node.ts";
import { isInt } from "../ops/leaves.ts";
import { findFolds, needed } from "./onnx-fold.ts";
import { toposort } from "../ir/toposort.ts";
import { OnnxGraph } from "./onnx-graph.ts";
import { onnxOps } from "./onnx-ops.ts";
import { encodeModel, type ElemType } from "./onnx-proto.ts";
import { optimizerUpdate } from "./onnx-train.ts";
import { optimizerJson } from "./optimizer.ts";
import { exportError, type Weights } from "./weights.ts";

export interface OnnxOptions {
  /** export the training step instead of inference (whose params and state are inputs) */
  training?: boolean;
  /** the values of every param and state, by `.nn` name: the inference graph's initializers */
  weights?: Weights;
  dtype?: ElemType;
  /** named dims fixed in the graph (otherwise symbolic) */
  bind?: Readonly<Record<string, number>>;
}

/** Protobuf's limit on one message; an ONNX model, initializers and all, is one. */
const MAX_ONNX_BYTES = 2 ** 31 - 1;
/** Room for the graph around the initializers: its nodes, names and constants. */
const GRAPH_BYTES = 2 ** 24;

/**
 * The inference graph holds every param and state as an initializer: past protobuf's 2 GiB no
 * ONNX file can hold them. Checked from the shapes, before any value is made (NN8004, at the
 * largest); the training step, whose params are inputs, has no such bound.
 */
export function checkOnnxSize(model: ModelIR, options: OnnxOptions): void {
  if (options.training) return;
  const dtype = options.dtype ?? "f32";
  const leaves = [...model.params, ...model.state];
  const bytes = (l: Leaf) =>
    l.shape.reduce<number>((a, d) => a * (typeof d === "number" ? d : 1), dtype === "f64" ? 8 : 4);
  const total = leaves.reduce((a, l) => a + bytes(l), 0);
  if (total + GRAPH_BYTES <= MAX_ONNX_BYTES) return;
  const largest = leaves.reduce((a, b) => (bytes(b) > bytes(a) ? b : a));
  const count = (n: number) => n.toLocaleString("en-US");
  const { file, line, col } = largest.origin;
  const message =
    `the ONNX model would hold ${count(total)} bytes of params and state in ${dtype} ` +
    `(\`${largest.name}\` ${shapeToString(largest.shape)}: ${count(bytes(largest))}), and one ` +
    `ONNX file holds at most 2 GiB (protobuf's limit); ` +
    (dtype === "f64" ? "export with --dtype f32, or " : "") +
    "export the training step (--training), whose params are inputs";
  throw new NnError([{ file, line, col, code: "NN8004", message }], model.source);
}

/** The encoded ONNX model (export before compiling anything else: errors read the nodes' origins). */
export function exportOnnx(
  model: ModelIR,
  grads: readonly GradTarget[],
  options: OnnxOptions,
): Uint8Array {
  checkOnnxSize(model, options);
  const g = new OnnxGraph(options.dtype ?? "f32", options.bind ?? {});
  const doc = options.training
    ? trainingGraph(g, model, grads)
    : inferenceGraph(g, model, options.weights);
  const about = `nnc export of ${model.file}: model ${model.name}`;
  // the training step's rate is an input: the metadata says how nnc schedules it
  const metadata: Record<string, string> = options.training
    ? { "nnc:optimizer": optimizerJson(model.optimizer) }
    : {};
  return encodeModel(g.proto(model.name, doc), about, metadata);
}

function inferenceGraph(g: OnnxGraph, model: ModelIR, weights: Weights | undefined): string {
  const outputs = model.infer.outputs;
  if (outputs.length === 0)
    throw exportError(model, "NN8002", `the model \`${model.name}\` has no \`output\` to export`);
  const values = new Map<Node, string>();
  for (const leaf of model.inputs) values.set(leaf.node, dataInput(g, leaf));
  leafInitializers(g, [...model.params, ...model.state], weights, values);
  lowerAll(
    g,
    model,
    outputs.map((o) => o.node),
    values,
  );
  for (const o of outputs) g.output(o.name, values.get(o.node)!, bound(g, o.node.shape));
  return `inference of ${model.name}: inputs ${model.inputs.map((l) => l.name).join(", ")}`;
}

function trainingGraph(g: OnnxGraph, model: ModelIR, targets: readonly GradTarget[]): string {
  const loss = model.train.loss;
  if (!loss)
    throw exportError(
      model,
      "NN8003",
      `the model \`${model.name}\` has no \`loss\`: --training exports a training step, which needs one`,
    );
  const grads = new Map(targets.filter((t) => t.kind === "param").map((t) => [t.name, t.node]));
  const values = new Map<Node, string>();
  for (const leaf of [...model.inputs, ...model.targets]) values.set(leaf.node, dataInput(g, leaf));
  // params and state are inputs: the step is a function of them (weights are the caller's)
  for (const leaf of [...model.params, ...model.state])
    values.set(leaf.node, g.input(leaf.name, leaf.shape));
  const updates = model.train.stateUpdates;
  lowerAll(g, model, [loss, ...grads.values(), ...updates.map((u) => u.node)], values);
  g.output(stepOutputs.loss, values.get(loss)!, []);
  const value = (n: Node | undefined) => values.get(n!)!;
  const paramNodes = new Map(model.params.map((p) => [p.name, p.node]));
  const param = (name: string) => value(paramNodes.get(name));
  for (const u of optimizerUpdate(g, model, param, (name) => value(grads.get(name))))
    g.output(stepOutputs.next(u.name), u.value, u.shape);
  for (const u of updates) g.output(stepOutputs.next(u.name), value(u.node), u.node.shape);
  for (const [name, node] of grads) g.output(stepOutputs.grad(name), value(node), node.shape);
  return (
    `one training step of ${model.name} (${model.optimizer.kind}): ${stepOutputs.loss} is the ` +
    `loss before the step, ${stepOutputs.next("NAME")} the new value of the input NAME, ` +
    `${stepOutputs.grad("NAME")} the gradient; optimizer:lr is the step's learning rate, which ` +
    `the caller schedules (metadata nnc:optimizer)`
  );
}

/**
 * The training step's output names, disjoint by construction: each kind has a prefix of its own,
 * followed by the name of an input (inputs' names are unique) or by nothing. A param named `loss`
 * gives `step:loss`, which the loss is not.
 */
export const stepOutputs = {
  loss: "train:loss",
  /** the new value of the input `input` (a param, a piece of state or of optimizer state) */
  next: (input: string) => `step:${input}`,
  grad: (param: string) => `grad:${param}`,
};

/** Params and state as initializers named after them. */
function leafInitializers(
  g: OnnxGraph,
  leaves: Leaf[],
  weights: Weights | undefined,
  values: Map<Node, string>,
) {
  for (const leaf of leaves) {
    const data = weights?.get(leaf.name);
    if (!data) throw new Error(`internal: no value for \`${leaf.name}\``);
    values.set(leaf.node, g.initializer(leaf.name, leaf.shape as number[], data));
  }
}

/** Lowers every node `roots` need, in topological order, through the folds and the op table. */
function lowerAll(g: OnnxGraph, model: ModelIR, roots: Node[], values: Map<Node, string>): void {
  const order = toposort(roots);
  const folds = findFolds(order, roots);
  const used = needed(roots, folds);
  const diags = new Diagnostics(model.source);
  for (const node of order) {
    if (values.has(node) || !used.has(node)) continue;
    if (node.op === "const") {
      values.set(node, g.scalar(node.attrs["value"] as number));
      continue;
    }
    const fold = folds.get(node);
    if (fold) {
      const args = fold.inputs.map((x) => values.get(x)!);
      values.set(node, fold.lower(g, args, hintOf(node)));
      continue;
    }
    const row = onnxOps[node.op];
    if ("unsupported" in row) {
      const at = originOf(node) ?? { file: model.file, line: 1, col: 1 };
      diags.error(
        "NN8001",
        at,
        `ONNX export cannot write the op \`${node.op}\` (${row.unsupported})`,
      );
      continue;
    }
    const args = node.inputs.map((i) => values.get(i)!);
    values.set(node, row(g, node, args, hintOf(node)));
  }
  diags.throwIfAny();
}

function hintOf(node: Node): string {
  return nameOf(node) ?? node.op;
}

/** An input or target as a graph input: int64 where the `.nn` declares it `int`. */
function dataInput(g: OnnxGraph, leaf: Leaf): string {
  return g.input(leaf.name, bound(g, leaf.shape), isInt(leaf.node));
}

/** A shape with the dims fixed by `--bind` written as numbers. */
function bound(g: OnnxGraph, shape: Shape): Shape {
  return shape.map((d) => (typeof d === "string" && g.bind[d] !== undefined ? g.bind[d] : d));
}
