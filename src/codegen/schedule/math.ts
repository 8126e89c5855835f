// The math of each statement in `.nn` notation, in the source's names: `d_h.W = transpose(x) @
// d_h_pre`. A value computed inside another's loop or expression is shown inline, as the code
// computes it; every other value by its name. Comments and `nnc grad --math` print these.
import {
  nameOf,
  shapeToString,
  type Attrs,
  type AttrValue,
  type Node,
  type Shape,
} from "../../ir/node.ts";
import { registry } from "../../ops/index.ts";
import { lit } from "../../ops/op.ts";
import { axesArg, binary, call, PREC, type Shown } from "../../ops/notation.ts";
import type { ConvGeo, KExpr, KernelSpec, PoolGeo } from "./kernels.ts";
import { convAttrs, windowArgs } from "../../ops/conv.ts";
import type { Plan } from "./plan.ts";

/** A broadcast reads as its operand. */
function unbroadcast(node: Node): Node {
  return node.op === "expand" ? node.inputs[0]! : node;
}

/** `1 / n` for a constant n. */
function isReciprocal(node: Node, plan: Plan): boolean {
  const [one, n] = node.inputs;
  return (
    node.op === "div" && one?.op === "const" && one.attrs["value"] === 1 && plan.isConstant(n!)
  );
}

export class MathPrinter {
  constructor(readonly plan: Plan) {}

  private readonly equations = new Map<Node, string>();

  /** `name = expression` for a materialized value (each worked out once: steps share values). */
  equation(node: Node): string {
    let e = this.equations.get(node);
    if (e === undefined) {
      // a buffer named after a reshape of it is that reshape: `d_v = reshape(...)`
      const view = this.plan.viewedAs.get(node);
      const shown = this.definition(node);
      e = `${this.plan.sourceName(node)} = ${(view ? notate(view, [shown]) : shown).text}`;
      this.equations.set(node, e);
    }
    return e;
  }

  /** The expression computing `node` itself (its inputs by name or inline). */
  definition(node: Node): Shown {
    // x * (1 / n), as the simplifier leaves a mean's gradient, reads x / n
    if (node.op === "mul" && node.inputs.length === 2) {
      const [a, b] = [unbroadcast(node.inputs[0]!), unbroadcast(node.inputs[1]!)];
      const [ra, rb] = [isReciprocal(a, this.plan), isReciprocal(b, this.plan)];
      if (ra || rb) {
        const [r, x] = ra ? [a, b] : [b, a];
        return binary("/", PREC.product, this.value(x), this.value(r.inputs[1]!));
      }
    }
    const { inputs, attrs } = operands(node);
    return notate(
      node,
      inputs.map((x) => this.value(x)),
      attrs,
    );
  }

  /** How `node` appears inside another expression. */
  value(node: Node): Shown {
    const p = this.plan;
    if (node.op === "const" || node.op === "dimsize") return this.definition(node);
    if (p.fused.has(node) || p.inlined.has(node) || p.isConstant(node))
      return this.definition(node);
    // a reshape the source names reads by its name (`img`), any other as what it reshapes
    if (p.alias.has(node))
      return nameOf(node) !== undefined ? named(nameOf(node)!) : this.reshaped(node);
    return named(p.sourceName(node));
  }

  /** A reshape that changes the rank says so; one that keeps it reads as its operand. */
  private reshaped(node: Node): Shown {
    return notate(node, [this.value(node.inputs[0]!)]);
  }

  /** The values an equation for `node` reads by name (its inputs, through the inlined ones). */
  reads(node: Node, out = new Set<Node>()): Set<Node> {
    const p = this.plan;
    for (const x of operands(node).inputs) {
      if (x.op === "const" || x.op === "dimsize" || p.isConstant(x)) continue;
      if (p.fused.has(x) || p.inlined.has(x)) this.reads(x, out);
      else if (p.alias.has(x) && nameOf(x) === undefined) this.reads(x, out);
      else out.add(x);
    }
    return out;
  }

  /**
   * A forward value written out in the source's names: every value the source does not name is
   * inlined, so that the reader needs no other line (`relu(conv2d(c1, c2.W) + c2.b)`). Where that
   * grows past a line, the values the code stores keep their names. `reads` lists the values the
   * text names that are not the source's (a dropout mask, a value defined above, a stored one).
   */
  written(node: Node, stop: (n: Node) => boolean): { shown: Shown; reads: Node[] } {
    const reads: Node[] = [];
    const full = this.inlined(node, 0, stop, reads);
    if (full !== null) return { shown: full, reads };
    return { shown: this.definition(node), reads: [...this.reads(node)] };
  }

