// What lowering carries around: the model being built (leaves shared by both modes), the scope of
// the model or of a block invocation, and the helpers that turn failures into diagnostics.
import { codes, type Code, type Diagnostics } from "../diagnostics.ts";
import {
  MAX_ELEMENTS,
  nodesBuilt,
  originOf,
  setName,
  setOrigin,
  shapeToString,
  type Node,
  type Origin,
  type Shape,
} from "../ir/node.ts";
import type { Init, LabelRule, Leaf, ParamLeaf, StateLeaf } from "../ir/model.ts";
import { c, ShapeError } from "../ops/index.ts";
import type { BlockDecl, Pos } from "./ast.ts";
import type { LineMap } from "./source.ts";

/** The value of an expression whose lowering failed; everything built from it fails silently. */
export const POISON: unique symbol = Symbol("poison");

/** A lowered expression: a tensor, a number known at compile time, or a failure already reported. */
export type Val = Node | number | typeof POISON;

/** A user error found while lowering; `apply` reports it at the expression's position. */
export class Fail extends Error {
  constructor(
    readonly code: Code,
    message: string,
  ) {
    super(message);
  }
}

export interface Binding {
  value: Val;
  at: Pos;
}

export type Mode = "train" | "infer";

export interface Leaves {
  inputs: Map<string, Leaf>;
  targets: Map<string, Leaf>;
  params: Map<string, ParamLeaf>;
  state: Map<string, StateLeaf>;
  dims: string[];
  /** targets read as labels (by bce and hinge losses), by target name */
  labels: Map<string, LabelRule>;
}

/** One model's lowering in one mode. */
export interface ModelCx {
  file: string;
  lines: LineMap;
  diag: Diagnostics;
  mode: Mode;
  /** whether a layer asked for the mode (batchnorm, dropout): else both modes give one graph */
  modeRead: boolean;
  blocks: Map<string, BlockDecl>;
  leaves: Leaves;
  stateUpdates: { name: string; node: Node }[];
  /** nodes built since the start of the statement being lowered, to give them its origin */
  touched: Node[];
  /** the block invocations in progress, innermost last */
  calls: { block: string; at: Pos }[];
  /** the statements being lowered, innermost last: where each began in `touched`, its origin */
  statements: { mark: number; origin: Origin }[];
  /** the model's scope, where every param is also visible by its full name (`h.W`) */
  root: Map<string, Binding>;
  /** block calls inlined so far, in both modes, and the nodes they built */
  inlined: Inlined;
}

/** Whether lowering is of the inference graph; a layer that differs by mode asks this. */
export function inferMode(m: ModelCx): boolean {
  m.modeRead = true;
  return m.mode === "infer";
}

/**
 * The most graph nodes lowering may build for one model, both modes together: every command's
 * work and memory grow with them (at 200,000, nnc trace peaks at 1.7 GB; at 1,000,000 the
 * compilation outgrew Node's heap).
 */
export const MAX_NODES = 250_000;
/**
 * The most block calls lowering may inline for one model, and the most nodes they may build, both
 * modes together. Everything else in a source builds nodes in proportion to its text; blocks that
 * call a block twice double the graph at each level, so what they build is what these bound.
 */
export const MAX_BLOCK_CALLS = 10_000;
export const MAX_BLOCK_NODES = 5_000;

/** The block calls inlined so far and the nodes built inside them. */
export interface Inlined {
  calls: number;
  /** the nodes built inside outermost calls that have returned */
  nodes: number;
  /** nodesBuilt() when the outermost call under way began */
  since: number;
}

/** The nodes built inside block calls so far, the call under way included. */
function blockNodes(m: ModelCx): number {
  return m.inlined.nodes + (m.calls.length > 0 ? nodesBuilt() - m.inlined.since : 0);
}

export type Limit = "nodes" | "calls" | "block nodes";

/** Lowering passed a limit: it stops, and the error is reported once, where it happened. */
export class GraphTooLarge extends Error {
  constructor(
    readonly at: Pos,
    readonly block: string | null,
    readonly limit: Limit,
  ) {
    super("the graph is too large");
  }
}

/** Stops lowering past one of the limits above, naming the outermost block call if any. */
export function checkWork(m: ModelCx, at: Pos): void {
  const limit: Limit | null =
    nodesBuilt() > MAX_NODES
      ? "nodes"
      : m.inlined.calls > MAX_BLOCK_CALLS
        ? "calls"
        : blockNodes(m) > MAX_BLOCK_NODES
          ? "block nodes"
          : null;
  if (limit === null) return;
  const outer = m.calls[0];
  throw new GraphTooLarge(outer?.at ?? at, outer?.block ?? null, limit);
}

/** A scope: the model's, or one invocation of a block (whose params are `<prefix>.<name>`). */
export interface Frame {
  scope: Map<string, Binding>;
  prefix: string | null;
  block: BlockDecl | null;
  /** names defined further down, with their line, for "used before its definition" */
  later: Map<string, number>;
}

/** The context of one expression: where names resolve, and how its layers name their params. */
export interface Cx {
  m: ModelCx;
  frame: Frame;
  namer: LayerNamer;
}

