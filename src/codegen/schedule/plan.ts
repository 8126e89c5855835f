// The schedule: which nodes each generated function computes, which tensor nodes are fused into
// their consumer's loop, which scalars are inlined into their consumer's expression, which
// reshapes alias their input's buffer, and the name of every value.
import { isScalar, nameOf, sameShape, type Dim, type Node, type Shape } from "../../ir/node.ts";
import { indexBounds, type Leaf, type ModelIR } from "../../ir/model.ts";
import { registry } from "../../ops/index.ts";
import { lit } from "../../ops/op.ts";
import { matchEpilogue, type Epilogue } from "./epilogue.ts";
import { Namer } from "./names.ts";
import { roleName } from "./roles.ts";
import { concatenated, feedsOf, Orders, type Ordered } from "./orders.ts";

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

export type { Epilogue } from "./epilogue.ts";

export type FnName = "forward" | "loss" | "grad" | "trainStep";

export interface FnPlan {
  name: FnName;
  /** every node the function computes, inputs before users */
  order: Node[];
  /** the same nodes, as a set */
  nodes: ReadonlySet<Node>;
  /** the inputs and targets it reads, in declaration order */
  feeds: Leaf[];
  training: boolean;
}

export class Plan {
  /** names from the source, and names derived from them */
  readonly namer = new Namer("");
  /** the compiler's own names, all starting with `$` */
  readonly sys = new Namer("$");
  readonly array: string;
  readonly fns: Record<FnName, FnPlan>;
  /** every node of every function, in one topological order */
  readonly all: Node[];
  readonly roots = new Set<Node>();
  readonly fused = new Set<Node>();
  readonly inlined = new Set<Node>();
  /** reshape (tensor to tensor) -> the node whose buffer it shares */
  readonly alias = new Map<Node, Node>();
  /** an elementwise node computed in the store of the matrix product it reads (`relu(x @ W + b)`) */
  readonly epilogues = new Map<Node, Epilogue>();
  readonly names = new Map<Node, string>();
  /** a buffer named after the reshape that views it (`d_c2`, the flatten's input gradient) */
  readonly viewedAs = new Map<Node, Node>();
  /** the name of each materialized value as the source writes it (`d_h.dense.W`), for comments */
  readonly sourceNames = new Map<Node, string>();
  /** scalar params and state: the length-1 array that stores them */
  readonly storage = new Map<Node, string>();
  readonly dimVars = new Map<string, string>();
  readonly capVars = new Map<string, string>();
  readonly paramGrads: GradTarget[];
  /**
   * Whether the numbers the functions compute are declared in createModel's scope (and assigned
   * in the functions) rather than as their locals: an engine gives each local a slot of the
   * function's stack frame, and past about 100,000 (V8's 1 MB stack) calling it overflows.
   */
  readonly hoisted: boolean;
  private readonly constants = new Set<Node>();
  /** the names values read by in the math, so that derived ones stay apart */
  private readonly mathTaken = new Set<string>();
  private readonly binds: Map<string, number>;

