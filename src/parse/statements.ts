// Lowering statements, in order, in the scope of a model or of a block invocation. A name is
// bound once (SSA); a definition that failed still binds its name (to POISON), so that later
// uses do not report the same problem again.
import { shapeToString, setName, type Node } from "../ir/node.ts";
import type { Output } from "../ir/model.ts";
import { c, input } from "../ops/index.ts";
import type { Expr, Named, Stmt } from "./ast.ts";
import {
  apply,
  LayerNamer,
  markOrigins,
  originAt,
  POISON,
  report,
  type Cx,
  type Frame,
  type ModelCx,
  type Val,
} from "./context.ts";
import { lookup, lowerExpr } from "./exprs.ts";
import { evalInit, evalType } from "./types.ts";
import { makeParam } from "./layers.ts";
import { isLayerCall } from "./builtins.ts";
import { valueOf } from "./images.ts";
import { lowerOptimizer, type OptimizerOut } from "./optimizer.ts";
import { lowerMetric, type MetricOut } from "./metric.ts";
import { isStackOverflow } from "./source.ts";

/** What a model's statements produce (blocks produce a return value instead). */
export interface ModelOut extends OptimizerOut, MetricOut {
  outputs: (Output & { at: Named["at"] })[];
  loss: Node | null;
  sawLoss: boolean;
}

/** The line of each name's definition, for "used before its definition". */
export function definitions(body: Stmt[]): Map<string, number> {
  const lines = new Map<string, number>();
  for (const s of body)
    if ("name" in s && !lines.has(s.name.name)) lines.set(s.name.name, s.name.at.line);
  return lines;
}

/** Lowers a body; returns the block's return value (null in a model, or without `return`). */
export function lowerBody(
  body: Stmt[],
  frame: Frame,
  m: ModelCx,
  out: ModelOut | null,
): Val | null {
  let result: Val | null = null;
  for (const s of body) {
    const mark = m.touched.length;
    const binding = bindingOf(s, frame);
    const origin = { ...originAt(m, s.at), ...(binding ? { binding } : {}) };
    m.statements.push({ mark, origin });
    try {
      const v = lowerNested(s, frame, m, out);
      if (s.kind === "return" && result === null) result = v;
    } finally {
      m.statements.pop();
    }
    markOrigins(m, mark, origin);
  }
  return result;
}

/** The name a statement's values are named after (`h` for `h = ...`), if it defines one. */
function bindingOf(s: Stmt, frame: Frame): string | undefined {
  if (s.kind === "assign") return qualified(frame, s.name.name);
  if (s.kind === "loss") return "loss";
  if (s.kind === "return") return frame.prefix ?? undefined;
  return undefined;
}

/** Counts the layer calls of an expression by kind, to name their params (a loop: chains are deep). */
function countLayers(e: Expr, m: ModelCx, frame: Frame): Map<string, number> {
  const numberName = (n: string) => typeof valueOf({ m, frame }, n) === "number";
  const counts = new Map<string, number>();
  const stack: Expr[] = [e];
  while (stack.length > 0) {
    const x = stack.pop()!;
    if (x.kind === "call") {
      if (isLayerCall(x, numberName) || m.blocks.has(x.callee))
        counts.set(x.callee, (counts.get(x.callee) ?? 0) + 1);
      for (const a of x.args) stack.push(a.value);
    } else if (x.kind === "binary") stack.push(x.left, x.right);
    else if (x.kind === "neg") stack.push(x.operand);
    else if (x.kind === "list") for (const item of x.items) stack.push(item); // any length
  }
  return counts;
}

function cxFor(frame: Frame, m: ModelCx, base: string, e: Expr | null): Cx {
  return { m, frame, namer: new LayerNamer(base, e ? countLayers(e, m, frame) : new Map()) };
}

const qualified = (frame: Frame, name: string) => (frame.prefix ? `${frame.prefix}.${name}` : name);

/** Binds `name` unless it is already defined (then reports NN2002 and keeps the first). */
function bind(frame: Frame, m: ModelCx, name: Named, value: Val): void {
  const known = frame.scope.get(name.name);
  if (known) {
    const first = known.at.line;
    report(
      m,
      "NN2002",
      name.at,
      `\`${name.name}\` is already defined on line ${first}; each name is defined once`,
    );
    return;
  }
  frame.scope.set(name.name, { value, at: name.at });
}

/** A statement; one nested too deeply for the stack is an error at the statement (NN1002). */
function lowerNested(s: Stmt, frame: Frame, m: ModelCx, out: ModelOut | null): Val | null {
  try {
    return lowerStmt(s, frame, m, out);
  } catch (e) {
    if (!isStackOverflow(e)) throw e;
    report(
      m,
      "NN1002",
      s.at,
      "this statement is nested too deeply to compile; split it into several",
    );
    return POISON;
  }
}

