// An ONNX graph under construction: nodes, initializers, graph inputs and outputs, and the values
// every lowering needs (float and int64 constants, a shape as a tensor, the size of a named dim).
// Every value the exporter makes up is named `hint#N`: `#` cannot occur in a `.nn` name, so the
// graph's inputs and outputs keep the `.nn` names exactly and nothing else can take them.
import { onnxDoc } from "../codegen/text.ts";
import type { Dim, Shape } from "../ir/node.ts";
import {
  attribute,
  boolTensor,
  elemTypeOf,
  floatTensor,
  int64Tensor,
  valueInfo,
  type AttrValue,
  type ElemType,
  type GraphProto,
  type NodeProto,
  type TensorProto,
  type ValueInfoProto,
} from "./onnx-proto.ts";

/** Where a named dim can be read at run time: a graph input and one of its axes. */
export interface DimSource {
  value: string;
  axis: number;
}

export class OnnxGraph {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  readonly inputs: ValueInfoProto[] = [];
  readonly outputs: ValueInfoProto[] = [];
  private readonly taken = new Set<string>();
  private readonly consts = new Map<string, string>();
  private readonly dimSources = new Map<string, DimSource>();
  private counter = 0;

  constructor(
    readonly type: ElemType,
    /** named dims fixed at export time (`--bind`) */
    readonly bind: Readonly<Record<string, number>>,
  ) {}

  /** A name no `.nn` name can be: `hint#N`. */
  fresh(hint: string): string {
    let name: string;
    do name = `${hint}#${++this.counter}`;
    while (this.taken.has(name));
    this.taken.add(name);
    return name;
  }

  /** Takes `name` for a value the caller names; two values of one name are nnc's bug. */
  private claim(name: string): void {
    if (this.taken.has(name)) throw new Error(`internal: two ONNX values are named ${name}`);
    this.taken.add(name);
  }

  /**
   * Declares a graph input `name` of shape `dims` (int64 where `int`: indices, classes); its named
   * dims can be read from it.
   */
  input(name: string, dims: Shape, int = false): string {
    this.claim(name);
    this.inputs.push(valueInfo(name, dims, int ? "i64" : this.type));
    dims.forEach((d, axis) => {
      if (typeof d === "string" && !this.dimSources.has(d))
        this.dimSources.set(d, { value: name, axis });
    });
    return name;
  }

  /** Declares `value` as the graph output `name` (an Identity where the names differ). */
  output(name: string, value: string, dims: Shape): void {
    if (value !== name) this.op("Identity", [value], {}, name, name);
    this.outputs.push(valueInfo(name, dims, this.type));
  }

  initializer(name: string, dims: readonly number[], values: ArrayLike<number>): string {
    this.claim(name);
    this.initializers.push(floatTensor(name, dims, values, this.type));
    return name;
  }

  /** Appends a node; returns its (first) output's name, `out` or a fresh one from `hint`. */
  op(
    opType: string,
    inputs: string[],
    attrs: Record<string, AttrValue> = {},
    hint = opType,
    out?: string,
    extraOutputs = 0,
  ): string {
    if (out !== undefined) this.claim(out);
    const result = out ?? this.fresh(hint);
    const outputs = [result, ...Array.from({ length: extraOutputs }, () => this.fresh(hint))];
    this.nodes.push({
      opType,
      input: inputs,
      output: outputs,
      name: this.fresh(opType),
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return result;
  }

  /** Appends a node of `count` outputs; returns all their names. */
  outputsOf(
    opType: string,
    inputs: string[],
    attrs: Record<string, AttrValue>,
    hint: string,
    count: number,
  ): string[] {
    this.op(opType, inputs, attrs, hint, undefined, count - 1);
    return this.nodes.at(-1)!.output!;
  }

  /** A float scalar constant (one initializer per value). */
  scalar(value: number): string {
    return this.constant(`f:${value}`, () =>
      floatTensor(this.fresh("const"), [], [value], this.type),
    );
  }

  /** A float constant of shape `dims` (one initializer per value). */
  floats(dims: readonly number[], values: readonly number[]): string {
    return this.constant(`F:${dims.join(",")}:${values.join(",")}`, () =>
      floatTensor(this.fresh("const"), dims, values, this.type),
    );
  }

  /** A 1-D int64 constant, for axes, shapes and indices. */
  ints(values: number[]): string {
    return this.constant(`i:${values.join(",")}`, () =>
      int64Tensor(this.fresh("ints"), [values.length], values),
    );
  }

  bool(value: boolean): string {
    return this.constant(`b:${value}`, () => boolTensor(this.fresh("bool"), value));
  }

  /** A bool constant of shape `dims` (a mask). */
  bools(dims: readonly number[], values: readonly boolean[]): string {
    return this.constant(`B:${dims.join(",")}:${values.map((v) => +v).join("")}`, () =>
      boolTensor(this.fresh("mask"), values, dims),
    );
  }

  /** The shape as a 1-D int64 tensor: literal sizes, and named ones read from the inputs. */
  shapeOf(shape: Shape): string {
    if (shape.every((d) => typeof d === "number" || this.bind[d] !== undefined))
      return this.ints(shape.map((d) => (typeof d === "number" ? d : this.bind[d]!)));
    const parts = shape.map((d) =>
      typeof d === "number"
        ? this.ints([d])
        : this.bind[d]
          ? this.ints([this.bind[d]])
          : this.dim(d),
    );
    return this.op("Concat", parts, { axis: { int: 0 } }, "shape");
  }

  /** The number of elements of `dims` as a float scalar. */
  count(dims: readonly Dim[]): string {
    let fixed = 1;
    const named: string[] = [];
    for (const d of dims) {
      if (typeof d === "number") fixed *= d;
      else if (this.bind[d] !== undefined) fixed *= this.bind[d];
      else named.push(d);
    }
    let result = named.length === 0 || fixed !== 1 ? this.scalar(fixed) : undefined;
    for (const d of named) {
      const cast = this.op("Cast", [this.dim(d)], { to: { int: elemTypeOf(this.type) } }, d);
      const size = this.op("Squeeze", [cast], {}, d);
      result = result === undefined ? size : this.op("Mul", [result, size], {}, "count");
    }
    return result!;
  }

  /** The size of the named dim `d`, as a 1-element int64 tensor. */
  private dim(d: string): string {
    return this.memo(`d:${d}`, () => {
      const src = this.dimSources.get(d);
      if (!src) throw new Error(`internal: no input gives the dimension \`${d}\``);
      const axes = { start: { int: src.axis }, end: { int: src.axis + 1 } };
      return this.op("Shape", [src.value], axes, d);
    });
  }

  /** Finds or makes an initializer constant by key. */
  private constant(key: string, make: () => TensorProto): string {
    return this.memo(`c:${key}`, () => {
      const t = make();
      this.initializers.push(t);
      return t.name!;
    });
  }

  /** The value `make` gave the first time `key` was asked for (a value many nodes share). */
  memo(key: string, make: () => string): string {
    const found = this.consts.get(key);
    if (found !== undefined) return found;
    const value = make();
    this.consts.set(key, value);
    return value;
  }

  proto(name: string, doc: string): GraphProto {
    return {
      name,
      docString: onnxDoc(doc),
      node: this.nodes,
      initializer: this.initializers,
      input: this.inputs,
      output: this.outputs,
    };
  }
}