  constructor(
    readonly model: ModelIR,
    readonly opts: EmitOptions,
  ) {
    this.binds = new Map(Object.entries(opts.bind));
    this.array = opts.dtype === "f32" ? "Float32Array" : "Float64Array";
    this.paramGrads = opts.grads.filter((g) => g.kind === "param");
    const train = model.train;
    const lossRoots = train.loss ? [train.loss] : [];
    // the last layer's gradients first, as backpropagation reaches them
    const gradRoots = [...lossRoots, ...opts.grads.map((g) => g.node).reverse()];
    const stepRoots = [
      ...lossRoots,
      ...this.paramGrads.map((g) => g.node).reverse(),
      ...train.stateUpdates.map((u) => u.node),
    ];
    const inferRoots = model.infer.outputs.map((o) => o.node);
    // the longest root lists first: the loss's order is the start of the gradient's
    const orders = new Orders();
    const [grad, step] = [orders.of(gradRoots), orders.of(stepRoots)];
    const [loss, infer] = [orders.of(lossRoots), orders.of(inferRoots)];
    const gradFn = this.fn("grad", grad, true);
    this.fns = {
      forward: this.fn("forward", infer, false),
      loss: this.fn("loss", loss, true),
      grad: gradFn,
      trainStep:
        step === grad ? { ...gradFn, name: "trainStep" } : this.fn("trainStep", step, true),
    };
    for (const r of [...inferRoots, ...gradRoots, ...stepRoots]) this.roots.add(r);
    // toposort([...inferRoots, ...gradRoots, ...stepRoots])
    this.all = concatenated([infer, grad, step]);
    for (const d of model.dims) {
      if (this.bound(d) !== undefined) continue;
      this.dimVars.set(d, this.namer.fresh(`n_${d}`));
      this.capVars.set(d, this.namer.fresh(`cap_${d}`));
    }
    for (const n of this.all) {
      const leaf = n.op === "const" || n.op === "dimsize";
      if (
        leaf ||
        (isScalar(n.shape) && n.inputs.length > 0 && n.inputs.every((x) => this.constants.has(x)))
      )
        this.constants.add(n);
    }
    this.schedule();
    this.fuseEpilogues();
    this.nameNodes();
    this.hoisted = Object.values(this.fns).some((f) => this.locals(f.order) > MAX_LOCALS);
  }

  /** The numbers among `order` that a function would hold in locals. */
  private locals(order: readonly Node[]): number {
    let n = 0;
    for (const x of order) if (isScalar(x.shape) && this.materialized(x)) n++;
    return n;
  }

  private fn(name: FnName, ordered: Ordered, training: boolean): FnPlan {
    const feeds = feedsOf(this.model, ordered, training, (d) => this.bound(d) !== undefined);
    return { name, order: ordered.order, nodes: ordered.nodes, feeds, training };
  }

  /** Decides fusion, inlining and aliasing from each node's consumers over all functions. */
  private schedule(): void {
    // the users of each node that may be fused or inlined (elementwise ones), in order
    const consumers = new Map<Node, Node[]>();
    for (const n of this.all)
      for (const x of n.inputs) {
        if (!isElementwise(x) || this.roots.has(x)) continue;
        const list = consumers.get(x);
        if (list) list.push(n);
        else consumers.set(x, [n]);
      }
    // how deeply the expression computing each node nests the ones computed inside it
    const depth = new Map<Node, number>();
    // how many nodes that expression holds
    const sizes = new Map<Node, number>();
    for (const n of this.all) {
      if (n.op === "reshape" && !isScalar(n.shape) && !isScalar(n.inputs[0]!.shape))
        this.alias.set(n, n.inputs[0]!);
      if (!isElementwise(n)) continue;
      this.limitSize(n, sizes);
      if (this.roots.has(n)) continue;
      let d = 1;
      for (const x of n.inputs)
        if (this.fused.has(x) || this.inlined.has(x)) d = Math.max(d, 1 + depth.get(x)!);
      depth.set(n, d);
      // a long chain is cut into statements, so the code stays readable and parseable
      if (d >= MAX_NESTING) continue;
      this.fuseOrInline(n, consumers.get(n) ?? []);
    }
  }

  /**
   * Keeps the expression computing `n` within MAX_FUSED nodes, so that no kernel takes more
   * arguments or holds more code than engines accept (V8: 65,535 params for a JS function, 1,000
   * for a wasm one): its largest fused or inlined inputs are computed apart first.
   */
  private limitSize(n: Node, sizes: Map<Node, number>): void {
    const inside = (x: Node) => this.fused.has(x) || this.inlined.has(x);
    const sizeIn = (x: Node) => (inside(x) ? sizes.get(x)! : 1);
    const sizeOf = () => n.inputs.reduce((sum, x) => sum + sizeIn(x), 1);
    let size = sizeOf();
    while (size > MAX_FUSED) {
      const largest = n.inputs.reduce((a, b) => (sizeIn(b) > sizeIn(a) ? b : a));
      this.fused.delete(largest);
      this.inlined.delete(largest);
      size = sizeOf();
    }
    sizes.set(n, size);
  }

