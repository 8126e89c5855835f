// The syntax tree of a `.nn` file. Every node carries the position of the token that errors about
// it point at (1-based line and column in the original source).

export interface Pos {
  line: number;
  col: number;
}

export type BinaryOp = "+" | "-" | "*" | "/" | "@" | "^";

export type Expr =
  | { kind: "number"; value: number; at: Pos }
  /** `"same"`: only some arguments take one */
  | { kind: "string"; value: string; at: Pos }
  | { kind: "name"; name: string; at: Pos }
  | { kind: "list"; items: Expr[]; at: Pos }
  | { kind: "binary"; op: BinaryOp; left: Expr; right: Expr; at: Pos }
  | { kind: "neg"; operand: Expr; at: Pos }
  /** `f(a, b: 1)`; `a |> f(b)` is the call `f(a, b)` with `piped` set */
  | { kind: "call"; callee: string; args: Arg[]; piped: boolean; at: Pos };

export interface Arg {
  /** null for a positional argument */
  name: string | null;
  value: Expr;
  at: Pos;
}

/** A declared type: `scalar`, `[batch, 2]`, or `[batch, 16] int` (integers: indices, classes). */
export type TypeExpr =
  { kind: "scalar"; at: Pos } | { kind: "dims"; dims: Expr[]; int: boolean; at: Pos };

export interface Named {
  name: string;
  at: Pos;
}

interface StmtBase {
  /** the statement's first token */
  at: Pos;
}

export type Stmt =
  | (StmtBase & { kind: "input" | "target"; name: Named; type: TypeExpr })
  | (StmtBase & { kind: "param"; name: Named; type: TypeExpr; init: Expr | null })
  | (StmtBase & { kind: "assign"; name: Named; value: Expr })
  | (StmtBase & { kind: "output"; names: Named[] })
  | (StmtBase & { kind: "loss" | "optimizer" | "metric" | "return"; value: Expr });

export interface ModelDecl {
  kind: "model";
  name: Named;
  body: Stmt[];
  at: Pos;
}

export interface BlockDecl {
  kind: "block";
  name: Named;
  params: Named[];
  body: Stmt[];
  at: Pos;
}

export interface Program {
  file: string;
  source: string;
  decls: (ModelDecl | BlockDecl)[];
  /** the matcher's work: how many matches, and the characters they read in all */
  work: { matches: number; characters: number };
}
