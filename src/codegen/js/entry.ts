// The statements of the entry points (forward, loss, grad, trainStep): read and check the feed,
// bind the named dims, then one statement per step of the schedule (a kernel call, or a number
// computed inline), each under its `.nn` line and its math, and the results.
import { isScalar, shapeToString, type Node, type Shape } from "../../ir/node.ts";
import type { Leaf } from "../../ir/model.ts";
import { bindingOrder } from "../../ir/dims.ts";
import { registry } from "../../ops/index.ts";
import { lit, num } from "../../ops/op.ts";
import type { FnSteps, Step } from "../schedule/steps.ts";
import type { FnPlan, Plan } from "../schedule/plan.ts";
import { jsComment, jsString, sourceLine } from "../text.ts";
import { dropDoubleParens, wrap } from "./loops.ts";

export interface BodyOptions {
  /** the steps of the forward pass; without, one comment stands for them (for reading) */
  forward: boolean;
}

type KernelStep = Extract<Step, { kind: "kernel" }>;

/**
 * How the entry points reach the buffers, which differs by target: JS typed arrays (js/arrays.ts)
 * or byte offsets into a WebAssembly memory (wasm/memory.ts). Buffers are named by their variable.
 */
export interface BufferAccess {
  /**
   * The statements of a kernel step (a kernel giving a number leaves it at `result`); `scalar`:
   * how the function writes a number the kernel reads.
   */
  call(step: KernelStep, scalar: (n: Node) => string): string[];
  /** where a kernel giving a number leaves it */
  result: string;
  /** copies a fed array into an input's buffer */
  copyIn(buffer: string, source: string): string;
  /** the buffer's first element, to read or assign */
  first(buffer: string): string;
  /** whether `view` no longer shows the first `size` elements of `buffer` */
  stale(view: string, buffer: string, size: string): string;
  /** a view of the first `size` elements of `buffer` */
  view(buffer: string, size: string): string;
  /** copies all of `from` into `to`, of `size` elements (the new state) */
  copy(to: string, from: string, size: string): string;
  /** whether every tensor result needs a view made per call (none can be made up front) */
  viewsPerCall: boolean;
  /** a result view's value before the first call */
  initialView(buffer: string): string;
}

export class Entries {
  private readonly feedNames = new Map<Leaf, string>();
  /** result views of dynamically sized buffers: [target, result name] -> view variable */
  private readonly views = new Map<string, string>();
  /** view variable -> the buffer it views */
  readonly viewBuffers = new Map<string, string>();
  private readonly written = new Map<Step, string[]>();
  private readonly bodies = new Map<readonly Step[], string[]>();
  private readonly shownLines = new Map<string, string>();
  /** the numbers declared in createModel's scope, where the plan hoists them */
  readonly hoisted = new Set<string>();

  constructor(
    readonly plan: Plan,
    readonly access: BufferAccess,
  ) {}

  /** The value of a number in the function that computes it: a literal, a local, or inline. */
  scalar(node: Node): string {
    const p = this.plan;
    if (node.op === "const") return lit(num(node.attrs, "value"));
    if (node.op === "dimsize") return p.size(node.attrs["dims"] as Shape);
    if (p.inlined.has(node)) return this.inline(node);
    return p.nameOf(node);
  }

  private inline(node: Node): string {
    const emit = registry[node.op].emit;
    if (!emit) throw new Error(`internal: ${node.op} has no emit`);
    return dropDoubleParens(
      emit(
        node.inputs.map((x) => wrap(this.scalar(x))),
        node.attrs,
      ),
    );
  }

  /** The statements of a function's steps, grouped under their `.nn` lines. */
  body(steps: FnSteps, opts: BodyOptions): string[] {
    // functions with the same steps (trainStep and grad, without state) have the same body
    const key = opts.forward ? steps.steps : undefined;
    const known = key && this.bodies.get(key);
    if (known) return known;
    const lines = this.lines(steps, opts);
    if (key) this.bodies.set(key, lines);
    return lines;
  }

  private lines(steps: FnSteps, opts: BodyOptions): string[] {
    const lines: string[] = [];
    let lastLine = -1;
    const notes = new Set<string>();
    let hidden = 0;
    for (const step of steps.steps) if (!step.backward) hidden++;
    let skipped = false;
    for (const step of steps.steps) {
      if (!opts.forward && !step.backward) {
        if (!skipped && hidden > 0)
          lines.push(`// the forward pass: ${hidden} statements (--forward shows them)`);
        skipped = true;
        lastLine = -1;
        continue;
      }
      const o = step.origin;
      if (o && o.line !== lastLine) {
        lines.push(`// line ${o.line}: ${jsComment(this.sourceText(o.text))}`);
        lastLine = o.line;
      }
      if (step.note && !notes.has(step.note)) lines.push(`//   ${jsComment(step.note)}`);
      if (step.note) notes.add(step.note);
      for (const l of this.stepLines(step)) lines.push(l);
    }
    return lines;
  }

  /** A step's math as a comment (unless the line above says it) and its statements: the same in
   * every function that runs the step, so each is written once. */
  private stepLines(step: Step): string[] {
    let lines = this.written.get(step);
    if (lines !== undefined) return lines;
    const o = step.origin;
    const show = step.math !== "" && step.kind !== "scalar";
    const echo = show && o !== undefined && this.sourceText(o.text) === step.math;
    lines = show && !echo ? [`//   ${jsComment(step.math)}`] : [];
    lines.push(...this.statement(step));
    this.written.set(step, lines);
    return lines;
  }

