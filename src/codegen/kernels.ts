// One kernel per materialized tensor node (and per reduction to a scalar): a small named function
// over the closure's buffers, whose parameters are the scalars it reads.
import { isScalar, type Dim, type Node } from "../ir/node.ts";
import { registry } from "../ops/index.ts";
import { lit, num } from "../ops/op.ts";
import { Exprs, makeLoop, nest, rowMajor, wrap, type Args, type Loop } from "./loops.ts";
import { matmulLines } from "./matmul.ts";
import type { Plan } from "./plan.ts";
import { fusedKernel } from "./kernels-fused.ts";

export interface Kernel {
  name: string;
  node: Node;
  /** the scalars it reads, in order: its parameters, and the caller's locals of the same names */
  args: string[];
  lines: string[];
  /**
   * For a kernel computing a scalar: the one-element Float64Array it stores the value in. A double
   * returned from a call that V8 does not inline is boxed on the heap; a stored one is not.
   */
  result?: string;
}

export class Kernels {
  readonly exprs: Exprs;
  private readonly built = new Map<Node, Kernel>();

  constructor(readonly plan: Plan) {
    this.exprs = new Exprs(plan);
  }

  /** The kernel computing `node` (built once). */
  of(node: Node): Kernel {
    let k = this.built.get(node);
    if (!k) {
      const args: Args = new Set();
      const body = this.body(node, args);
      const name = this.plan.namer.fresh(`compute_${this.plan.nameOf(node)}`);
      k = { name, node, args: [...args], lines: body };
      if (isScalar(node.shape)) {
        const result = this.plan.namer.fresh(`${this.plan.nameOf(node)}_result`);
        const store = (l: string) => l.replace(/^(\s*)return (.+);$/, `$1${result}[0] = $2;`);
        k = { ...k, lines: body.map(store), result };
      }
      this.built.set(node, k);
    }
    return k;
  }

  all(): Kernel[] {
    return [...this.built.values()];
  }

  private body(node: Node, args: Args): string[] {
    const kind = registry[node.op].kind;
    if (kind === "elementwise") return this.elementwise(node, args);
    if (kind === "reduce") return this.reduce(node, args);
    switch (node.op) {
      case "matmul":
        return this.matmul(node);
      case "transpose":
        return this.transpose(node);
      case "softmax":
      case "log_softmax":
        return this.softmax(node);
      case "dropout_mask":
        return this.dropout(node);
      default:
        return fusedKernel(node, this.plan, this.exprs, args) ?? noKernel(node);
    }
  }

  private elementwise(node: Node, args: Args): string[] {
    const loop = makeLoop(node.shape, this.exprs.allFull(node.inputs, node.shape), this.plan);
    const value = this.exprs.elementwise(node, (x) => this.exprs.at(x, loop, args));
    const out = this.plan.nameOf(node);
    return nest(loop, [`${out}[${rowMajor(loop)}] = ${value};`]);
  }

  /**
   * A reduction loops over its input in row-major order. When the reduced axes are the trailing
   * ones, each output element is one local accumulator; otherwise the output buffer accumulates.
   */
  private reduce(node: Node, args: Args): string[] {
    const x = node.inputs[0]!;
    const axes = node.attrs["axes"] as number[];
    const { init, combine, finish } = registry[node.op].reduce!;
    const reduced = (i: number) => axes.includes(i);
    const loop = makeLoop(x.shape, this.exprs.allFull([x], x.shape), this.plan, reduced);
    const value = wrap(this.exprs.at(x, loop, args));
    const count = this.plan.size(axes.map((a) => x.shape[a]!));
    const done = (acc: string) => (finish ? finish(acc, wrap(count)) : acc);
    const scalar = isScalar(node.shape);
    const out = scalar ? "" : this.plan.nameOf(node);
    const kept = loop.groups.map((t) => !t);
    const firstReduced = kept.indexOf(false);
    if (kept.slice(firstReduced).every((k) => !k)) {
      // trailing reduction: for each output element, accumulate over the reduced loops
      const outIndex = outLoopIndex(loop, firstReduced);
      return nest(loop, [`acc = ${combine("acc", value)};`], {
        before: (k) => (k === firstReduced ? [`let acc = ${init};`] : []),
        after: (k) =>
          k !== firstReduced
            ? []
            : [scalar ? `return ${done("acc")};` : `${out}[${outIndex}] = ${done("acc")};`],
      });
    }
    const outIndex = this.keptIndex(loop, kept);
    const size = this.plan.size(node.shape);
    const lines = [
      `for (let k = 0; k < ${size}; k++) ${out}[k] = ${init};`,
      ...nest(loop, [`${out}[${outIndex}] = ${combine(`${out}[${outIndex}]`, value)};`]),
    ];
    if (finish) lines.push(`for (let k = 0; k < ${size}; k++) ${out}[k] = ${done(`${out}[k]`)};`);
    return lines;
  }

