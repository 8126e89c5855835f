// Epilogues: a dense layer's bias, per-column scale (a batchnorm folded into it) and activation,
// found in the graph so that they are applied as the matrix product is stored.
import type { Node } from "../../ir/node.ts";

/** What is applied to each element of a matrix product as it is stored: act(acc * scale + shift). */
export interface Epilogue {
  product: Node;
  /** per-column vectors ([n], [1, n], ...) */
  scale?: Node;
  shift?: Node;
  activation?: "relu" | "sigmoid" | "tanh";
}

const ACTIVATIONS = new Set(["relu", "sigmoid", "tanh"]);

/** `act(mm * scale + shift)` with the parts optional, through fused broadcasts; else null. */
export function matchEpilogue(n: Node, fused: (x: Node) => boolean): Epilogue | null {
  const inside = (x: Node) => (x.op === "expand" && fused(x) ? x.inputs[0]! : x);
  let e: Epilogue = { product: n };
  let t = n;
  if (ACTIVATIONS.has(t.op)) {
    e.activation = t.op as Epilogue["activation"];
    t = t.inputs[0]!;
    if (!fused(t) && t.op !== "matmul") return null;
  }
  // a vector along the last axis ([n], [1, n], [1, 1, n], ...)
  const column = (v: Node) => {
    const c = inside(v);
    const s = c.shape;
    const last = s.length - 1;
    return last >= 0 && s.every((d, i) => i === last || d === 1) && s[last] === n.shape.at(-1)
      ? c
      : null;
  };
  const split = (x: Node, op: string): [Node, Node] | null => {
    if (x.op !== op || (x !== t && !fused(x))) return null;
    const [a, b] = x.inputs as [Node, Node];
    const ca = column(b) ? ([a, column(b)!] as [Node, Node]) : null;
    return ca ?? (column(a) ? [b, column(a)!] : null);
  };
  const add = split(t, "add");
  if (add) [t, e] = [add[0], { ...e, shift: add[1] }];
  const mul = t !== n && (t.op === "mul" && fused(t) ? split(t, "mul") : null);
  if (mul) [t, e] = [mul[0], { ...e, scale: mul[1] }];
  if (t.op !== "matmul" || t === n) return null;
  if (!e.activation && !e.shift && !e.scale) return null;
  return { ...e, product: t };
}
