// a ^ b. With a constant exponent the gradient is b a^(b-1); otherwise the log term joins in.
import type { Node } from "../ir/node.ts";
import { binaryOp } from "./elementwise.ts";
import { infix, PREC } from "./notation.ts";
import { make } from "./op.ts";
import { c } from "./const.ts";
import { mul, sub } from "./arith.ts";
import { log } from "./math.ts";

export const powOp = binaryOp({
  name: "pow",
  notation: infix("^", PREC.power, true),
  fn: ([a, b]) => Math.pow(a!, b!),
  emit: ([a, b]) => (b === "2" ? `${a} * ${a}` : `Math.pow(${a}, ${b})`),
  grad: (g, out) => {
    const [a, b] = out.inputs as [Node, Node];
    // d(a^b) = b a^(b-1) da + a^b ln(a) db
    const da = mul(
      g,
      mul(b, pow(a, b.op === "const" ? c((b.attrs["value"] as number) - 1) : sub(b, c(1)))),
    );
    const db = b.op === "const" ? null : mul(g, mul(out, log(a)));
    return [da, db];
  },
});

export const pow = (a: Node, b: Node): Node => make(powOp, [a, b]);
