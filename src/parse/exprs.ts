// Lowering expressions: names, numbers (folded while both sides are known), the arithmetic
// operators, `@` in its three forms, and calls of built-ins and blocks.
import { didYouMean } from "../diagnostics.ts";
import { shapeToString, type Dim, type Node } from "../ir/node.ts";
import { add, div, matmul, mul, neg, pow, reshape, ShapeError, sub } from "../ops/index.ts";
import type { BinaryOp, Expr, Pos } from "./ast.ts";
import { apply, POISON, report, toNode, type Cx, type Val } from "./context.ts";
import { builtins } from "./builtins.ts";
import { callBlock } from "./blocks.ts";

export function lowerExpr(e: Expr, cx: Cx): Val {
  switch (e.kind) {
    case "number":
      return e.value;
    case "name":
      return lookup(e.name, e.at, cx);
    case "list":
      report(cx.m, "NN2004", e.at, "a list is allowed only as a param's initial value or as axes");
      return POISON;
    case "string":
      report(
        cx.m,
        "NN2004",
        e.at,
        `a string is allowed only as an argument that takes one, such as \`padding: "same"\``,
      );
      return POISON;
    case "neg": {
      const v = lowerExpr(e.operand, cx);
      if (v === POISON) return POISON;
      return typeof v === "number" ? -v : apply(cx, e.at, () => neg(v));
    }
    case "binary":
      return lowerChain(e, cx);
    case "call":
      return lowerCall(e, cx);
  }
}

export function lookup(name: string, at: Pos, cx: Cx): Val {
  const found = cx.frame.scope.get(name) ?? (cx.frame.block ? undefined : cx.m.root.get(name));
  if (found) return found.value;
  const line = cx.frame.later.get(name);
  if (line !== undefined)
    report(cx.m, "NN2001", at, `\`${name}\` is used before its definition on line ${line}`);
  else {
    const candidates = [...cx.frame.scope.keys(), ...(cx.frame.block ? [] : cx.m.root.keys())];
    report(cx.m, "NN2001", at, `unknown name \`${name}\`${didYouMean(name, candidates)}`);
  }
  return POISON;
}

const fold: Record<BinaryOp, (a: number, b: number) => number> = {
  "+": (a, b) => a + b,
  "-": (a, b) => a - b,
  "*": (a, b) => a * b,
  "/": (a, b) => a / b,
  "^": (a, b) => a ** b,
  "@": () => NaN,
};

const build: Record<Exclude<BinaryOp, "@">, (a: Node, b: Node) => Node> = {
  "+": add,
  "-": sub,
  "*": mul,
  "/": div,
  "^": pow,
};

/**
 * A chain of binary operators, `a + b - c * d`: the left operands nest (the syntax is
 * left-associative), so they are walked with a loop, not recursion; a sum of 100,000 terms is a
 * chain that deep.
 */
function lowerChain(e: Extract<Expr, { kind: "binary" }>, cx: Cx): Val {
  const spine: Extract<Expr, { kind: "binary" }>[] = [];
  let left: Expr = e;
  while (left.kind === "binary") {
    spine.push(left);
    left = left.left;
  }
  let acc = lowerExpr(left, cx);
  for (let i = spine.length - 1; i >= 0; i--) {
    const b = spine[i]!;
    acc = lowerBinary(b.op, acc, lowerExpr(b.right, cx), b.at, cx);
  }
  return acc;
}

function lowerBinary(op: BinaryOp, l: Val, r: Val, at: Pos, cx: Cx): Val {
  if (l === POISON || r === POISON) return POISON;
  if (op === "@") {
    if (typeof l === "number" || typeof r === "number") {
      report(cx.m, "NN3003", at, "`@` needs tensors on both sides, not numbers");
      return POISON;
    }
    return apply(cx, at, () => matmulAny(l, r));
  }
  if (typeof l === "number" && typeof r === "number") return fold[op](l, r);
  return apply(cx, at, () => build[op](toNode(l), toNode(r)));
}

/**
 * `@` as NumPy's matmul: [..., m, k] @ [..., k, n] -> [..., m, n], the leading axes broadcast; a
 * vector on the left is a one-row matrix, on the right a one-column one, the added axis dropped.
 */
export function matmulAny(a: Node, b: Node): Node {
  const [ra, rb] = [a.shape.length, b.shape.length];
  if (ra === 0 || rb === 0)
    throw new ShapeError(
      `\`@\` multiplies matrices and vectors, not scalars: ` +
        `got ${shapeToString(a.shape)} @ ${shapeToString(b.shape)} (use \`*\`)`,
      "NN3003",
    );
  const inner = (s: readonly Dim[], last: boolean) =>
    s[last ? s.length - 1 : Math.max(s.length - 2, 0)];
  if (inner(a.shape, true) !== inner(b.shape, false))
    throw new ShapeError(
      `\`@\` needs the inner sizes to agree: the left side is ${shapeToString(a.shape)}, ` +
        `the right side is ${shapeToString(b.shape)}`,
      "NN3003",
    );
  if (ra >= 2 && rb >= 2) return matmul(a, b);
  const left = ra === 1 ? reshape(a, [1, a.shape[0]!]) : a;
  const right = rb === 1 ? reshape(b, [b.shape[0]!, 1]) : b;
  const product = matmul(left, right);
  const s = product.shape;
  // drop the axis the vector form added: the row (left vector), the column (right vector)
  const kept = s.filter(
    (_, i) => !((ra === 1 && i === s.length - 2) || (rb === 1 && i === s.length - 1)),
  );
  return reshape(product, kept);
}

function lowerCall(e: Extract<Expr, { kind: "call" }>, cx: Cx): Val {
  const builtin = builtins.get(e.callee);
  if (builtin) return builtin(e, cx);
  const block = cx.m.blocks.get(e.callee);
  if (block) return callBlock(block, e, cx);
  const known = [...builtins.keys(), ...cx.m.blocks.keys()];
  const hint = didYouMean(e.callee, known);
  const isValue = cx.frame.scope.has(e.callee)
    ? ` (\`${e.callee}\` is a value, not a function)`
    : "";
  report(cx.m, "NN2003", e.at, `unknown function \`${e.callee}\`${hint || isValue}`);
  return POISON;
}
