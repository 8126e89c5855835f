// Kernels of the fused ops that are not elementwise: softmax + cross-entropy along an axis, and
// batchnorm's closed-form input gradient. (The fused batchnorm itself is elementwise: codegen
// writes its normalize-scale-shift as one loop like any other.)
import { isScalar, type Node } from "../ir/node.ts";
import type { Args, Exprs } from "./loops.ts";
import type { Plan } from "./plan.ts";

/** The kernel body of a fused op, or null if `node` is not one. */
export function fusedKernel(node: Node, plan: Plan, exprs: Exprs, args: Args): string[] | null {
  switch (node.op) {
    case "softmax_xent":
      return softmaxXent(node, plan);
    case "batchnorm_dx":
      return batchnormDx(node, plan, exprs, args);
    default:
      return null;
  }
}

/** Each line's loss sum_j y_j (lse - z_j), lse = max + log sum exp(z_j - max): never overflows. */
function softmaxXent(node: Node, plan: Plan): string[] {
  const [z, y] = node.inputs as [Node, Node];
  const axis = node.attrs["axis"] as number;
  const Z = plan.nameOf(z);
  const Y = plan.nameOf(y);
  const outer = plan.size(z.shape.slice(0, axis));
  const n = plan.dim(z.shape[axis]!);
  const inner = plan.size(z.shape.slice(axis + 1));
  const step = inner === "1" ? "j" : `j * ${inner}`;
  const at = (buf: string) => `${buf}[base + ${step}]`;
  const scalar = isScalar(node.shape);
  const store = scalar
    ? "return acc;"
    : `${plan.nameOf(node)}[${inner === "1" ? "i" : `i * ${inner} + k`}] = acc;`;
  const line = [
    "let mx = -Infinity;",
    `for (let j = 0; j < ${n}; j++) if (${at(Z)} > mx) mx = ${at(Z)};`,
    "let total = 0;",
    `for (let j = 0; j < ${n}; j++) total += Math.exp(${at(Z)} - mx);`,
    "const lse = mx + Math.log(total);",
    "let acc = 0;",
    `for (let j = 0; j < ${n}; j++) acc += ${at(Y)} * (lse - ${at(Z)});`,
    store,
  ];
  const ind = (ls: string[], by: string) => ls.map((l) => by + l);
  if (inner === "1")
    return [
      `for (let i = 0; i < ${outer}; i++) {`,
      `  const base = i * ${n};`,
      ...ind(line, "  "),
      "}",
    ];
  return [
    `for (let i = 0; i < ${outer}; i++) {`,
    `  for (let k = 0; k < ${inner}; k++) {`,
    `    const base = i * ${n} * ${inner} + k;`,
    ...ind(line, "    "),
    "  }",
    "}",
  ];
}

/**
 * dx = gamma invstd / N (N dy - sum(dy) - xhat sum(dy xhat)), xhat = (x - mu) invstd, per column:
 * one pass over the batch accumulates both sums, a second writes dx.
 */
function batchnormDx(node: Node, plan: Plan, exprs: Exprs, args: Args): string[] {
  const [g, x, mu, invstd, gamma] = node.inputs as [Node, Node, Node, Node, Node];
  const C = plan.dim(node.shape[node.shape.length - 1]!);
  const N = plan.size(node.shape.slice(0, -1));
  const perColumn = (t: Node) =>
    isScalar(t.shape) ? exprs.scalar(t, args) : `${plan.nameOf(t)}[${sizeIs1(t) ? "0" : "j"}]`;
  const G = `${plan.nameOf(g)}[i * ${C} + j]`;
  const X = `${plan.nameOf(x)}[i * ${C} + j]`;
  const xhat = `(${X} - ${perColumn(mu)}) * ${perColumn(invstd)}`;
  return [
    `for (let j = 0; j < ${C}; j++) {`,
    "  let sumG = 0;",
    "  let sumGX = 0;",
    `  for (let i = 0; i < ${N}; i++) {`,
    `    const gi = ${G};`,
    "    sumG += gi;",
    `    sumGX += gi * ${xhat};`,
    "  }",
    `  const scale = (${perColumn(gamma)} * ${perColumn(invstd)}) / ${N};`,
    `  for (let i = 0; i < ${N}; i++)`,
    `    ${plan.nameOf(node)}[i * ${C} + j] = scale * (${N} * ${G} - sumG - ${xhat} * sumGX);`,
    "}",
  ];
}

/** A per-feature tensor of one element (broadcast across the features too). */
function sizeIs1(t: Node): boolean {
  return t.shape.every((d) => d === 1);
}
