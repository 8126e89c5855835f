// The IR: immutable, hash-consed nodes. Building the same node twice returns the first one, so
// common subexpressions are shared for free and `toBe` compares graphs.
import type { OpName } from "../ops/names.ts";

/** A dimension: a literal size, or a name (`batch`) bound at run time from the data. */
export type Dim = number | string;
export type Shape = readonly Dim[];

/** Attribute values are plain JSON so that they can be part of a node's key. */
export type AttrValue = number | string | boolean | null | readonly AttrValue[];
export type Attrs = Readonly<Record<string, AttrValue>>;

export interface Node {
  readonly id: number;
  readonly op: OpName;
  readonly inputs: readonly Node[];
  readonly attrs: Attrs;
  readonly shape: Shape;
  readonly key: string;
}

/** Where a node came from in the `.nn` source; the first origin recorded wins. */
export interface Origin {
  file: string;
  line: number;
  col: number;
  /** the source line, for comments in generated code */
  text: string;
  /** the name the statement defines (`h` for `h = ...`, `loss`), to name what it computes */
  binding?: string;
}

// The interning table in two parts: the nodes of the compilation under way, held strongly (a
// weak reference per node costs more than the node), and those of earlier compilations, held
// weakly so that a long-lived process (a page, a server) does not keep every graph it compiled.
let current = new Map<string, Node>();
const earlier = new Map<string, WeakRef<Node>>();
const collector = new FinalizationRegistry<string>((key) => {
  const ref = earlier.get(key);
  if (ref && ref.deref() === undefined) earlier.delete(key);
});

/** The nodes interned so far become earlier ones: weakly held from now on. */
function retire(): void {
  for (const [key, node] of current) {
    earlier.set(key, new WeakRef(node));
    collector.register(node, key);
  }
  current = new Map();
}

/** The node interned under `key`, if it is alive; an earlier compilation's is made current. */
function find(key: string): Node | undefined {
  const now = current.get(key);
  if (now !== undefined) return now;
  const before = earlier.get(key)?.deref();
  if (before !== undefined) current.set(key, before);
  return before;
}

let nextId = 1;
// Origins and names belong to one compilation: nodes are shared across compilations (a constant,
// a param of the same name and shape), so lowering starts each one with fresh tables.
let origins = new WeakMap<Node, Origin>();
let names = new WeakMap<Node, string>();
let roles = new WeakMap<Node, string>();
let differentiated = new WeakMap<Node, Node>();
/** The forward nodes that some backward node differentiates: the range of `differentiated`. */
let isDifferentiated = new WeakSet<Node>();
/** gradient -> the forward value it is the gradient of (the loss's total adjoint of it) */
let adjoints = new WeakMap<Node, Node>();
/** a share of a gradient -> the forward value, and the user through which it flows back */
let shares = new WeakMap<Node, Share>();
/** Nodes built (or found again) since the compilation began: the work lowering has done. */
let built = 0;

export function beginCompilation(): void {
  retire();
  origins = new WeakMap();
  names = new WeakMap();
  roles = new WeakMap();
  differentiated = new WeakMap();
  isDifferentiated = new WeakSet();
  adjoints = new WeakMap();
  shares = new WeakMap();
  built = 0;
}

export function nodesBuilt(): number {
  return built;
}

/** `op(k=v,...)[id,...]`, attributes in key order: built for every node made, so built plainly. */
function keyOf(op: OpName, inputs: readonly Node[], attrs: Attrs): string {
  let key = op + "(";
  const keys = Object.keys(attrs);
  if (keys.length > 1) keys.sort();
  for (let i = 0; i < keys.length; i++) {
    const v = attrs[keys[i]!];
    // a number as written (NaN and Infinity apart, which JSON would both write `null`)
    key +=
      (i > 0 ? "," : "") + keys[i] + "=" + (typeof v === "number" ? String(v) : JSON.stringify(v));
  }
  key += ")[";
  for (let i = 0; i < inputs.length; i++) key += (i > 0 ? "," : "") + inputs[i]!.id;
  return key + "]";
}

const NO_ATTRS: Attrs = Object.freeze({});

/**
 * The node's own frozen shape: an input's when equal (most ops keep their input's shape), so a
 * graph holds one array per distinct shape rather than one per node.
 */
function ownShape(shape: Shape, inputs: readonly Node[]): Shape {
  for (let i = 0; i < inputs.length; i++)
    if (sameShape(inputs[i]!.shape, shape)) return inputs[i]!.shape;
  return Object.freeze([...shape]);
}