  private inlined(
    node: Node,
    depth: number,
    stop: (n: Node) => boolean,
    reads: Node[],
  ): Shown | null {
    const p = this.plan;
    if (depth > 0) {
      if (node.op === "const" || node.op === "dimsize" || p.isConstant(node))
        return this.definition(node);
      if (isStatement(node)) return named(nameOf(node)!);
      // a block's own value is defined on a line of its own, as the block's statement is
      if (node.inputs.length === 0 || stop(node) || nameOf(node) !== undefined) {
        reads.push(node);
        return this.value(node);
      }
    }
    if (depth > 24) return null;
    const args: Shown[] = [];
    for (const x of node.inputs) {
      const a = this.inlined(x, depth + 1, stop, reads);
      if (a === null || a.text.length > 160) return null;
      args.push(a);
    }
    return notate(node, args);
  }
}

/**
 * The operands an equation shows for `node`: a product reads a transposed matrix as the matrix,
 * its side's transpose flag flipped (`d_z @ wte`, not `d_z @ transpose(z_transpose)`).
 */
function operands(node: Node): { inputs: readonly Node[]; attrs: Attrs } {
  if (node.op !== "matmul") return { inputs: node.inputs, attrs: node.attrs };
  const attrs: Record<string, AttrValue> = { ...node.attrs };
  const inputs = node.inputs.map((x, i) => {
    if (x.op !== "transpose" || x.shape.length !== 2) return x;
    const flag = i === 0 ? "ta" : "tb";
    attrs[flag] = attrs[flag] !== true;
    return x.inputs[0]!;
  });
  return { inputs, attrs };
}

/** The sizes of a shape but its 1s: a reshape that keeps them only adds or drops unit axes. */
const sizes = (s: Shape) => s.filter((d) => d !== 1).join(",");

/**
 * `node` in `.nn` notation over its operands as shown: a reshape that regroups the sizes says so
 * (`reshape(c2, [batch, 400])`), one that adds or drops axes of size 1 for a broadcast does not.
 */
function notate(node: Node, args: Shown[], attrs = node.attrs): Shown {
  if (node.op === "reshape" && sizes(node.inputs[0]!.shape) !== sizes(node.shape)) {
    const shape = { text: `[${node.shape.join(", ")}]`, prec: PREC.primary };
    return call("reshape")([args[0]!, shape], {});
  }
  const notation = registry[node.op].notation ?? call(node.op);
  return notation(args, attrs, node);
}

const named = (text: string): Shown => ({ text, prec: PREC.primary });

/**
 * Whether a statement of the model names the value (`h`): a reader finds it in the source. A
 * block's own values (`x1.attention.a`, the block's `a` in the statement of `x1`) are not.
 */
export function isStatement(n: Node): boolean {
  const name = nameOf(n);
  return name !== undefined && (n.inputs.length === 0 || !name.includes("."));
}

