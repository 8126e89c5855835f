// The schedule: which nodes each generated function computes, which tensor nodes are fused into
// their consumer's loop, which scalars are inlined into their consumer's expression, which
// reshapes alias their input's buffer, and the name of every value.
import { isScalar, nameOf, sameShape, type Dim, type Node, type Shape } from "../ir/node.ts";
import type { Leaf, ModelIR } from "../ir/model.ts";
import { toposort } from "../ir/toposort.ts";
import { bindingOrder } from "../ir/dims.ts";
import { registry } from "../ops/index.ts";
import { lit } from "../ops/op.ts";
import { Namer } from "./names.ts";

export interface GradTarget {
  name: string;
  kind: "param" | "input" | "target";
  /** the gradient's IR node */
  node: Node;
}

export interface EmitOptions {
  dtype: "f32" | "f64";
  /** named dims baked into the code as literals */
  bind: Record<string, number>;
  grads: GradTarget[];
}

export type FnName = "forward" | "loss" | "grad" | "trainStep";

export interface FnPlan {
  name: FnName;
  /** every node the function computes, inputs before users */
  order: Node[];
  /** the inputs and targets it reads, in declaration order */
  feeds: Leaf[];
  training: boolean;
}

export class Plan {
  readonly namer = new Namer();
  readonly array: string;
  readonly fns: Record<FnName, FnPlan>;
  /** every node of every function, in one topological order */
  readonly all: Node[];
  readonly roots = new Set<Node>();
  readonly fused = new Set<Node>();
  readonly inlined = new Set<Node>();
  /** reshape (tensor to tensor) -> the node whose buffer it shares */
  readonly alias = new Map<Node, Node>();
  readonly names = new Map<Node, string>();
  /** scalar params and state: the length-1 array that stores them */
  readonly storage = new Map<Node, string>();
  readonly dimVars = new Map<string, string>();
  readonly capVars = new Map<string, string>();
  readonly paramGrads: GradTarget[];

  constructor(
    readonly model: ModelIR,
    readonly opts: EmitOptions,
  ) {
    this.array = opts.dtype === "f32" ? "Float32Array" : "Float64Array";
    this.paramGrads = opts.grads.filter((g) => g.kind === "param");
    const train = model.train;
    const lossRoots = train.loss ? [train.loss] : [];
    const gradRoots = [...lossRoots, ...opts.grads.map((g) => g.node)];
    const stepRoots = [
      ...lossRoots,
      ...this.paramGrads.map((g) => g.node),
      ...train.stateUpdates.map((u) => u.node),
    ];
    const inferRoots = model.infer.outputs.map((o) => o.node);
    this.fns = {
      forward: this.fn("forward", inferRoots, false),
      loss: this.fn("loss", lossRoots, true),
      grad: this.fn("grad", gradRoots, true),
      trainStep: this.fn("trainStep", stepRoots, true),
    };
    for (const r of [...inferRoots, ...gradRoots, ...stepRoots]) this.roots.add(r);
    this.all = toposort([...inferRoots, ...gradRoots, ...stepRoots]);
    for (const d of model.dims) {
      if (opts.bind[d] !== undefined) continue;
      this.dimVars.set(d, this.namer.fresh(`n_${d}`));
      this.capVars.set(d, this.namer.fresh(`cap_${d}`));
    }
    this.schedule();
    this.nameNodes();
  }

  private fn(name: FnName, roots: Node[], training: boolean): FnPlan {
    const order = toposort(roots);
    const used = new Set(order);
    const data = [...this.model.inputs, ...this.model.targets];
    let feeds = data.filter((l) => used.has(l.node));
    // the named dims the function's values are sized by, or read as numbers (`dim(x, 0)`)
    const needed = new Set<string>();
    for (const n of order) {
      const dims = n.op === "dimsize" ? [...n.shape, ...(n.attrs["dims"] as Dim[])] : n.shape;
      for (const d of dims)
        if (typeof d === "string" && this.opts.bind[d] === undefined) needed.add(d);
    }
    const binding = bindingOrder(feeds, (d) => this.opts.bind[d] !== undefined);
    for (const b of binding.order) if (b.binds !== undefined) needed.delete(b.binds);
    // data the function does not use is still read where it gives the size of a named dim
    if (binding.stuck.length > 0 || needed.size > 0)
      feeds = data.filter(
        (l) =>
          used.has(l.node) ||
          ((training || l.node.attrs["role"] !== "target") &&
            l.shape.some((d) => typeof d === "string")),
      );
    return { name, order, feeds, training };
  }

