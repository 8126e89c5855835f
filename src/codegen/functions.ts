// The four entry points of a model (forward, loss, grad, trainStep): read and check the feed, bind
// the named dims, then compute the function's nodes in topological order, scalars as local
// constants and tensors by calling their kernels, each statement under its `.nn` source line.
import { isScalar, originOf, shapeToString, type Node, type Shape } from "../ir/node.ts";
import type { Leaf } from "../ir/model.ts";
import { bindingOrder } from "../ir/dims.ts";
import { registry } from "../ops/index.ts";
import type { Kernels } from "./kernels.ts";
import { commentText, str } from "./names.ts";
import type { FnPlan, Plan } from "./plan.ts";

export interface FnCode {
  lines: string[];
  /** the kernels it calls, in order */
  kernels: string[];
}

export class Functions {
  private readonly feedNames = new Map<Leaf, string>();
  /** result views of dynamically sized buffers: buffer name -> view variable */
  readonly views = new Map<string, string>();
  /** view variable -> the buffer it views */
  readonly viewBuffers = new Map<string, string>();

  constructor(
    readonly plan: Plan,
    readonly kernels: Kernels,
  ) {}

  /** The statements computing every node of `fn` (after the prologue). */
  body(fn: FnPlan): FnCode {
    const lines: string[] = [];
    const called: string[] = [];
    let lastLine = -1;
    for (const node of fn.order) {
      const stmt = this.statement(node, called);
      if (stmt === null) continue;
      const origin = originOf(node);
      if (origin && origin.line !== lastLine) {
        lines.push(`// line ${origin.line}: ${commentText(origin.text)}`);
        lastLine = origin.line;
      }
      lines.push(stmt);
    }
    return { lines, kernels: called };
  }

  private statement(node: Node, called: string[]): string | null {
    const p = this.plan;
    if (node.op === "const" || node.op === "dimsize" || node.op === "input") return null;
    if (p.fused.has(node) || p.inlined.has(node) || p.alias.has(node)) return null;
    const scalar = isScalar(node.shape);
    if (node.op === "param" || node.op === "state")
      return scalar ? `const ${p.nameOf(node)} = ${p.storage.get(node)}[0];` : null;
    if (node.op === "reshape") {
      const x = node.inputs[0]!;
      if (scalar) return `const ${p.nameOf(node)} = ${p.nameOf(x)}[0];`;
      return `${p.nameOf(node)}[0] = ${this.kernels.exprs.scalar(x)};`;
    }
    const kind = registry[node.op].kind;
    if (scalar && kind === "elementwise")
      return `const ${p.nameOf(node)} = ${this.kernels.exprs.scalarDefinition(node)};`;
    const k = this.kernels.of(node);
    called.push(k.name);
    const call = `${k.name}(${k.args.join(", ")})`;
    if (scalar && k.result) return `${call}; const ${p.nameOf(node)} = ${k.result}[0];`;
    return scalar ? `const ${p.nameOf(node)} = ${call};` : `${call};`;
  }

  /** Reads and checks the feed, binds the named dims, grows the buffers, copies the inputs in. */
  prologue(fn: FnPlan): string[] {
    const p = this.plan;
    const lines: string[] = [];
    const copies: string[] = [];
    const used = new Set(fn.order);
    const { order, stuck } = bindingOrder(fn.feeds, (d) => !p.dimVars.has(d));
    if (stuck.length > 0)
      throw new Error(`cannot bind the named dims of ${stuck.map((l) => l.name).join(", ")}`);
    for (const { leaf, binds } of order) {
      const name = str(leaf.name);
      if (isScalar(leaf.shape)) {
        lines.push(`const ${p.nameOf(leaf.node)} = takeNumber(feed, ${name});`);
        continue;
      }
      const v = this.feedName(leaf);
      const shape = str(shapeToString(leaf.shape));
      lines.push(`const ${v} = takeArray(feed, ${name}, ${shape});`);
      if (binds !== undefined) {
        const per = p.size(leaf.shape.filter((x) => x !== binds));
        lines.push(`${p.dim(binds)} = bindDim(${v}, ${name}, ${shape}, ${str(binds)}, ${per});`);
      } else {
        lines.push(`checkLength(${v}, ${name}, ${shape}, ${p.size(leaf.shape)});`);
      }
      // a feed read only for the size of a named dim has no buffer
      if (used.has(leaf.node)) copies.push(`${p.nameOf(leaf.node)}.set(${v});`);
    }
    if (fn.training) lines.push(...this.batchnormCheck());
    if (p.dimVars.size > 0) lines.push("ensure();");
    return [...lines, ...copies];
  }

  private feedName(leaf: Leaf): string {
    let n = this.feedNames.get(leaf);
    if (n === undefined) {
      n = this.plan.namer.fresh(`${leaf.name}_in`);
      this.feedNames.set(leaf, n);
    }
    return n;
  }

  /**
   * Batch statistics need two examples: with state (batchnorm's running stats) in the model,
   * every named dim that a training-mode mean reduces over axis 0 must be at least 2.
   */
  private batchnormCheck(): string[] {
    const p = this.plan;
    if (p.model.state.length === 0) return [];
    const dims = new Set<string>();
    for (const n of p.fns.trainStep.order) {
      const axis0 = n.inputs[0]?.shape[0];
      if (n.op === "mean" && (n.attrs["axes"] as number[]).includes(0) && typeof axis0 === "string")
        dims.add(axis0);
    }
    return [...dims].map(
      (d) =>
        `if (${p.dim(d)} < 2) throw new Error("batchnorm needs a batch of at least 2 in training (got " + ${p.dim(d)} + " for " + ${str(d)} + ")");`,
    );
  }

  /** `target[key] = value` for a result: a number, a buffer, or a view of a grown buffer. */
  resultAssign(target: string, key: string, node: Node, shape: Shape): string | null {
    const p = this.plan;
    if (isScalar(shape)) return `${target}[${str(key)}] = ${this.kernels.exprs.scalar(node)};`;
    if (p.isStatic(shape)) return null;
    const buf = p.nameOf(node);
    const view = this.viewOf(buf, target);
    const size = p.size(shape);
    return (
      `if (${view}.buffer !== ${buf}.buffer || ${view}.length !== ${size}) ` +
      `${target}[${str(key)}] = ${view} = ${buf}.subarray(0, ${size});`
    );
  }

  /** The variable holding the current view of `buf` in the result object `target`. */
  viewOf(buf: string, target: string): string {
    const key = `${target}.${buf}`;
    let v = this.views.get(key);
    if (v === undefined) {
      v = this.plan.namer.fresh(`${buf}_view`);
      this.views.set(key, v);
      this.viewBuffers.set(v, buf);
    }
    return v;
  }
}