  /** A source line as comments show it (each line is shown in every function). */
  private sourceText(text: string): string {
    let shown = this.shownLines.get(text);
    if (shown === undefined) this.shownLines.set(text, (shown = sourceLine(text)));
    return shown;
  }

  private statement(step: Step): string[] {
    const p = this.plan;
    const node = step.node;
    const name = p.nameOf(node);
    switch (step.kind) {
      case "leaf":
        return [this.declare(name, `${p.storage.get(node)}[0]`)];
      case "scalar":
        return [this.declare(name, this.inline(node))];
      case "reshape": {
        const x = node.inputs[0]!;
        if (isScalar(node.shape)) return [this.declare(name, this.access.first(p.nameOf(x)))];
        return [`${this.access.first(name)} = ${this.scalar(x)};`];
      }
      case "kernel": {
        const call = this.access.call(step, (n) => this.scalar(n));
        if (!isScalar(node.shape)) return call;
        return [...call, this.declare(name, this.access.result)];
      }
    }
  }

  /** A number's statement: a `const`, or an assignment where the plan hoists numbers. */
  private declare(name: string, value: string): string {
    if (!this.plan.hoisted) return `const ${name} = ${value};`;
    this.hoisted.add(name);
    return `${name} = ${value};`;
  }

  /** The declarations of the hoisted numbers, for createModel's scope. */
  hoistedDeclarations(): string[] {
    if (!this.plan.hoisted) return [];
    return [
      `// the ${this.hoisted.size} numbers the functions compute (more than a function's locals hold)`,
      ...[...this.hoisted].map((n) => `let ${n} = 0;`),
    ];
  }

  /** Reads and checks the feed, binds the named dims, grows the buffers, copies the inputs in. */
  prologue(fn: FnPlan): string[] {
    const p = this.plan;
    const lines: string[] = [];
    const copies: string[] = [];
    const used = fn.nodes;
    const { order, stuck } = bindingOrder(fn.feeds, (d) => !p.dimVars.has(d));
    if (stuck.length > 0)
      throw new Error(`cannot bind the named dims of ${stuck.map((l) => l.name).join(", ")}`);
    for (const { leaf, binds } of order) {
      const name = jsString(leaf.name);
      if (isScalar(leaf.shape)) {
        lines.push(this.declare(p.nameOf(leaf.node), `$takeNumber($feed, ${name})`));
        continue;
      }
      const v = this.feedName(leaf);
      const int = leaf.node.attrs["dtype"] === "int";
      const shape = jsString(shapeToString(leaf.shape) + (int ? " int" : ""));
      lines.push(
        int
          ? `const ${v} = $takeIndices($feed, ${name}, ${shape}, ${p.indexBound(leaf.node) ?? 2 ** 31 - 1});`
          : `const ${v} = $takeArray($feed, ${name}, ${shape});`,
      );
      if (binds !== undefined) {
        const per = p.size(leaf.shape.filter((x) => x !== binds));
        lines.push(
          `${p.dim(binds)} = $bindDim(${v}, ${name}, ${shape}, ${jsString(binds)}, ${per});`,
        );
      } else {
        lines.push(`$checkLength(${v}, ${name}, ${shape}, ${p.size(leaf.shape)});`);
      }
      // a feed read only for the size of a named dim has no buffer
      if (used.has(leaf.node)) copies.push(this.access.copyIn(p.nameOf(leaf.node), v));
    }
    if (fn.training) lines.push(...this.batchnormCheck());
    if (p.dimVars.size > 0) lines.push("$ensure();");
    return [...lines, ...copies];
  }

  private feedName(leaf: Leaf): string {
    let n = this.feedNames.get(leaf);
    if (n === undefined) {
      n = this.plan.sys.fresh(`${leaf.name}_in`);
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
    return [...dims]
      .filter((d) => p.dimVars.has(d))
      .map(
        (d) =>
          `if (${p.dim(d)} < 2) throw new Error("batchnorm needs a batch of at least 2 in training (got " + ${p.dim(d)} + " for " + ${jsString(d)} + ")");`,
      );
  }

  /** `target[key] = value` for a result: a number, or a view of a grown buffer (null: static). */
  resultAssign(target: string, key: string, node: Node): string | null {
    const p = this.plan;
    if (isScalar(node.shape)) return `${target}[${jsString(key)}] = ${this.scalar(node)};`;
    if (p.isStatic(node.shape) && !this.access.viewsPerCall) return null;
    const buf = p.nameOf(node);
    const view = this.viewOf(buf, target, key);
    const size = p.size(node.shape);
    const a = this.access;
    return `if (${a.stale(view, buf, size)}) ${target}[${jsString(key)}] = ${view} = ${a.view(buf, size)};`;
  }

  /** The view variable of one result (two results may view one buffer: equal gradients). */
  private viewOf(buf: string, target: string, result: string): string {
    const key = JSON.stringify([target, result]);
    let v = this.views.get(key);
    if (v === undefined) {
      v = this.plan.sys.fresh(`${buf}_view`);
      this.views.set(key, v);
      this.viewBuffers.set(v, buf);
    }
    return v;
  }
}
