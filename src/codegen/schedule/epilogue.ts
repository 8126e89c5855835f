// Epilogues: a dense layer's bias, per-column scale (a batchnorm folded into it) and activation,
// and a convolution's bias per channel and activation, found in the graph so that they are
// applied as the product is stored.
import type { Node, Shape } from "../../ir/node.ts";

/** What is applied to each element of a product as it is stored: act(acc * scale + shift). */
export interface Epilogue {
  /** a matrix product, or a convolution (no scale) */
  product: Node;
  /** per-column vectors ([n], [1, n], ...); a convolution's shift per channel ([O, 1, 1]) */
  scale?: Node;
  shift?: Node;
  activation?: "relu" | "sigmoid" | "tanh";
}

const ACTIVATIONS = new Set(["relu", "sigmoid", "tanh"]);

/** `act(mm * scale + shift)` or `act(conv2d + shift)`, the parts optional, through fused broadcasts. */
export function matchEpilogue(n: Node, fused: (x: Node) => boolean): Epilogue | null {
  if (n.shape.length < 2) return null;
  return (
    matchWith(n, fused, "matmul") ?? (n.shape.length === 4 ? matchWith(n, fused, "conv2d") : null)
  );
}

function matchWith(n: Node, fused: (x: Node) => boolean, product: "matmul" | "conv2d") {
  const inside = (x: Node) => (x.op === "expand" && fused(x) ? x.inputs[0]! : x);
  let e: Epilogue = { product: n };
  let t = n;
  if (ACTIVATIONS.has(t.op)) {
    e.activation = t.op as Epilogue["activation"];
    t = t.inputs[0]!;
    if (!fused(t) && t.op !== product) return null;
  }
  // a product's vector runs along its columns (the last axis), a convolution's along channels
  const axis = product === "matmul" ? n.shape.length - 1 : 1;
  const column = (v: Node) => {
    const c = inside(v);
    return along(c.shape, n.shape, axis) ? c : null;
  };
  const split = (x: Node, op: string): [Node, Node] | null => {
    if (x.op !== op || (x !== t && !fused(x))) return null;
    const [a, b] = x.inputs as [Node, Node];
    const ca = column(b) ? ([a, column(b)!] as [Node, Node]) : null;
    return ca ?? (column(a) ? [b, column(a)!] : null);
  };
  const add = split(t, "add");
  if (add) [t, e] = [add[0], { ...e, shift: add[1] }];
  const mul =
    t !== n && product === "matmul" && (t.op === "mul" && fused(t) ? split(t, "mul") : null);
  if (mul) [t, e] = [mul[0], { ...e, scale: mul[1] }];
  if (t.op !== product || t === n) return null;
  if (!e.activation && !e.shift && !e.scale) return null;
  return { ...e, product: t };
}

/**
 * Whether a vector of shape `s`, broadcast to `out`, holds one number per index of out's `axis`:
 * per column of a matrix or a batch of them ([n], [1, n], [1, 1, n]), per channel of images
 * ([O, 1, 1], [1, O, 1, 1]).
 */
function along(s: Shape, out: Shape, axis: number): boolean {
  const at = axis - (out.length - s.length);
  return at >= 0 && s[at] === out[axis] && s.every((d, i) => i === at || d === 1);
}