/**
 * Layer prefixes for one statement: one layer is named after the binding (`h`); several carry
 * their kind (`h.dense`, `h.batchnorm`), numbered in evaluation order when a kind repeats.
 */
export class LayerNamer {
  private readonly used = new Map<string, number>();
  private readonly total: number;

  constructor(
    readonly base: string,
    private readonly counts: Map<string, number>,
  ) {
    this.total = [...counts.values()].reduce((a, b) => a + b, 0);
  }

  next(kind: string): string {
    const k = this.used.get(kind) ?? 0;
    this.used.set(kind, k + 1);
    if (this.total <= 1) return this.base;
    return (this.counts.get(kind) ?? 0) > 1 ? `${this.base}.${kind}${k}` : `${this.base}.${kind}`;
  }
}

export function report(m: ModelCx, code: Code, at: Pos, message: string): void {
  const call = m.calls[m.calls.length - 1];
  const where = call ? ` (in block \`${call.block}\` called on line ${call.at.line})` : "";
  m.diag.error(code, { file: m.file, line: at.line, col: at.col }, message + where);
}

function asCode(code: string): Code {
  return code in codes ? (code as Code) : "NN3001";
}

export { MAX_ELEMENTS };

export function checkSize(shape: Shape): void {
  const fixed = shape.reduce<number>((a, d) => a * (typeof d === "number" ? d : 1), 1);
  if (fixed > MAX_ELEMENTS)
    throw new Fail(
      "NN3006",
      `shape ${shapeToString(shape)} is too large: ${fixed} elements, more than 2^28 (${MAX_ELEMENTS})`,
    );
}

/** Builds a node, reporting a shape error (or any Fail) at `at` and returning POISON instead. */
export function apply(cx: Cx, at: Pos, build: () => Node): Val {
  checkWork(cx.m, at);
  try {
    const node = build();
    checkSize(node.shape);
    cx.m.touched.push(node);
    return node;
  } catch (e) {
    if (e instanceof Fail || e instanceof ShapeError) {
      report(cx.m, e instanceof Fail ? e.code : asCode(e.code), at, e.message);
      return POISON;
    }
    throw e;
  }
}

export function toNode(v: number | Node): Node {
  return typeof v === "number" ? c(v) : v;
}

/** A value known at compile time: a number, or a constant node. */
export function asNumber(v: Val): number | null {
  if (typeof v === "number") return v;
  if (v !== POISON && v.op === "const") return v.attrs["value"] as number;
  return null;
}

/** Source lines longer than this are cut in origins (they become comments in generated code). */
const ORIGIN_TEXT = 200;

export function originAt(m: ModelCx, at: Pos): Origin {
  const line = m.lines.statement(at.line, ORIGIN_TEXT);
  const text = line.length > ORIGIN_TEXT ? `${line.slice(0, ORIGIN_TEXT - 1)}…` : line;
  return { file: m.file, line: at.line, col: at.col, text };
}

/** Gives `origin` to every node built since `mark` that has none yet. */
export function markOrigins(m: ModelCx, mark: number, origin: Origin): void {
  const stack = m.touched.splice(mark);
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (originOf(node)) continue;
    setOrigin(node, origin);
    stack.push(...node.inputs);
  }
}

/** Registers a param (the same one again in the second mode) and makes it visible as `name`. */
/** The key safetensors keeps its metadata under: a weights file cannot hold a tensor of the name. */
export const RESERVED_NAME = "__metadata__";

export function addParam(cx: Cx, name: string, node: Node, init: Init, at: Pos): Node {
  if (name === RESERVED_NAME)
    throw new Fail(
      "NN2008",
      `\`${RESERVED_NAME}\` is reserved: weights files (safetensors) keep their metadata under ` +
        "that name, so a param cannot have it; give the param another name",
    );
  const { params } = cx.m.leaves;
  const known = params.get(name);
  if (known && known.node !== node)
    throw new Fail("NN2002", `the param \`${name}\` is created twice`);
  if (!known) params.set(name, { name, shape: node.shape, node, init, origin: originAt(cx.m, at) });
  return bindLeaf(cx, name, node, at);
}

export function addState(cx: Cx, name: string, node: Node, init: number, at: Pos): Node {
  const { state } = cx.m.leaves;
  if (!state.has(name))
    state.set(name, { name, shape: node.shape, node, init, origin: originAt(cx.m, at) });
  return bindLeaf(cx, name, node, at);
}

function bindLeaf(cx: Cx, name: string, node: Node, at: Pos): Node {
  setName(node, name);
  cx.m.touched.push(node);
  if (!cx.m.root.has(name)) cx.m.root.set(name, { value: node, at });
  return node;
}

/** A fixed-size shape for a param or state, or a Fail naming the named dim. */
export function requireStatic(what: string, shape: Shape): number[] {
  const named = shape.find((d) => typeof d === "string");
  if (named !== undefined)
    throw new Fail(
      "NN3007",
      `${what} would have the named dimension \`${named}\` (${shapeToString(shape)}); ` +
        `params need fixed sizes`,
    );
  checkSize(shape);
  return shape as number[];
}
