// User-defined layers: a block's arguments are bound by position or name (the first is the piped
// tensor; others may be numbers), and its body is lowered in a scope of its own whose params are
// named `<prefix>.<param>`, the prefix coming from the calling statement's binding.
import type { BlockDecl, Expr } from "./ast.ts";
import {
  checkWork,
  markOrigins,
  POISON,
  report,
  toNode,
  type Cx,
  type Frame,
  type Val,
} from "./context.ts";
import { evalArgs, type ParamSpec } from "./args.ts";
import { nodesBuilt } from "../ir/node.ts";
import { definitions, lowerBody } from "./statements.ts";

export function callBlock(block: BlockDecl, call: Extract<Expr, { kind: "call" }>, cx: Cx): Val {
  const name = block.name.name;
  cx.m.inlined.calls++;
  checkWork(cx.m, call.at);
  if (cx.m.calls.some((c) => c.block === name)) {
    report(
      cx.m,
      "NN2006",
      call.at,
      `the block \`${name}\` calls itself; blocks cannot be recursive`,
    );
    return POISON;
  }
  const specs: ParamSpec[] = block.params.map((p, i) => ({
    name: p.name,
    kind: i === 0 ? "tensor" : "value",
  }));
  const args = evalArgs(cx, name, specs, call);
  if (!args) return POISON;
  // the arguments belong to the calling statement (`layernorm(x1)` in `x2 = x1 + mlp(layernorm(x1))`),
  // not to the first statement of the block that reads them
  const caller = cx.m.statements[cx.m.statements.length - 1];
  if (caller) markOrigins(cx.m, caller.mark, caller.origin);
  const frame: Frame = {
    scope: new Map(block.params.map((p) => [p.name, { value: args.value(p.name), at: p.at }])),
    prefix: cx.namer.next(name),
    block,
    later: definitions(block.body),
  };
  const inlined = cx.m.inlined;
  if (cx.m.calls.length === 0) inlined.since = nodesBuilt();
  cx.m.calls.push({ block: name, at: call.at });
  try {
    const result = lowerBody(block.body, frame, cx.m, null);
    return result === null || result === POISON ? POISON : toNode(result);
  } finally {
    cx.m.calls.pop();
    if (cx.m.calls.length === 0) inlined.nodes += nodesBuilt() - inlined.since;
  }
}
