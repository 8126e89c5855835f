// Parsing: the Ohm grammar's match, syntax errors from its rightmost failure, and the semantics
// operations that turn the parse tree into the syntax tree of ast.ts.
import * as ohm from "ohm-js";
import { Diagnostics, NnError } from "../diagnostics.ts";
import type {
  Arg,
  BinaryOp,
  BlockDecl,
  Expr,
  ModelDecl,
  Named,
  Pos,
  Program,
  Stmt,
} from "./ast.ts";
import type { TypeExpr } from "./ast.ts";
import { CONTINUATION, joinContinuations, LineMap } from "./source.ts";
import { grammarSource } from "./grammar.ts";

const grammar = ohm.grammar(grammarSource);

/** The line map of the parse in progress (semantics actions run synchronously inside `parse`). */
let lines: LineMap = new LineMap("");
const at = (node: ohm.Node): Pos => lines.pos(node.source.startIdx);
/** The number literals of the parse in progress too large for a double. */
let infinite: { at: Pos; text: string }[] = [];
const named = (node: ohm.Node): Named => ({ name: node.sourceString, at: at(node) });

const expr = (n: ohm.Node): Expr => n["expr"]() as Expr;
const items = (list: ohm.Node): ohm.Node[] => list.asIteration().children;

function binary(op: BinaryOp) {
  return function (this: ohm.Node, left: ohm.Node, sign: ohm.Node, right: ohm.Node): Expr {
    return { kind: "binary", op, left: expr(left), right: expr(right), at: at(sign) };
  };
}

function call(callee: ohm.Node, args: ohm.Node, piped: Expr | null): Expr {
  const rest = items(args).map((a) => a["arg"]() as Arg);
  const first: Arg[] = piped ? [{ name: null, value: piped, at: piped.at }] : [];
  return {
    kind: "call",
    callee: callee.sourceString,
    args: [...first, ...rest],
    piped: !!piped,
    at: at(callee),
  };
}

const pass = (_open: ohm.Node, inner: ohm.Node, _close: ohm.Node): Expr => expr(inner);

const semantics = grammar.createSemantics();

semantics.addOperation<Expr>("expr", {
  Expr_pipe(left, _pipe, target) {
    const piped = expr(left);
    const t = target.child(0); // the PipeTarget_call or PipeTarget_name node
    return call(t.child(0), t.ctorName === "PipeTarget_call" ? t.child(2) : emptyArgs, piped);
  },
  Sum_add: binary("+"),
  Sum_sub: binary("-"),
  Product_mul: binary("*"),
  Product_div: binary("/"),
  Product_matmul: binary("@"),
  Power_pow: binary("^"),
  Unary_neg(sign, operand) {
    return { kind: "neg", operand: expr(operand), at: at(sign) };
  },
  Primary_paren: pass,
  Primary_list(open, list, _comma, _close) {
    return { kind: "list", items: items(list).map(expr), at: at(open) };
  },
  Primary_call(callee, _open, args, _comma, _close) {
    return call(callee, args, null);
  },
  number(_int, _frac, _exp) {
    const value = Number(this.sourceString);
    if (!Number.isFinite(value)) infinite.push({ at: at(this), text: this.sourceString });
    return { kind: "number", value, at: at(this) };
  },
  name(_first, _dots, _rest) {
    return { kind: "name", name: this.sourceString, at: at(this) };
  },
});

/** A stand-in for the missing argument list of `a |> f`. */
const emptyArgs = { asIteration: () => ({ children: [] }) } as unknown as ohm.Node;

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

const type = (n: ohm.Node): TypeExpr => n["type"]() as TypeExpr;

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

const body = (seps: ohm.Node, stmts: ohm.Node): Stmt[] =>
  stmts.children.map((s) => s["stmt"]() as Stmt);

semantics.addOperation<(ModelDecl | BlockDecl)[]>("decls", {
  Program(decls) {
    return decls.children.flatMap((d) => d["decls"]() as (ModelDecl | BlockDecl)[]);
  },
  Decl_sep(_sep) {
    return [];
  },
  Model(kw, name, _seps, _open, b, _close) {
    const [seps, stmts] = b.children;
    return [{ kind: "model", name: named(name), body: body(seps!, stmts!), at: at(kw) }];
  },
  Block(kw, name, _open, params, _close, _seps, _lb, b, _rb) {
    const [seps, stmts] = b.children;
    const ps = items(params).map(named);
    return [
      { kind: "block", name: named(name), params: ps, body: body(seps!, stmts!), at: at(kw) },
    ];
  },
});

/** Parses a `.nn` file; throws NnError (NN1001) at the first syntax error. */
export function parseProgram(source: string, file: string): Program {
  const map = new LineMap(source);
  let match: ohm.MatchResult;
  try {
    match = grammar.match(joinContinuations(source));
  } catch (e) {
    if (e instanceof RangeError) throw tooDeep(source, file);
    throw e;
  }
  if (match.failed()) throw syntaxError(match, source, map, file);
  const saved = { lines, infinite };
  lines = map;
  infinite = [];
  try {
    const decls = semantics(match)["decls"]() as (ModelDecl | BlockDecl)[];
    if (infinite.length > 0) {
      const diags = new Diagnostics(source);
      for (const n of infinite)
        diags.error(
          "NN3005",
          { file, ...n.at },
          `the number ${n.text} is too large (more than ${Number.MAX_VALUE})`,
        );
      throw new NnError(diags.list, source);
    }
    return { file, source, decls };
  } catch (e) {
    if (e instanceof RangeError) throw tooDeep(source, file);
    throw e;
  } finally {
    ({ lines, infinite } = saved);
  }
}

function tooDeep(source: string, file: string): NnError {
  const diags = new Diagnostics(source);
  diags.error("NN1001", { file, line: 1, col: 1 }, "the source is nested too deeply to parse");
  return new NnError(diags.list, source);
}

function syntaxError(
  match: ohm.FailedMatchResult,
  source: string,
  map: LineMap,
  file: string,
): NnError {
  const offset = match.getRightmostFailurePosition();
  const { line, col } = map.pos(offset);
  const diags = new Diagnostics(source);
  const message = `expected ${readableExpected(match.getExpectedText())}, found ${found(source, offset)}`;
  diags.error("NN1001", { file, line, col }, message);
  return new NnError(diags.list, source);
}

/** Ohm lists what could start an expression item by item; say "an expression" instead. */
function readableExpected(text: string): string {
  const parts = text.split(/, or |, | or /).map((p) => p.trim());
  const exprStart = ["a name", "a number", "an identifier", '"["', '"("', '"-"'];
  const isExpr = exprStart.slice(0, 2).every((p) => parts.includes(p));
  const rest = isExpr ? parts.filter((p) => !exprStart.includes(p)) : parts;
  const all = [...(isExpr ? ["an expression"] : []), ...rest]
    .map((p) => p.replace(/^"(.*)"$/, "`$1`"))
    .map((p) => (p === "`\\n`" || p === "`\n`" ? "a newline" : p));
  const unique = [...new Set(all)];
  if (unique.length <= 1) return unique[0] ?? "something else";
  return `${unique.slice(0, -1).join(", ")} or ${unique[unique.length - 1]}`;
}

function found(source: string, offset: number): string {
  if (offset >= source.length) return "the end of the file";
  const ch = source[offset]!;
  if (ch === "\n" || ch === "\r" || ch === CONTINUATION) return "the end of the line";
  const word = /^[\p{L}\p{N}_.]+/u.exec(source.slice(offset))?.[0] ?? ch;
  return `\`${word}\``;
}
