// The grammar and its semantics: parse trees of headers, statements and expressions to the syntax
// tree of ast.ts. A match is of one piece of the file (a View); positions are mapped back to the
// source through it, and a hole is replaced by the part of the expression it stands for.
import * as ohm from "ohm-js";
import type { Arg, BinaryOp, Expr, Named, Pos, Stmt, TypeExpr } from "./ast.ts";
import type { View } from "./nesting.ts";
import type { LineMap } from "./source.ts";
import { grammarSource } from "./grammar.ts";
import { Unsupported, withOperations } from "./fastcst.ts";
import { FastMatcher } from "./fastmatch.ts";
import { isStackOverflow } from "./source.ts";

export const grammar = ohm.grammar(grammarSource);

/** A declaration's header: `model NAME` or `block NAME(params)`. */
export interface Head {
  kind: "model" | "block";
  name: Named;
  params: Named[];
  at: Pos;
}

/** What the actions need while they run: where the piece is, and the numbers too large so far. */
export interface Context {
  view: View;
  lines: LineMap;
  infinite: { at: Pos; text: string }[];
}

let cx: Context | null = null;

const at = (node: ohm.Node): Pos => cx!.lines.pos(cx!.view.offset(node.source.startIdx));
const named = (node: ohm.Node): Named => ({ name: node.sourceString, at: at(node) });
const expr = (n: ohm.Node): Expr => n["expr"]() as Expr;
const items = (list: ohm.Node): ohm.Node[] => list.asIteration().children;
const type = (n: ohm.Node): TypeExpr => n["type"]() as TypeExpr;

function call(callee: ohm.Node, args: ohm.Node | null, piped: Expr | null): Expr {
  const rest = args ? items(args).map((a) => a["arg"]() as Arg) : [];
  const first: Arg[] = piped ? [{ name: null, value: piped, at: piped.at }] : [];
  return {
    kind: "call",
    callee: callee.sourceString,
    args: [...first, ...rest],
    piped: !!piped,
    at: at(callee),
  };
}

const opOf: Record<string, BinaryOp> = {
  SumTail_add: "+",
  SumTail_sub: "-",
  ProductTail_mul: "*",
  ProductTail_div: "/",
  ProductTail_matmul: "@",
};

/** `first (op operand)*`, folded left to right without recursion. */
function foldLeft(first: ohm.Node, tails: ohm.Node): Expr {
  let e = expr(first);
  for (const tail of tails.children) {
    const c = tail.child(0);
    const op = opOf[c.ctorName]!;
    e = { kind: "binary", op, left: e, right: expr(c.child(1)), at: at(c.child(0)) };
  }
  return e;
}

const exprActions: ohm.ActionDict<Expr> = {
  Expr(sum, tails) {
    let e = expr(sum);
    for (const tail of tails.children) {
      const t = tail.child(1).child(0); // the PipeTarget_call or PipeTarget_name node
      e = call(t.child(0), t.ctorName === "PipeTarget_call" ? t.child(2) : null, e);
    }
    return e;
  },
  Sum: foldLeft,
  Product: foldLeft,
  Power_pow(left, sign, right) {
    return { kind: "binary", op: "^", left: expr(left), right: expr(right), at: at(sign) };
  },
  Unary_neg(sign, operand) {
    return { kind: "neg", operand: expr(operand), at: at(sign) };
  },
  Primary_paren(_open, inner, _close) {
    return expr(inner);
  },
  Primary_list(open, list, _comma, _close) {
    return { kind: "list", items: items(list).map(expr), at: at(open) };
  },
  Primary_call(callee, _open, args, _comma, _close) {
    return call(callee, args, null);
  },
  // the leaves (a number, a name, a hole) are read from their source, never from their parts:
  // the fast matcher builds the parts of a lexical rule only if an action asks for them
  Primary(e) {
    switch (e.ctorName) {
      case "number":
        return number(e);
      case "string":
        return { kind: "string", value: e.sourceString.slice(1, -1), at: at(e) };
      case "name":
        return { kind: "name", name: e.sourceString, at: at(e) };
      case "hole":
        return cx!.view.hole(e.source.startIdx) as Expr;
      default:
        return expr(e);
    }
  },
};

function number(n: ohm.Node): Expr {
  const value = Number(n.sourceString);
  if (!Number.isFinite(value)) cx!.infinite.push({ at: at(n), text: n.sourceString });
  return { kind: "number", value, at: at(n) };
}