function lowerStmt(s: Stmt, frame: Frame, m: ModelCx, out: ModelOut | null): Val | null {
  switch (s.kind) {
    case "input":
    case "target": {
      if (!out) return null;
      const cx = cxFor(frame, m, s.name.name, null);
      const shape = evalType(cx, s.type);
      const int = s.type.kind === "dims" && s.type.int;
      const node = shape && apply(cx, s.name.at, () => declareInput(m, s.name, shape, s.kind, int));
      bind(frame, m, s.name, node ?? POISON);
      return null;
    }
    case "param": {
      if (frame.scope.has(s.name.name)) return (bind(frame, m, s.name, POISON), null);
      if (s.type.kind === "dims" && s.type.int) {
        report(m, "NN3011", s.type.at, "a param is trained, so it holds numbers: drop `int`");
        return (bind(frame, m, s.name, POISON), null);
      }
      const full = qualified(frame, s.name.name);
      const cx = cxFor(frame, m, full, s.init);
      const shape = evalType(cx, s.type);
      const init = s.init ? evalInit(cx, s.init) : { kind: "glorot" as const };
      const node =
        shape && init && apply(cx, s.name.at, () => makeParam(cx, full, shape, init, s.name.at));
      // in a model, creating the param has bound its name already
      if (frame.scope.get(s.name.name)?.value !== node) bind(frame, m, s.name, node ?? POISON);
      return null;
    }
    case "assign": {
      const full = qualified(frame, s.name.name);
      const v = lowerExpr(s.value, cxFor(frame, m, full, s.value));
      const node = v === POISON ? v : typeof v === "number" ? c(v) : v;
      if (node !== POISON && !frame.scope.has(s.name.name)) setName(node, full);
      bind(frame, m, s.name, node);
      return null;
    }
    case "output":
      if (out) for (const name of s.names) addOutput(frame, m, out, name);
      return null;
    case "loss":
      if (out) lowerLoss(s.value, s.at, frame, m, out);
      return null;
    case "optimizer":
      if (out) lowerOptimizer(cxFor(frame, m, "optimizer", null), s.value, s.at, out);
      return null;
    case "metric":
      if (out) lowerMetric(cxFor(frame, m, "metric", null), s.value, s.at, out);
      return null;
    case "return":
      if (out) return null;
      return lowerExpr(s.value, cxFor(frame, m, frame.prefix ?? "return", s.value));
  }
}

function declareInput(
  m: ModelCx,
  name: Named,
  shape: readonly (number | string)[],
  role: "input" | "target",
  int: boolean,
): Node {
  const node = input(name.name, shape, role, int);
  const leaves = role === "input" ? m.leaves.inputs : m.leaves.targets;
  if (!leaves.has(name.name) && !m.leaves.inputs.has(name.name) && !m.leaves.targets.has(name.name))
    leaves.set(name.name, {
      name: name.name,
      shape: node.shape,
      node,
      origin: originAt(m, name.at),
    });
  for (const d of shape)
    if (typeof d === "string" && !m.leaves.dims.includes(d)) m.leaves.dims.push(d);
  setName(node, name.name);
  return node;
}

function addOutput(frame: Frame, m: ModelCx, out: ModelOut, name: Named): void {
  const v = lookup(name.name, name.at, cxFor(frame, m, name.name, null));
  if (out.outputs.some((o) => o.name === name.name)) {
    report(m, "NN2002", name.at, `\`${name.name}\` is already an output`);
    return;
  }
  if (v === POISON) return;
  const node = typeof v === "number" ? c(v) : v;
  out.outputs.push({ name: name.name, node, at: name.at });
}

function lowerLoss(e: Expr, at: Named["at"], frame: Frame, m: ModelCx, out: ModelOut): void {
  if (out.sawLoss) {
    report(m, "NN2002", at, "the model already has a `loss`; a model has one");
    return;
  }
  out.sawLoss = true;
  const v = lowerExpr(e, cxFor(frame, m, "loss", e));
  if (v === POISON) return;
  const node = typeof v === "number" ? c(v) : v;
  if (node.shape.length !== 0) {
    report(
      m,
      "NN3004",
      e.at,
      `the loss must be a scalar, but it has shape ${shapeToString(node.shape)}; ` +
        `reduce it, e.g. \`loss = mean(...)\``,
    );
    return;
  }
  setName(node, "loss");
  out.loss = node;
}
