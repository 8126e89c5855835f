// One forward and backward pass over the IR in f64, every node with its value and its adjoint, as
// in a backprop diagram; then the params after one training step of the generated module.
import { inCompilation, type Compiled } from "./compile.ts";
import { gradients } from "./autodiff/grad.ts";
import { interpret } from "./ir/interpret.ts";
import { record } from "./ir/keys.ts";
import { nameOf, originOf, shapeToString, type Node } from "./ir/node.ts";
import { toposort } from "./ir/toposort.ts";
import { NnError } from "./diagnostics.ts";
import type { Tensor } from "./ops/index.ts";

/** The leaves' values for a trace: `--at`'s, or the params' initial values from `seed`. */
export function traceValues(compiled: Compiled, at: ReadonlyMap<string, number>, seed: number) {
  const { model } = compiled;
  const fail = (message: string): never => {
    throw new NnError(
      [{ file: model.file, line: 1, col: 1, code: "NN5001", message }],
      model.source,
    );
  };
  if (!model.train.loss) fail(`model \`${model.name}\` has no loss to trace`);
  const known = new Set([...model.inputs, ...model.targets, ...model.params].map((l) => l.name));
  for (const name of at.keys())
    if (!known.has(name)) fail(`--at names \`${name}\`, which is not an input, target or param`);
  const bound = compiled.schedule.bind;
  const dims = record(model.dims.map((d) => [d, Object.hasOwn(bound, d) ? bound[d]! : 1]));
  const m = compiled.load().createModel({ seed });
  const values = new Map<string, ArrayLike<number> | number>();
  for (const leaf of [...model.inputs, ...model.targets]) {
    const v = at.get(leaf.name);
    if (v === undefined)
      fail(`trace needs a value for \`${leaf.name}\`: add --at ${leaf.name}=NUMBER`);
    values.set(leaf.name, filled(leaf.shape, dims, v!));
  }
  for (const p of model.params) {
    const v = at.get(p.name);
    values.set(
      p.name,
      v === undefined
        ? Array.from(m.params[p.name] as ArrayLike<number>)
        : filled(p.shape, dims, v),
    );
  }
  for (const s of model.state) values.set(s.name, Array.from(m.state[s.name] as ArrayLike<number>));
  return { values, dims, model: m };
}

/** One node of a trace: what it computes, its value and the loss's gradient with respect to it. */
export interface TraceNode {
  /** the node's number in the IR (`%7`) */
  id: number;
  op: string;
  /** the source's name for it (`w0`, `f`), if it has one */
  name?: string;
  /** for leaves: input, target, param, state (or dimsize, dropout_mask) */
  role?: string;
  /** the ids of its inputs */
  inputs: number[];
  /** the value of a `const` node */
  constant?: number;
  /** the shape, with named dims bound as the trace bound them (1 unless given) */
  shape: number[];
  /** `mul(w0, x0)`, `param scalar` */
  text: string;
  /** the `.nn` line it comes from */
  line?: number;
  /** row-major, f64 */
  value: Float64Array;
  /** the gradient of the loss with respect to it, row-major, f64 */
  gradient: Float64Array;
}

/** A forward and backward pass over a model's graph, and one optimizer step of its module. */
export interface Trace {
  model: string;
  /** in topological order, from the leaves to the loss (constants included) */
  nodes: TraceNode[];
  /** the id of the loss's node */
  loss: number;
  /** one trainStep of the generated module from the same values, where no dim is named */
  step?: {
    optimizer: { kind: string; lr: number };
    /** the loss before the step */
    loss: number;
    /** every param after the step */
    params: Record<string, Float64Array>;
  };
}

/**
 * Every node's value and gradient, in f64, as in a backprop diagram (`nnc trace`): the inputs and
 * targets from `at`, the params from `at` or initialized from `seed`. The graph is the one
 * `compiled` holds: compile with `fuse: false` to see it gate by gate as written, with
 * `dtype: "f64"` for a step in f64.
 */
export function trace(compiled: Compiled, at: ReadonlyMap<string, number>, seed = 1): Trace {
  return inCompilation(compiled, () => traceOf(compiled, at, seed));
}

function traceOf(compiled: Compiled, at: ReadonlyMap<string, number>, seed: number): Trace {
  const { model } = compiled;
  const loss = model.train.loss!;
  const { values, dims, model: m } = traceValues(compiled, at, seed);
  const nodes = toposort([loss, ...model.train.outputs.map((o) => o.node)]);
  const forward = interpret(nodes, { values, dims });
  const adjoints = gradients(loss, nodes);
  const backward = interpret([...adjoints.values()], { values, dims });
  const result: Trace = {
    model: model.name,
    loss: loss.id,
    nodes: nodes.map((n) => traceNode(n, forward.get(n)!, backward.get(adjoints.get(n)!)!)),
  };
  const leaves = [...model.inputs, ...model.targets];
  if (leaves.some((l) => l.shape.some((d) => typeof d === "string"))) return result;
  const feed = record(
    leaves.map((l) => {
      const v = values.get(l.name) as number[];
      return [l.name, l.shape.length === 0 ? v[0]! : v] as const;
    }),
  );
  const before = m.trainStep(feed);
  const params = record(
    model.params.map(
      (p) => [p.name, Float64Array.from(m.params[p.name] as ArrayLike<number>)] as const,
    ),
  );
  const { kind, lr } = model.optimizer;
  return { ...result, step: { optimizer: { kind, lr }, loss: before, params } };
}