  /** A number used once, by a number, is inlined; a tensor is fused into a loop over it. */
  private fuseOrInline(n: Node, users: Node[]): void {
    if (isScalar(n.shape)) {
      const only = users.length === 1 ? users[0]! : undefined;
      if (only && nameOf(n) === undefined && isScalar(only.shape) && isElementwise(only))
        this.inlined.add(n);
    } else if (users.length > 0 && (users.length === 1 || n.op === "expand")) {
      if (users.every((u) => loopsOver(u, n))) this.fused.add(n);
    }
  }

  /**
   * A dense layer's bias, per-column scale (a batchnorm folded into it) and activation, and a
   * convolution's bias and activation, are applied as the product is stored, so the product never
   * goes to memory on its own.
   */
  private fuseEpilogues(): void {
    // the users of each product (an epilogue needs one); none: no epilogue to look for
    const users = new Map<Node, number>();
    for (const n of this.all)
      for (const x of n.inputs)
        if (x.op === "matmul" || x.op === "conv2d") users.set(x, (users.get(x) ?? 0) + 1);
    if (users.size === 0) return;
    const fused = (x: Node) => this.fused.has(x);
    for (const n of this.all) {
      if (!this.materialized(n) || !isElementwise(n)) continue;
      const e = matchEpilogue(n, fused);
      if (!e || users.get(e.product) !== 1 || this.roots.has(e.product)) continue;
      if (!sameShape(e.product.shape, n.shape) || !oneProduct(e.product)) continue;
      this.epilogues.set(n, e);
      this.fused.add(e.product);
      // a per-column vector computed inline (a folded batchnorm's shift) gets a buffer of its own
      for (const v of [e.scale, e.shift]) if (v) this.fused.delete(v);
    }
  }

  /**
   * Names, most telling first: the source's own names (leaves, then statements), the gradients
   * (`d_h.W`), then values named after their statement and role (`h_pre`, `h_relu`): the forward
   * pass's first, so that a gradient reads the name of its value (`d_h_relu`).
   */
  private nameNodes(): void {
    const leaves = [...this.model.inputs, ...this.model.targets, ...this.model.params];
    for (const l of [...leaves, ...this.model.state]) this.setName(l.node, l.name);
    // the training functions first: where the forward and the training graph each hold a
    // value of the same name (`z` after a batchnorm), the one the gradient code reads gets it
    const f = this.fns;
    const order = new Set<Node>();
    for (const list of new Set([f.grad.order, f.trainStep.order, f.loss.order, this.all]))
      for (const n of list) if (this.materialized(n)) order.add(n);
    for (const n of order) {
      const name = nameOf(n);
      if (name !== undefined) this.setName(n, name);
    }
    for (const g of this.opts.grads) this.setName(g.node, `d_${g.name}`);
    // a reshape the source names names the buffer it shares when that has no name of its own
    // (`d_c2`, the gradient of a flatten's input, is the product that computes it)
    for (const [a] of this.alias) {
      const owner = this.storageOf(a);
      const name = nameOf(a);
      if (name !== undefined && !this.names.has(owner)) {
        this.setName(owner, name);
        this.viewedAs.set(owner, a);
      }
    }
    const forward = new Set([...f.loss.order, ...f.forward.order]);
    for (const pass of [true, false])
      for (const n of order)
        if (forward.has(n) === pass && !this.names.has(n)) this.setName(n, this.mathName(n));
    for (const l of [...this.model.params, ...this.model.state])
      if (isScalar(l.shape)) this.storage.set(l.node, this.namer.fresh(`${l.name}_store`));
  }

  /**
   * The name a value reads by in the math and comments: its own, or one made by its role, made
   * unique among them (`h_pre`, `h_pre_2` for the second dense layer of a statement). Given to
   * values computed inside others' loops too, since their gradients are named after them.
   */
  private mathName(n: Node): string {
    const known = this.sourceNames.get(n);
    if (known !== undefined) return known;
    const base = roleName(
      n,
      (x) => this.isConstant(x),
      (x) => this.mathName(x),
    );
    let name = base;
    for (let k = 2; this.mathTaken.has(name); k++) name = `${base}_${k}`;
    this.mathTaken.add(name);
    this.sourceNames.set(n, name);
    return name;
  }