  /** Decides fusion, inlining and aliasing from each node's consumers over all functions. */
  private schedule(): void {
    const consumers = new Map<Node, Node[]>();
    for (const n of this.all)
      for (const x of n.inputs) consumers.set(x, [...(consumers.get(x) ?? []), n]);
    // how deeply the expression computing each node nests the ones computed inside it
    const depth = new Map<Node, number>();
    const inside = (x: Node) => this.fused.has(x) || this.inlined.has(x);
    for (const n of this.all) {
      const users = consumers.get(n) ?? [];
      if (n.op === "reshape" && !isScalar(n.shape) && !isScalar(n.inputs[0]!.shape))
        this.alias.set(n, n.inputs[0]!);
      if (registry[n.op].kind !== "elementwise" || this.roots.has(n)) continue;
      const d = 1 + Math.max(0, ...n.inputs.map((x) => (inside(x) ? depth.get(x)! : 0)));
      depth.set(n, d);
      // a long chain is cut into statements, so the code stays readable and parseable
      if (d >= MAX_NESTING) continue;
      if (isScalar(n.shape)) {
        const only = users.length === 1 ? users[0]! : undefined;
        if (only && nameOf(n) === undefined && isScalar(only.shape) && isElementwise(only))
          this.inlined.add(n);
      } else if (users.length > 0 && (users.length === 1 || n.op === "expand")) {
        if (users.every((u) => loopsOver(u, n))) this.fused.add(n);
      }
    }
  }

  private nameNodes(): void {
    const leaves = [...this.model.inputs, ...this.model.targets, ...this.model.params];
    for (const l of [...leaves, ...this.model.state]) this.setName(l.node, l.name);
    for (const g of this.opts.grads) this.setName(g.node, `d_${g.name}`);
    for (const n of this.all) {
      if (n.op === "const" || n.op === "dimsize") continue;
      if (this.fused.has(n) || this.inlined.has(n) || this.alias.has(n)) continue;
      this.setName(n, nameOf(n) ?? `${n.op}${n.id}`);
    }
    for (const l of [...this.model.params, ...this.model.state])
      if (isScalar(l.shape)) this.storage.set(l.node, this.namer.fresh(`${l.name}_store`));
  }

  private setName(node: Node, name: string): void {
    if (!this.names.has(node)) this.names.set(node, this.namer.fresh(name));
  }

  /** The identifier of a materialized value: a buffer, or a scalar local. */
  nameOf(node: Node): string {
    const owner = this.alias.get(node);
    if (owner) return this.nameOf(owner);
    const name = this.names.get(node);
    if (name === undefined) throw new Error(`internal: node ${node.key} has no name`);
    return name;
  }

  /** A dim's size: a literal, or the variable holding it. */
  dim(d: Dim, capacity = false): string {
    if (typeof d === "number") return lit(d);
    const bound = this.opts.bind[d];
    if (bound !== undefined) return lit(bound);
    const v = (capacity ? this.capVars : this.dimVars).get(d);
    if (v === undefined) throw new Error(`internal: unknown dim ${d}`);
    return v;
  }

  /** The element count of `shape` as an expression (a product of a literal and dim variables). */
  size(shape: Shape, capacity = false): string {
    let fixed = 1;
    const vars: string[] = [];
    for (const d of shape) {
      const s = this.dim(d, capacity);
      if (/^[0-9]+$/.test(s)) fixed *= Number(s);
      else vars.push(s);
    }
    if (vars.length === 0) return lit(fixed);
    return (fixed === 1 ? vars : [lit(fixed), ...vars]).join(" * ");
  }

  isStatic(shape: Shape): boolean {
    return shape.every((d) => typeof d === "number" || this.opts.bind[d] !== undefined);
  }
}

/** The most elementwise ops one generated expression nests. */
const MAX_NESTING = 64;

export function isElementwise(n: Node): boolean {
  return registry[n.op].kind === "elementwise";
}

/** Whether `user` runs a loop over exactly `n`'s shape in which `n` can be computed inline. */
function loopsOver(user: Node, n: Node): boolean {
  if (isElementwise(user)) return sameShape(user.shape, n.shape);
  return registry[user.op].kind === "reduce";
}