function traceNode(n: Node, value: Tensor, gradient: Tensor): TraceNode {
  const name = leafOrName(n);
  const role = n.attrs["role"];
  const line = originOf(n)?.line;
  return {
    id: n.id,
    op: n.op,
    ...(name !== undefined ? { name } : {}),
    ...(n.inputs.length === 0 && n.op !== "const"
      ? { role: typeof role === "string" ? role : n.op }
      : {}),
    inputs: n.inputs.map((x) => x.id),
    ...(n.op === "const" ? { constant: Number(n.attrs["value"]) } : {}),
    shape: value.shape,
    text: describe(n),
    ...(line !== undefined ? { line } : {}),
    value: value.data,
    gradient: gradient.data,
  };
}

/** `nnc trace`: the trace as a table, then the params after one step. */
export function traceModel(compiled: Compiled, at: Map<string, number>, seed: number): string {
  const t = trace(compiled, at, seed);
  const rows = t.nodes
    .filter((n) => n.op !== "const" && n.op !== "dimsize")
    .map((n) => [
      n.name !== undefined ? `%${n.id} ${n.name}` : `%${n.id}`,
      n.text,
      n.shape.length === 0 ? "" : `[${n.shape.join(", ")}]`,
      show({ data: n.value, shape: n.shape }),
      show({ data: n.gradient, shape: n.shape }),
    ]);
  // a model of numbers only has no shapes to show
  if (rows.every((r) => r[2] === "")) rows.forEach((r) => r.splice(2, 1));
  const header = ["node", "op", "shape", "value", "gradient"].filter(
    (h) => h !== "shape" || rows[0]?.length === 5,
  );
  // a reduction, not Math.max(...rows): a graph may have 100,000 nodes and more
  const widths = header.map((h, i) => rows.reduce((m, r) => Math.max(m, r[i]!.length), h.length));
  const line = (r: string[]) =>
    r
      .map((c, i) => (i >= header.length - 2 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join("  ");
  const text = [
    `model ${t.model}: forward values and gradients of the loss (f64)`,
    line(header),
    line(widths.map((w) => "-".repeat(w))),
    ...rows.map(line),
  ];
  if (t.step) {
    const { optimizer, loss } = t.step;
    text.push(
      "",
      `after one trainStep with ${optimizer.kind}(lr: ${optimizer.lr}) (loss before the step: ${fmt(loss)}):`,
    );
    for (const p of compiled.model.params)
      text.push(`  ${p.name} = ${show(tensorOf(t.step.params[p.name]!, p.shape))}`);
  }
  return text.join("\n");
}

function filled(
  shape: readonly (number | string)[],
  dims: Record<string, number>,
  v: number,
): number[] {
  const n = shape.reduce<number>((a, d) => a * (typeof d === "number" ? d : dims[d]!), 1);
  return new Array<number>(n).fill(v);
}

function tensorOf(a: ArrayLike<number>, shape: readonly (number | string)[]): Tensor {
  return { data: Float64Array.from(a), shape: shape.map((d) => (typeof d === "number" ? d : 1)) };
}

function leafOrName(n: Node): string | undefined {
  return (
    nameOf(n) ?? (typeof n.attrs["name"] === "string" ? (n.attrs["name"] as string) : undefined)
  );
}

function describe(n: Node): string {
  if (n.inputs.length === 0) return `${String(n.attrs["role"] ?? n.op)} ${shapeToString(n.shape)}`;
  const arg = (x: Node) =>
    x.op === "const" ? String(x.attrs["value"]) : (leafOrName(x) ?? `%${x.id}`);
  return `${n.op}(${n.inputs.map(arg).join(", ")})`;
}

function fmt(x: number): string {
  return Math.abs(x) >= 1e4 || (Math.abs(x) < 1e-3 && x !== 0) ? x.toExponential(3) : x.toFixed(4);
}

/** Up to 6 values in full; a larger tensor (an image, a kernel) by its smallest, mean and largest. */
function show(t: Tensor): string {
  if (t.data.length === 1 && t.shape.length === 0) return fmt(t.data[0]!);
  if (t.data.length <= 6) return `[${Array.from(t.data, fmt).join(", ")}]`;
  let [lo, hi, total] = [Infinity, -Infinity, 0];
  for (const v of t.data) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
    total += v;
  }
  return `min ${fmt(lo)} mean ${fmt(total / t.data.length)} max ${fmt(hi)}`;
}
