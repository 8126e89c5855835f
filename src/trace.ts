// One forward and backward pass over the IR in f64, every node with its value and its adjoint, as
// in a backprop diagram; then the params after one training step of the generated module.
import type { Compiled } from "./compile.ts";
import { gradients } from "./autodiff/grad.ts";
import { interpret } from "./ir/interpret.ts";
import { record } from "./ir/keys.ts";
import { nameOf, shapeToString, type Node } from "./ir/node.ts";
import { toposort } from "./ir/toposort.ts";
import { NnError } from "./diagnostics.ts";
import type { Tensor } from "./ops/index.ts";

/** The leaves' values for a trace: `--at`'s, or the params' initial values from `seed`. */
export function traceValues(compiled: Compiled, at: Map<string, number>, seed: number) {
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

export function traceModel(compiled: Compiled, at: Map<string, number>, seed: number): string {
  const { model } = compiled;
  const loss = model.train.loss;
  const { values, dims, model: m } = traceValues(compiled, at, seed);
  const nodes = toposort([loss!, ...model.train.outputs.map((o) => o.node)]);
  const forward = interpret(nodes, { values, dims });
  const adjoints = gradients(loss!, nodes);
  const backward = interpret([...adjoints.values()], { values, dims });

  const rows = nodes
    .filter((n) => n.op !== "const" && n.op !== "dimsize")
    .map((n) => [
      label(n),
      describe(n),
      show(forward.get(n)!),
      show(backward.get(adjoints.get(n)!)!),
    ]);
  const header = ["node", "op", "value", "gradient"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    r.map((c, i) => (i >= 2 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join("  ");
  const text = [
    `model ${model.name}: forward values and gradients of the loss (f64)`,
    line(header),
    line(widths.map((w) => "-".repeat(w))),
    ...rows.map(line),
  ];

  const feed = record(
    [...model.inputs, ...model.targets].map((l) => {
      const v = values.get(l.name) as number[];
      return [l.name, l.shape.length === 0 ? v[0]! : v] as const;
    }),
  );
  if (!model.inputs.concat(model.targets).some((l) => l.shape.some((d) => typeof d === "string"))) {
    const before = m.trainStep(feed);
    const opt = model.optimizer;
    text.push(
      "",
      `after one trainStep with ${opt.kind}(lr: ${opt.lr}) (loss before the step: ${fmt(before)}):`,
    );
    for (const p of model.params)
      text.push(`  ${p.name} = ${show(tensorOf(m.params[p.name] as ArrayLike<number>, p.shape))}`);
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

function label(n: Node): string {
  const name = leafOrName(n);
  return name ? `%${n.id} ${name}` : `%${n.id}`;
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

function show(t: Tensor): string {
  const items = Array.from(t.data.slice(0, 4), fmt);
  if (t.data.length === 1 && t.shape.length === 0) return items[0]!;
  return `[${items.join(", ")}${t.data.length > 4 ? `, ... (${t.data.length})` : ""}]`;
}
