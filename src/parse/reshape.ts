// The shape functions: reshape(x, [d, ...]) with one -1 to infer and named dims, flatten(x) (every
// axis after the first into one), and transpose(x, [perm]) (transpose(x) reverses the axes).
import { shapeToString, type Dim, type Node } from "../ir/node.ts";
import * as ops from "../ops/index.ts";
import { ShapeError } from "../ops/op.ts";
import { ints, shapeList, tensor } from "./args.ts";
import { define } from "./define.ts";

/** A shape's element count as a fixed factor and the named dims (a multiset). */
function factors(shape: readonly Dim[]): { fixed: number; named: string[] } {
  let fixed = 1;
  const named: string[] = [];
  for (const d of shape) {
    if (typeof d === "number") fixed *= d;
    else named.push(d);
  }
  return { fixed, named };
}

/** The target shape with its -1 replaced by the one size that keeps the element count. */
export function inferShape(from: readonly Dim[], to: readonly Dim[]): Dim[] {
  const hole = to.indexOf(-1);
  const cannot = (why: string) =>
    new ShapeError(
      `cannot reshape ${shapeToString(from)} to ${shapeToString(to)}: ${why}`,
      "NN3001",
    );
  const have = factors(from);
  const want = factors(to.filter((d) => d !== -1));
  const left = [...have.named];
  for (const n of want.named) {
    const i = left.indexOf(n);
    if (i < 0) throw cannot(`\`${n}\` is not a dimension of the input`);
    left.splice(i, 1);
  }
  if (hole < 0) {
    if (left.length > 0 || have.fixed !== want.fixed)
      throw cannot(`${count(have)} elements are not ${count(want)}`);
    return [...to];
  }
  if (have.fixed % want.fixed !== 0)
    throw cannot(`${count(have)} elements do not divide into ${count(want)}`);
  const rest = have.fixed / want.fixed;
  if (left.length > 1 || (left.length === 1 && rest !== 1))
    throw cannot("-1 would stand for a product of named dimensions; name the sizes instead");
  const out = [...to];
  out[hole] = left.length === 1 ? left[0]! : rest;
  return out;
}

function count(f: { fixed: number; named: string[] }): string {
  return [...(f.fixed !== 1 || f.named.length === 0 ? [String(f.fixed)] : []), ...f.named].join(
    " * ",
  );
}

export const reshapeBuiltin = define("reshape", [tensor("x"), shapeList("shape")], (a) => {
  const x = a.t("x");
  return ops.reshape(x, inferShape(x.shape, a.shape("shape")));
});

export const flattenBuiltin = define("flatten", [tensor("x")], (a) => {
  const x = a.t("x");
  if (x.shape.length < 2)
    throw new ShapeError(
      `flatten needs a batch of at least [batch, n]; got ${shapeToString(x.shape)}`,
      "NN3008",
    );
  const rest = x.shape.slice(1);
  const { fixed, named } = factors(rest);
  if (named.length > 0)
    throw new ShapeError(
      `flatten joins the axes after the first, which must have fixed sizes; got ${shapeToString(x.shape)}`,
      "NN3007",
    );
  return ops.reshape(x, [x.shape[0]!, fixed]);
});

export const transposeBuiltin = define("transpose", [tensor("x"), ints("perm")], (a) => {
  const x = a.t("x");
  const perm = a.ints("perm");
  if (perm === undefined) return ops.transpose(x);
  const rank = x.shape.length;
  const sorted = [...perm].sort((p, q) => p - q);
  if (perm.length !== rank || sorted.some((p, i) => p !== i))
    throw new ShapeError(
      `transpose(x, perm) needs a permutation of 0..${rank - 1} for x of shape ${shapeToString(x.shape)}; got [${perm.join(", ")}]`,
      "NN3002",
    );
  return ops.transpose(x, perm);
});

export type { Node };