/** What a kernel computes, in `.nn` notation over its parameters' names. */
export function kernelMath(spec: KernelSpec, tensors: string[], scalars: string[]): string {
  const e = (x: KExpr) => kexpr(x, tensors, scalars).text;
  const out = tensors[tensors.length - 1]!;
  const [a, b] = tensors;
  const over = (s: Shape) => `, over ${shapeToString(s)}`;
  switch (spec.kind) {
    case "map":
      return `${out} = ${e(spec.expr)}${over(spec.shape)}`;
    case "reduce": {
      const axes = axesArg(spec.axes, spec.shape.length);
      return `${out} = ${spec.op}(${[e(spec.expr), ...axes].join(", ")})${over(spec.shape)}`;
    }
    case "matmul": {
      const left = spec.ta ? `transpose(${a})` : a;
      const right = spec.tb ? `transpose(${b})` : b;
      const [M, K, N] = [spec.M, spec.K, spec.N].map((d) => d.join(" * "));
      const batch = spec.batch;
      const per = batch ? `, one per [${batch.dims.join(", ")}]${batch.sum ? ", summed" : ""}` : "";
      return `${out} = ${left} @ ${right}, [${M}, ${K}] @ [${K}, ${N}]${per}`;
    }
    case "softmax":
      return `${out} = ${spec.log ? "log_softmax" : "softmax"}(${a}, axis: ${spec.axis})${over(spec.shape)}`;
    case "softmax_xent":
      return `${out} = cross_entropy(softmax(z, axis: ${spec.axis}), y)${over(spec.shape)}`;
    case "batchnorm_dx": {
      const stats = [spec.mean, spec.invstd, spec.gamma].map(e).join(", ");
      return `${out} = batchnorm_grad(dy, x, ${stats})${over(spec.shape)}`;
    }
    case "transpose":
      return `${out} = transpose(${a})${over(spec.shape)}`;
    case "dropout_mask":
      return `${out} = dropout_mask(rate: ${spec.rate})${over(spec.shape)}`;
    case "conv2d":
    case "conv2d_dx":
    case "conv2d_dw":
      return `${out} = ${convMath(spec, a!, b!, tensors)}`;
    case "layernorm_dx": {
      const stats = [spec.mean, spec.invstd, spec.gamma].map(e).join(", ");
      return `${out} = layernorm_grad(dy, x, ${stats})${over(spec.shape)}`;
    }
    case "gather":
      return `${out} = gather(${a}, ${b}), ${spec.rows} rows of ${spec.width}`;
    case "scatter_add":
      return `${out} = scatter_add(${a}, ${b}), into ${spec.rows} rows of ${spec.width}`;
    case "pick":
      return `${out} = pick(${a}, ${b}), ${spec.classes} classes`;
    case "unpick":
      return `${out} = one_hot_scaled(${a}, ${b}), ${spec.classes} classes`;
    case "softmax_xent_int":
      return `${out} = cross_entropy(softmax(${a}), ${b}), ${spec.classes} classes`;
    case "causal_mask":
      return `${out} = causal_mask(${a}${spec.fill === "zero" ? ", fill: 0" : ""})${over(spec.shape)}`;
    case "pool":
      return `${out} = ${spec.op}_pool2d(${a}, ${windowArgs(attrsOf(spec.geo), [spec.geo.kh, spec.geo.kw]).join(", ")}), ${imageOf(spec.geo)}`;
    case "pool_dx":
      return `${out} = ${spec.op}_pool2d_backward(${spec.op === "max" ? `${a}, ${b}` : a}), ${imageOf(spec.geo)}`;
  }
}

/** `conv2d(x, W, stride: 2) + bias`, the kernel's sizes after it. */
function convMath(
  spec: Extract<KernelSpec, { kind: "conv2d" | "conv2d_dx" | "conv2d_dw" }>,
  a: string,
  b: string,
  tensors: string[],
): string {
  const g = spec.geo;
  const window = windowArgs(attrsOf(g))
    .map((w) => `, ${w}`)
    .join("");
  const sizes = `${imageOf(g)}, W [${g.O}, ${g.C / g.groups}, ${g.kh}, ${g.kw}]`;
  if (spec.kind === "conv2d_dx") return `conv_transpose2d(${a}, ${b}${window}), ${sizes}`;
  if (spec.kind === "conv2d_dw") return `conv2d_weight(${a}, ${b}${window}), ${sizes}`;
  const e = spec.epilogue;
  let text = `conv2d(${a}, ${b}${window})`;
  if (e?.bias) text = `${text} + ${tensors[2]}`;
  if (e?.activation) text = `${e.activation}(${text})`;
  return `${text}, ${sizes}`;
}

function attrsOf(g: ConvGeo | PoolGeo) {
  return convAttrs({ ...g, groups: "groups" in g ? g.groups : 1 });
}

function imageOf(g: ConvGeo | PoolGeo): string {
  return `x [${g.N}, ${g.C}, ${g.H}, ${g.W}]`;
}

function kexpr(x: KExpr, tensors: string[], scalars: string[]): Shown {
  switch (x.kind) {
    case "read":
      return { text: tensors[x.arg]!, prec: PREC.primary };
    case "scalar":
      return { text: scalars[x.arg]!, prec: PREC.primary };
    case "const":
      return { text: lit(x.value), prec: x.value < 0 ? PREC.unary : PREC.primary };
    case "size":
      return { text: x.dims.join(" * "), prec: x.dims.length > 1 ? PREC.product : PREC.primary };
    case "op": {
      const notation = registry[x.op].notation ?? call(x.op);
      const args = x.args.map((y) => kexpr(y, tensors, scalars));
      return notation(args, x.attrs);
    }
  }
}