/** Returns the unique node for (op, inputs, attrs); `shape` is computed only for a new node. */
export function intern(
  op: OpName,
  inputs: readonly Node[],
  attrs: Attrs,
  shape: () => Shape,
): Node {
  built++;
  const key = keyOf(op, inputs, attrs);
  const existing = find(key);
  if (existing) return existing;
  const node: Node = Object.freeze({
    id: nextId++,
    op,
    inputs: Object.freeze([...inputs]),
    attrs: Object.keys(attrs).length === 0 ? NO_ATTRS : Object.freeze({ ...attrs }),
    shape: ownShape(shape(), inputs),
    key,
  });
  current.set(key, node);
  return node;
}

/** One compilation's origins, names and roles of its nodes. */
export interface Annotations {
  readonly origins: WeakMap<Node, Origin>;
  readonly names: WeakMap<Node, string>;
  readonly roles: WeakMap<Node, string>;
  readonly differentiated: WeakMap<Node, Node>;
  readonly isDifferentiated: WeakSet<Node>;
  readonly adjoints: WeakMap<Node, Node>;
  readonly shares: WeakMap<Node, Share>;
}

/** The part of a value's gradient that flows back through one of its users. */
export interface Share {
  of: Node;
  via: Node;
}

/** The current compilation's annotations, to read them again after another compilation began. */
export function currentAnnotations(): Annotations {
  return { origins, names, roles, differentiated, isDifferentiated, adjoints, shares };
}

/** Runs `f` with a past compilation's annotations in place (names, origins), then restores. */
export function withAnnotations<T>(a: Annotations, f: () => T): T {
  const saved = currentAnnotations();
  ({ origins, names, roles, differentiated, isDifferentiated, adjoints, shares } = a);
  try {
    return f();
  } finally {
    ({ origins, names, roles, differentiated, isDifferentiated, adjoints, shares } = saved);
  }
}

export function setOrigin(node: Node, origin: Origin): Node {
  if (!origins.has(node)) origins.set(node, origin);
  return node;
}
export function originOf(node: Node): Origin | undefined {
  return origins.get(node);
}

/** A readable name for the node in generated code (`h`, `h.W`); the first one given wins. */
export function setName(node: Node, name: string): Node {
  if (!names.has(node)) names.set(node, name);
  return node;
}
export function nameOf(node: Node): string | undefined {
  return names.get(node);
}

/**
 * A name for a value the source computes but does not name, after its statement and its role
 * (`h_pre` for `x @ W + b` in `h = x |> dense(4) |> relu`); weaker than a name from the source.
 */
export function setRole(node: Node, name: string): Node {
  // constants are shared by every statement: they keep their values as names
  if (node.op !== "const" && node.op !== "dimsize" && !roles.has(node)) roles.set(node, name);
  return node;
}

/** The name a reader knows the value by: its name in the source, else its role name. */
export function displayName(node: Node): string | undefined {
  return names.get(node) ?? roles.get(node);
}

/**
 * Records that the backward node `node` was built by the gradient rule of the forward node `of`.
 * The links never chain, so nothing that follows them can loop: a node that some backward node
 * differentiates is a forward node and is never given a link of its own, and a node with a link
 * is never differentiated. (Hash-consing can make a backward value the very forward value it
 * differentiates: d exp(u)/du is exp(u).)
 */
export function setDifferentiates(node: Node, of: Node): void {
  if (differentiated.has(node) || differentiated.has(of) || isDifferentiated.has(node)) return;
  differentiated.set(node, of);
  isDifferentiated.add(of);
}

/**
 * Records that `g` is the gradient of the loss with respect to the forward value `x` (the first
 * record wins: hash-consing can make one node the gradient of two values).
 */
export function setAdjointOf(g: Node, x: Node): void {
  if (g !== x && !adjoints.has(g)) adjoints.set(g, x);
}

/** The forward value `g` is the gradient of, if it is one. */
export function adjointOf(g: Node): Node | undefined {
  return adjoints.get(g);
}

/** Records that `s` is the part of `of`'s gradient that flows back through its user `via`. */
export function setShareOf(s: Node, of: Node, via: Node): void {
  if (s !== of && !shares.has(s)) shares.set(s, { of, via });
}

export function shareOf(s: Node): Share | undefined {
  return shares.get(s);
}

/** The forward node whose gradient rule built `node`, for backward nodes. */
export function differentiates(node: Node): Node | undefined {
  return differentiated.get(node);
}

/** The most elements any tensor may have (its named dims counted at their bound sizes). */
export const MAX_ELEMENTS = 2 ** 28;

export function isScalar(shape: Shape): boolean {
  return shape.length === 0;
}

export function shapeToString(shape: Shape): string {
  return shape.length === 0 ? "scalar" : `[${shape.join(", ")}]`;
}

export function sameShape(a: Shape, b: Shape): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