const argActions: ohm.ActionDict<Arg> = {
  Arg_named(name, _colon, value) {
    return { name: name.sourceString, value: expr(value), at: at(name) };
  },
  Arg_positional(value) {
    return { name: null, value: expr(value), at: at(value) };
  },
};

const typeActions: ohm.ActionDict<TypeExpr> = {
  Type_scalar(kw) {
    return { kind: "scalar", at: at(kw) };
  },
  Type_dims(open, dims, _comma, _close) {
    return { kind: "dims", dims: items(dims).map(expr), int: false, at: at(open) };
  },
  Type_ints(open, dims, _comma, _close, _int) {
    return { kind: "dims", dims: items(dims).map(expr), int: true, at: at(open) };
  },
};

const stmtActions: ohm.ActionDict<Stmt> = {
  Stmt_input(kw, name, _colon, t) {
    return { kind: "input", name: named(name), type: type(t), at: at(kw) };
  },
  Stmt_target(kw, name, _colon, t) {
    return { kind: "target", name: named(name), type: type(t), at: at(kw) };
  },
  Stmt_param(kw, name, _colon, t, _eq, init) {
    const value = init.children[0];
    return {
      kind: "param",
      name: named(name),
      type: type(t),
      init: value ? expr(value) : null,
      at: at(kw),
    };
  },
  Stmt_output(kw, names) {
    return { kind: "output", names: items(names).map(named), at: at(kw) };
  },
  Stmt_return(kw, value) {
    return { kind: "return", value: expr(value), at: at(kw) };
  },
  Stmt_loss(kw, _eq, value) {
    return { kind: "loss", value: expr(value), at: at(kw) };
  },
  Stmt_optimizer(kw, _eq, value) {
    return { kind: "optimizer", value: expr(value), at: at(kw) };
  },
  Stmt_metric(kw, _eq, value) {
    return { kind: "metric", value: expr(value), at: at(kw) };
  },
  Stmt_assign(name, _eq, value) {
    return { kind: "assign", name: named(name), value: expr(value), at: at(name) };
  },
};

const headActions: ohm.ActionDict<Head> = {
  Head_model(kw, name) {
    return { kind: "model", name: named(name), params: [], at: at(kw) };
  },
  Head_block(kw, name, _open, params, _close) {
    return { kind: "block", name: named(name), params: items(params).map(named), at: at(kw) };
  },
};

/** The operations, each one dictionary of actions for Ohm's semantics and the fast matcher's. */
const operations = {
  expr: exprActions,
  arg: argActions,
  type: typeActions,
  stmt: stmtActions,
  head: headActions,
};

type Op = keyof typeof operations;

const semantics = grammar.createSemantics();
for (const [name, actions] of Object.entries(operations))
  semantics.addOperation<unknown>(name, actions as ohm.ActionDict<unknown>);

/** The grammar compiled for the fast matcher, whose nodes have the operations as methods. */
export const fastMatcher = new FastMatcher(grammar, withOperations(operations));

/** A match of a piece of the file and the value of an operation on it, or Ohm's failed match. */
export type Parsed<T> = { value: T } | { failure: ohm.FailedMatchResult };

/**
 * Matches `text` with `rule` and runs `op` on the tree: with the fast matcher, or, if it fails or
 * meets what it does not implement, with Ohm (whose failed match says where and what was expected).
 */
export function parseWith<T>(text: string, rule: string, op: Op, context: Context): Parsed<T> {
  const found = context.infinite.length;
  try {
    const value = parseFast<T>(text, rule, op, context);
    if (value !== null) return { value };
  } catch (e) {
    if (!(e instanceof Unsupported) && !isStackOverflow(e)) throw e;
    context.infinite.length = found;
  }
  return parseWithOhm<T>(text, rule, op, context);
}

/** The fast matcher alone: the value, or null if the text does not match; throws Unsupported. */
export function parseFast<T>(text: string, rule: string, op: Op, context: Context): T | null {
  const root = fastMatcher.match(text, rule);
  return root && withContext(context, () => (root as unknown as Record<Op, () => T>)[op]());
}

/** Ohm alone (`match` is Ohm's match of `text` with `rule`, if made already). */
export function parseWithOhm<T>(
  text: string,
  rule: string,
  op: Op,
  context: Context,
  match = grammar.match(text, rule),
): Parsed<T> {
  if (match.failed()) return { failure: match };
  return { value: withContext(context, () => semantics(match)[op]() as T) };
}

function withContext<T>(context: Context, f: () => T): T {
  const saved = cx;
  cx = context;
  try {
    return f();
  } finally {
    cx = saved;
  }
}