  private materialized(n: Node): boolean {
    if (n.op === "const" || n.op === "dimsize") return false;
    return !this.fused.has(n) && !this.inlined.has(n) && !this.alias.has(n);
  }

  private setName(node: Node, name: string): void {
    if (this.names.has(node)) return;
    this.names.set(node, this.namer.fresh(name));
    this.sourceNames.set(node, name);
    this.mathTaken.add(name);
  }

  /** The name of a materialized value as the source would write it (`d_h.W`, `h_pre`). */
  sourceName(node: Node): string {
    const owner = this.alias.get(node);
    if (owner) return this.sourceName(owner);
    return this.sourceNames.get(node) ?? this.nameOf(node);
  }

  /** A number computed from constants and sizes alone (`1 / batch`), which math shows inline. */
  isConstant(node: Node): boolean {
    return this.constants.has(node);
  }

  /**
   * How many rows or classes an int input's values may name (0 <= i < bound): the fewest any of
   * its uses allows; undefined where nothing reads it as an index.
   */
  indexBound(leaf: Node): number | undefined {
    this.bounds ??= indexBounds(this.all);
    return this.bounds.get(leaf);
  }
  private bounds: Map<Node, number> | undefined;

  /** The typed array a materialized value lives in: Int32Array for integers (indices). */
  arrayOf(node: Node): string {
    return this.storageOf(node).attrs["dtype"] === "int" ? "Int32Array" : this.array;
  }

  /** The node whose buffer holds `node`'s values (a reshape shares its input's). */
  storageOf(node: Node): Node {
    for (let a = this.alias.get(node); a !== undefined; a = this.alias.get(node)) node = a;
    return node;
  }

  /** A shape with the bound dims as their sizes; the other named dims stay names. */
  dims(shape: Shape): Dim[] {
    return shape.map((d) => (typeof d === "number" ? d : (this.bound(d) ?? d)));
  }

  /** The identifier of a materialized value: a buffer, or a scalar local. */
  nameOf(node: Node): string {
    const owner = this.alias.get(node);
    if (owner) return this.nameOf(owner);
    const name = this.names.get(node);
    if (name === undefined) throw new Error(`internal: node ${node.key} has no name`);
    return name;
  }

  /** The materialized tensors an expression tree rooted at `node` reads. */
  reads(node: Node, out: Node[] = []): Node[] {
    if (isScalar(node.shape)) return out;
    if (this.fused.has(node)) node.inputs.forEach((x) => this.reads(x, out));
    else out.push(node);
    return out;
  }

  /** The size a named dim is bound to (`--bind`), if it is; any name is a key, `constructor` too. */
  bound(d: string): number | undefined {
    return this.binds.get(d);
  }

  /** A dim's size: a literal, or the variable holding it. */
  dim(d: Dim, capacity = false): string {
    if (typeof d === "number") return lit(d);
    const bound = this.bound(d);
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
    return shape.every((d) => typeof d === "number" || this.bound(d) !== undefined);
  }
}

/**
 * Whether a product is one matrix product in its kernel, its rows those of every matrix of the
 * batch (x @ W for x [..., m, k]): an epilogue then applies per column as it is stored.
 */
function oneProduct(mm: Node): boolean {
  if (mm.op !== "matmul") return true;
  if (mm.shape.length === 2 && mm.attrs["fold"] !== true) return true;
  return mm.attrs["fold"] !== true && mm.attrs["ta"] !== true && mm.inputs[1]!.shape.length === 2;
}

/** The most elementwise ops one generated expression nests. */
const MAX_NESTING = 64;
/** The most nodes (ops, reads of tensors, scalars and constants) one generated expression holds. */
export const MAX_FUSED = 256;
/** The most numbers one generated function holds in locals (beyond, they are hoisted). */
export const MAX_LOCALS = 4096;

export function isElementwise(n: Node): boolean {
  return registry[n.op].kind === "elementwise";
}

/** Whether `user` runs a loop over exactly `n`'s shape in which `n` can be computed inline. */
function loopsOver(user: Node, n: Node): boolean {
  if (isElementwise(user)) return sameShape(user.shape, n.shape);
  return registry[user.op].kind === "reduce";
}