  /** The row-major index over the kept loops only. */
  private keptIndex(loop: Loop, kept: boolean[]): string {
    const keptLoop: Loop = {
      extents: loop.extents.filter((_, k) => kept[k]),
      vars: loop.vars.filter((_, k) => kept[k]),
      flat: true,
      shape: [],
    };
    return rowMajor(keptLoop);
  }

  private matmul(node: Node): string[] {
    const [a, b] = node.inputs as [Node, Node];
    const ta = node.attrs["ta"] === true;
    const [M, N] = node.shape.map((d) => this.plan.dim(d)) as [string, string];
    return matmulLines({
      C: this.plan.nameOf(node),
      A: this.plan.nameOf(a),
      B: this.plan.nameOf(b),
      M,
      N,
      K: this.plan.dim(ta ? a.shape[0]! : a.shape[1]!),
      ta,
      tb: node.attrs["tb"] === true,
    });
  }

  private transpose(node: Node): string[] {
    const x = node.inputs[0]!;
    const perm = node.attrs["perm"] as number[];
    const loop = makeLoop(node.shape, false, this.plan);
    // the input's stride along each of its axes
    const strides = x.shape.map((_, i) => this.plan.size(x.shape.slice(i + 1)));
    const terms = perm.map((p, k) =>
      strides[p] === "1" ? loop.vars[k]! : `${loop.vars[k]} * ${strides[p]}`,
    );
    const out = this.plan.nameOf(node);
    return [
      "let k = 0;",
      ...nest(loop, [`${out}[k++] = ${this.plan.nameOf(x)}[${terms.join(" + ")}];`]),
    ];
  }

  /** softmax / log_softmax along one axis, each line in three passes: max, sum of exp, scale. */
  private softmax(node: Node): string[] {
    const x = this.plan.nameOf(node.inputs[0]!);
    const out = this.plan.nameOf(node);
    const axis = node.attrs["axis"] as number;
    const outer = this.plan.size(node.shape.slice(0, axis));
    const n = this.plan.dim(node.shape[axis]!);
    const inner = this.plan.size(node.shape.slice(axis + 1));
    const step = inner === "1" ? "j" : `j * ${inner}`;
    const at = (buf: string) => `${buf}[base + ${step}]`;
    const last =
      node.op === "softmax"
        ? `for (let j = 0; j < ${n}; j++) ${at(out)} /= total;`
        : `for (let j = 0; j < ${n}; j++) ${at(out)} = ${at(x)} - mx - Math.log(total);`;
    const store = node.op === "softmax" ? `${at(out)} = ex;` : "";
    const line = [
      `let mx = -Infinity;`,
      `for (let j = 0; j < ${n}; j++) if (${at(x)} > mx) mx = ${at(x)};`,
      `let total = 0;`,
      `for (let j = 0; j < ${n}; j++) {`,
      `  const ex = Math.exp(${at(x)} - mx);`,
      ...(store ? [`  ${store}`] : []),
      `  total += ex;`,
      `}`,
      last,
    ];
    if (inner === "1")
      return [
        `for (let i = 0; i < ${outer}; i++) {`,
        `  const base = i * ${n};`,
        ...line.map((l) => `  ${l}`),
        `}`,
      ];
    return [
      `for (let i = 0; i < ${outer}; i++) {`,
      `  for (let k = 0; k < ${inner}; k++) {`,
      `    const base = i * ${n} * ${inner} + k;`,
      ...line.map((l) => `    ${l}`),
      `  }`,
      `}`,
    ];
  }

  /** Dropout's keep-mask: 1/(1-rate) with probability 1-rate, else 0. */
  private dropout(node: Node): string[] {
    const rate = num(node.attrs, "rate");
    const out = this.plan.nameOf(node);
    const size = this.plan.size(node.shape as Dim[]);
    return [
      `for (let i = 0; i < ${size}; i++) ${out}[i] = random() < ${lit(rate)} ? 0 : ${lit(1 / (1 - rate))};`,
    ];
  }
}

/** The row-major index of the loops before `end` (the output index of a trailing reduction). */
function outLoopIndex(loop: Loop, end: number): string {
  return rowMajor({ ...loop, extents: loop.extents.slice(0, end), vars: loop.vars.slice(0, end) });
}

function noKernel(node: Node): never {
  throw new Error(`internal: no kernel for ${node.op}`);
}
