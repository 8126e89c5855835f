// The JS bodies of the kernels that run along one axis or per column: softmax and log_softmax,
// softmax + cross-entropy (log-sum-exp, so any logits give a finite loss), and batchnorm's
// closed-form input gradient.
import type { KernelSpec } from "../schedule/kernels.ts";
import { exprAt, sizeOf, wrap, type Loop, type Scope } from "./loops.ts";

type Spec<K extends KernelSpec["kind"]> = Extract<KernelSpec, { kind: K }>;

/** Runs `line` once per line along `axis` of `shape`, with `base` the line's first element and
 * `at(buf)` its j-th element; `i` (and `k`) index the line among all lines. */
function alongAxis(
  shape: Spec<"softmax">["shape"],
  axis: number,
  scope: Scope,
  line: (at: (buf: string) => string, n: string) => string[],
): string[] {
  const outer = sizeOf(shape.slice(0, axis), scope);
  const n = sizeOf([shape[axis]!], scope);
  const inner = sizeOf(shape.slice(axis + 1), scope);
  const step = inner === "1" ? "j" : `j * ${inner}`;
  const body = line((buf) => `${buf}[base + ${step}]`, n);
  if (inner === "1")
    return [
      `for (let i = 0; i < ${outer}; i++) {`,
      `  const base = i * ${n};`,
      ...body.map((l) => `  ${l}`),
      "}",
    ];
  return [
    `for (let i = 0; i < ${outer}; i++) {`,
    `  for (let k = 0; k < ${inner}; k++) {`,
    `    const base = i * ${n} * ${inner} + k;`,
    ...body.map((l) => `    ${l}`),
    "  }",
    "}",
  ];
}

/** softmax / log_softmax of each line in three passes: max, sum of exp, scale. */
export function softmaxLines(spec: Spec<"softmax">, scope: Scope): string[] {
  return alongAxis(spec.shape, spec.axis, scope, (at, n) => [
    "let mx = -Infinity;",
    `for (let j = 0; j < ${n}; j++) if (${at("x")} > mx) mx = ${at("x")};`,
    "let total = 0;",
    `for (let j = 0; j < ${n}; j++) {`,
    `  const ex = Math.exp(${at("x")} - mx);`,
    ...(spec.log ? [] : [`  ${at("out")} = ex;`]),
    "  total += ex;",
    "}",
    spec.log
      ? `for (let j = 0; j < ${n}; j++) ${at("out")} = ${at("x")} - mx - Math.log(total);`
      : `for (let j = 0; j < ${n}; j++) ${at("out")} /= total;`,
  ]);
}

/** Each line's loss sum_j y_j (lse - z_j), lse = max + log sum exp(z_j - max): never overflows. */
export function softmaxXentLines(spec: Spec<"softmax_xent">, scope: Scope): string[] {
  const inner = sizeOf(spec.shape.slice(spec.axis + 1), scope);
  const store = spec.scalar
    ? "result[0] = acc;"
    : `out[${inner === "1" ? "i" : `i * ${inner} + k`}] = acc;`;
  return alongAxis(spec.shape, spec.axis, scope, (at, n) => [
    "let mx = -Infinity;",
    `for (let j = 0; j < ${n}; j++) if (${at("z")} > mx) mx = ${at("z")};`,
    "let total = 0;",
    `for (let j = 0; j < ${n}; j++) total += Math.exp(${at("z")} - mx);`,
    "const lse = mx + Math.log(total);",
    "let acc = 0;",
    `for (let j = 0; j < ${n}; j++) acc += ${at("y")} * (lse - ${at("z")});`,
    store,
  ]);
}

/**
 * dx = gamma invstd / N (N dy - sum(dy) - xhat sum(dy xhat)), xhat = (x - mean) invstd, per
 * channel: x is viewed as [outer, C, inner] (a batch of rows: [N, C, 1]; of images: [N, C, H W]);
 * one pass over the channel's elements accumulates both sums, a second writes dx.
 */
export function batchnormDxLines(spec: Spec<"batchnorm_dx">, scope: Scope): string[] {
  const C = sizeOf([spec.shape[1]!], scope);
  const outer = sizeOf([spec.shape[0]!], scope);
  const inner = sizeOf(spec.shape.slice(2), scope);
  const ones = spec.shape.slice(2).map(() => 1);
  const channel: Loop = {
    extents: [C],
    vars: ["j"],
    flat: false,
    shape: [spec.shape[1]!, ...ones],
  };
  const [mean, invstd, gamma] = [spec.mean, spec.invstd, spec.gamma].map((e) =>
    wrap(exprAt(e, channel, scope)),
  );
  const rows = inner === "1";
  // the element (o, j, i): rows o * C + j; images (o * C + j) * inner + i
  const at = rows ? `o * ${C} + j` : "k";
  const loops = (body: string[]) =>
    rows
      ? [`  for (let o = 0; o < ${outer}; o++) {`, ...body.map((l) => `  ${l}`), "  }"]
      : [
          `  for (let o = 0; o < ${outer}; o++) {`,
          `    const base = (o * ${C} + j) * ${inner};`,
          `    for (let k = base; k < base + ${inner}; k++) {`,
          ...body.map((l) => `    ${l}`),
          "    }",
          "  }",
        ];
  const xhat = `(x[${at}] - ${mean}) * ${invstd}`;
  const N = rows ? outer : `(${outer} * ${inner})`;
  return [
    `for (let j = 0; j < ${C}; j++) {`,
    "  let sumG = 0;",
    "  let sumGX = 0;",
    ...loops([`  const gi = dy[${at}];`, "  sumG += gi;", `  sumGX += gi * ${xhat};`]),
    `  const scale = (${gamma} * ${invstd}) / ${N};`,
    ...loops([`  dx[${at}] = scale * (${N} * dy[${at}] - sumG - ${xhat} * sumGX);`]),
    "}",
  ];
}
