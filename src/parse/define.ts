// A built-in function from its signature and a builder over the ops; argument errors and shape
// errors are reported at the call.
import type { Node } from "../ir/node.ts";
import type { Expr } from "./ast.ts";
import { apply, POISON, type Cx, type Val } from "./context.ts";
import { evalArgs, type Args, type ParamSpec } from "./args.ts";

export type CallExpr = Extract<Expr, { kind: "call" }>;
export type Builtin = (call: CallExpr, cx: Cx) => Val;

export function define(
  name: string,
  specs: ParamSpec[],
  build: (a: Args, cx: Cx, call: CallExpr) => Node,
): Builtin {
  return (call, cx) => {
    const args = evalArgs(cx, name, specs, call);
    return args ? apply(cx, call.at, () => build(args, cx, call)) : POISON;
  };
}
