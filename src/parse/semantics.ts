// The grammar and its semantics: parse trees of headers, statements and expressions to the syntax
// tree of ast.ts. A match is of one piece of the file (a View); positions are mapped back to the
// source through it, and a hole is replaced by the part of the expression it stands for.
import * as ohm from "ohm-js";
import type { Arg, BinaryOp, Expr, Named, Pos, Stmt, TypeExpr } from "./ast.ts";
import type { View } from "./nesting.ts";
import type { LineMap } from "./source.ts";
import { grammarSource } from "./grammar.ts";

export const grammar = ohm.grammar(grammarSource);

/** A declaration's header: `model NAME` or `block NAME(params)`. */
export interface Head {
  kind: "model" | "block";
  name: Named;
  params: Named[];
  at: Pos;
}

/** What the actions need while they run: where the piece is, and the numbers too large so far. */
interface Context {
  view: View;
  lines: LineMap;
  infinite: { at: Pos; text: string }[];
}

let cx: Context | null = null;

/** Runs `op` of the semantics on a successful match of `view`. */
export function evaluate<T>(
  match: ohm.MatchResult,
  op: "expr" | "stmt" | "head",
  context: Context,
): T {
  const saved = cx;
  cx = context;
  try {
    return semantics(match)[op]() as T;
  } finally {
    cx = saved;
  }
}

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

const semantics = grammar.createSemantics();

semantics.addOperation<Expr>("expr", {
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
  hole(_h) {
    return cx!.view.hole(this.source.startIdx) as Expr;
  },
  number(_int, _dot, _frac, _e, _sign, _exp) {
    const value = Number(this.sourceString);
    if (!Number.isFinite(value)) cx!.infinite.push({ at: at(this), text: this.sourceString });
    return { kind: "number", value, at: at(this) };
  },
  name(_first, _dots, _rest) {
    return { kind: "name", name: this.sourceString, at: at(this) };
  },
});

semantics.addOperation<Arg>("arg", {
  Arg_named(name, _colon, value) {
    return { name: name.sourceString, value: expr(value), at: at(name) };
  },
  Arg_positional(value) {
    return { name: null, value: expr(value), at: at(value) };
  },
});

semantics.addOperation<TypeExpr>("type", {
  Type_scalar(kw) {
    return { kind: "scalar", at: at(kw) };
  },
  Type_dims(open, dims, _comma, _close) {
    return { kind: "dims", dims: items(dims).map(expr), at: at(open) };
  },
});

semantics.addOperation<Stmt>("stmt", {
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
});

semantics.addOperation<Head>("head", {
  Head_model(kw, name) {
    return { kind: "model", name: named(name), params: [], at: at(kw) };
  },
  Head_block(kw, name, _open, params, _close) {
    return { kind: "block", name: named(name), params: items(params).map(named), at: at(kw) };
  },
});
