// The JS bodies of the sequence models' kernels: reading a table at integer indices and adding
// back into it, a line's class probability and its one-hot gradient, the cross-entropy of
// integer classes from the logits, layernorm's input gradient, and the causal mask.
import type { KernelSpec } from "../schedule/kernels.ts";
import { exprAt, sizeOf, wrap, type Loop, type Scope } from "./loops.ts";

type Spec<K extends KernelSpec["kind"]> = Extract<KernelSpec, { kind: K }>;
type TableSpec = Spec<"gather" | "scatter_add" | "pick" | "unpick" | "softmax_xent_int">;

/** The names of a kernel's parameters, in order (the output last). */
export function tableParams(spec: TableSpec): string[] {
  switch (spec.kind) {
    case "gather":
      return ["w", "idx", "out"];
    case "scatter_add":
      return ["dy", "idx", "dw"];
    case "pick":
      return ["p", "y", "out"];
    case "unpick":
      return ["dy", "y", "dp"];
    case "softmax_xent_int":
      return ["z", "y", "out"];
  }
}

export function tableLines(spec: TableSpec, scope: Scope): string[] {
  const n = sizeOf(spec.count, scope);
  switch (spec.kind) {
    case "gather":
      // out[i] = w[idx[i]], a row of `width` numbers each
      return [
        `for (let i = 0; i < ${n}; i++) {`,
        `  const from = idx[i] * ${spec.width};`,
        `  for (let k = 0; k < ${spec.width}; k++) out[i * ${spec.width} + k] = w[from + k];`,
        "}",
      ];
    case "scatter_add":
      // dw[idx[i]] += dy[i]: repeated indices add up
      return [
        `dw.fill(0, 0, ${spec.rows * spec.width});`,
        `for (let i = 0; i < ${n}; i++) {`,
        `  const to = idx[i] * ${spec.width};`,
        `  for (let k = 0; k < ${spec.width}; k++) dw[to + k] += dy[i * ${spec.width} + k];`,
        "}",
      ];
    case "pick":
      return [`for (let i = 0; i < ${n}; i++) out[i] = p[i * ${spec.classes} + y[i]];`];
    case "unpick":
      return [
        `dp.fill(0, 0, ${n} * ${spec.classes});`,
        `for (let i = 0; i < ${n}; i++) dp[i * ${spec.classes} + y[i]] = dy[i];`,
      ];
    case "softmax_xent_int":
      // lse(z) - z[y], lse with the line's largest logit taken out first
      return [
        `for (let i = 0; i < ${n}; i++) {`,
        `  const at = i * ${spec.classes};`,
        "  let mx = -Infinity;",
        `  for (let j = 0; j < ${spec.classes}; j++) if (z[at + j] > mx) mx = z[at + j];`,
        "  let total = 0;",
        `  for (let j = 0; j < ${spec.classes}; j++) total += Math.exp(z[at + j] - mx);`,
        "  out[i] = mx + Math.log(total) - z[at + y[i]];",
        "}",
      ];
  }
}

/**
 * dx = invstd / D (D dxhat - sum(dxhat) - xhat sum(dxhat xhat)), dxhat = dy gamma, per row of the
 * last axis: one pass over the row accumulates both sums, a second writes dx. The row's
 * statistics are read with j = 0 (they do not vary along the row), gamma at each j.
 */
export function layernormDxLines(spec: Spec<"layernorm_dx">, scope: Scope): string[] {
  const D = sizeOf(spec.shape.slice(-1), scope);
  const lead = spec.shape.slice(0, -1);
  const loop: Loop = {
    extents: spec.shape.map((d) => sizeOf([d], scope)),
    vars: [...lead.map((_, k) => `r${k}`), "j"],
    flat: false,
    shape: spec.shape,
  };
  const [mean, invstd, gamma] = [spec.mean, spec.invstd, spec.gamma].map((e) =>
    wrap(exprAt(e, loop, scope)),
  );
  const body = [
    "const j = 0;",
    `const at = row * ${D};`,
    `const m = ${mean};`,
    `const s = ${invstd};`,
    "let sumD = 0;",
    "let sumDX = 0;",
    `for (let j = 0; j < ${D}; j++) {`,
    `  const d = dy[at + j] * ${gamma};`,
    "  sumD += d;",
    "  sumDX += d * (x[at + j] - m) * s;",
    "}",
    `for (let j = 0; j < ${D}; j++) {`,
    `  const d = dy[at + j] * ${gamma};`,
    `  dx[at + j] = (s / ${D}) * (${D} * d - sumD - (x[at + j] - m) * s * sumDX);`,
    "}",
    "row++;",
  ];
  const rows = lead.reduceRight(
    (inner, d, k) => [
      `for (let r${k} = 0; r${k} < ${sizeOf([d], scope)}; r${k}++) {`,
      ...inner.map((l) => `  ${l}`),
      "}",
    ],
    body,
  );
  return ["let row = 0;", ...rows];
}

/** out = x with the entries above the diagonal of the last two axes set to -inf (or 0). */
export function causalMaskLines(spec: Spec<"causal_mask">, scope: Scope): string[] {
  const [T, U] = spec.shape.slice(-2).map((d) => sizeOf([d], scope)) as [string, string];
  const batch = sizeOf(spec.shape.slice(0, -2), scope);
  const fill = spec.fill === "zero" ? "0" : "-Infinity";
  return [
    `for (let b = 0; b < ${batch}; b++) {`,
    `  for (let i = 0; i < ${T}; i++) {`,
    `    const at = (b * ${T} + i) * ${U};`,
    `    for (let j = 0; j <= i && j < ${U}; j++) out[at + j] = x[at + j];`,
    `    for (let j = i + 1; j < ${U}; j++) out[at + j] = ${fill};`,
    "  }",
    "}",
  ];
}
