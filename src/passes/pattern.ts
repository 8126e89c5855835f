// Patterns over the IR: a tree of ops whose leaves are variables (`v("x")` matches any node) and
// constants (`k(1)` matches the number 1, also broadcast by `expand`). A variable used twice must
// match the same node twice, which hash-consing makes an identity test. `add` and `mul` match in
// either operand order.
import type { AttrValue, Node } from "../ir/node.ts";
import type { OpName } from "../ops/names.ts";

export type Pattern =
  | { kind: "var"; name: string }
  | { kind: "const"; value: number | null; name: string | null }
  | {
      kind: "op";
      op: OpName;
      args: Pattern[];
      attrs: Readonly<Record<string, AttrValue>>;
      name: string | null;
    };

export type Bindings = Record<string, Node>;

const commutative = new Set<OpName>(["add", "mul"]);

/** Any node, bound to `name`. */
export const v = (name: string): Pattern => ({ kind: "var", name });

/** A constant: exactly `value`, or any (bound to `name`) when `value` is null. */
export const k = (value: number | null, name: string | null = null): Pattern => ({
  kind: "const",
  value,
  name,
});

/** An op applied to argument patterns; `attrs` must agree where given; `as` binds the node. */
export function p(
  op: OpName,
  args: Pattern[],
  attrs: Record<string, AttrValue> = {},
  as: string | null = null,
): Pattern {
  return { kind: "op", op, args, attrs, name: as };
}

export const P = {
  add: (a: Pattern, b: Pattern) => p("add", [a, b]),
  sub: (a: Pattern, b: Pattern) => p("sub", [a, b]),
  mul: (a: Pattern, b: Pattern) => p("mul", [a, b]),
  div: (a: Pattern, b: Pattern) => p("div", [a, b]),
  pow: (a: Pattern, b: Pattern) => p("pow", [a, b]),
  neg: (a: Pattern) => p("neg", [a]),
  exp: (a: Pattern) => p("exp", [a]),
  log: (a: Pattern) => p("log", [a]),
  sqrt: (a: Pattern) => p("sqrt", [a]),
  sigmoid: (a: Pattern) => p("sigmoid", [a]),
  softmax: (a: Pattern) => p("softmax", [a]),
  transpose: (a: Pattern) => p("transpose", [a]),
  expand: (a: Pattern) => p("expand", [a]),
};

/** The number a node holds, if it is a constant (or a constant broadcast to a shape). */
export function constValue(node: Node): number | null {
  if (node.op === "const") return node.attrs["value"] as number;
  if (node.op === "expand" && node.inputs[0]!.op === "const")
    return node.inputs[0]!.attrs["value"] as number;
  return null;
}

/** The bindings under which `pattern` matches `node`, or null. */
export function match(pattern: Pattern, node: Node): Bindings | null {
  const b: Bindings = {};
  return go(pattern, node, b) ? b : null;
}

function bind(b: Bindings, name: string | null, node: Node): boolean {
  if (name === null) return true;
  const prev = b[name];
  if (prev !== undefined) return prev === node;
  b[name] = node;
  return true;
}

function go(pat: Pattern, node: Node, b: Bindings): boolean {
  switch (pat.kind) {
    case "var":
      return bind(b, pat.name, node);
    case "const": {
      const value = constValue(node);
      if (value === null || (pat.value !== null && value !== pat.value)) return false;
      return bind(b, pat.name, node);
    }
    case "op": {
      if (node.op !== pat.op || node.inputs.length !== pat.args.length) return false;
      for (const [key, want] of Object.entries(pat.attrs))
        if (JSON.stringify(node.attrs[key]) !== JSON.stringify(want)) return false;
      if (!bind(b, pat.name, node)) return false;
      if (argsMatch(pat.args, node.inputs, b)) return true;
      if (!commutative.has(pat.op)) return false;
      return argsMatch([pat.args[1]!, pat.args[0]!], node.inputs, b);
    }
  }
}

/** All arguments match, or the bindings are left as they were. */
function argsMatch(args: Pattern[], inputs: readonly Node[], b: Bindings): boolean {
  const saved = { ...b };
  if (args.every((a, i) => go(a, inputs[i]!, b))) return true;
  for (const key of Object.keys(b)) if (!(key in saved)) delete b[key];
  return false;
}
