// The matrix product C[M, N] = A'[M, K] @ B'[K, N], where A' is A or A^T (`ta`) and B' is B or
// B^T (`tb`), chosen per shape at compile time. C is computed in register blocks of R rows by S
// columns: R*S accumulators live in locals while k runs innermost, so each loaded element of A' is
// used S times and each of B' R times, and C is stored once (not loaded and stored once per k as in
// the i-k-j order). Blocks that do not fit (an odd row, the last N % S columns) get narrower
// blocks of the same form; all sizes known at compile time are literals.

export interface MatmulSpec {
  C: string;
  A: string;
  B: string;
  /** sizes: literals, or the variables holding them */
  M: string;
  N: string;
  K: string;
  ta: boolean;
  tb: boolean;
  /** the register block, rows by columns (default: chosen from the shape) */
  block?: [number, number];
  /** what is stored for the accumulator of a column (default: the accumulator) */
  epilogue?: (acc: string, col: string) => string;
  /** where each matrix starts in its array (one of a batch; default 0) */
  at?: { a?: string; b?: string; c?: string };
  /** C += A'B' (a batch's products summed), instead of C = A'B' */
  accumulate?: boolean;
}

/** `base` moved by the matrix's start in its array, when it has one. */
function from(start: string | undefined, base: string): string {
  return start === undefined ? base : `${start} + ${base}`;
}

/**
 * Rows by columns of the register block. 2x4 (8 accumulators, 6 loads per 8 multiply-adds)
 * measured best for V8 on x64 against 1x8, 4x2 and 4x4 (which spills); a single row (a
 * matrix-vector product) gets 8 columns so that 8 independent sums hide the add latency.
 */
const ROWS = 2;
const COLS = 4;
const VECTOR_COLS = 8;

const isLiteral = (s: string) => /^[0-9]+$/.test(s);

export function matmulLines(s: MatmulSpec): string[] {
  // a row count known only at run time may be 1 (inference on one example): then the product is
  // a vector times a matrix, which the 1x8 form computes best
  if (!isLiteral(s.M) && !s.block) {
    const vector = blockedLines({ ...s, M: "1" });
    const blocked = blockedLines(s);
    const ind = (ls: string[]) => ls.map((l) => `  ${l}`);
    return [`if (${s.M} === 1) {`, ...ind(vector), "} else {", ...ind(blocked), "}"];
  }
  return blockedLines(s);
}

function blockedLines(s: MatmulSpec): string[] {
  const [rows, cols] = s.block ?? (s.M === "1" ? [1, VECTOR_COLS] : [ROWS, COLS]);
  const header =
    `// [${s.M}, ${s.K}] @ [${s.K}, ${s.N}]` +
    (s.ta ? ", left side stored transposed" : "") +
    (s.tb ? ", right side stored transposed" : "") +
    `; blocks of ${rows}x${cols} accumulators, k innermost`;
  const lines = [header];
  const rowsLiteral = isLiteral(s.M);
  const M = rowsLiteral ? Number(s.M) : NaN;
  if (M === 1) return [...lines, ...rowBlock(s, 1, "0", cols)];
  const fullRows = rowsLiteral ? String(M - (M % rows)) : `${s.M} - ${rows - 1}`;
  lines.push(`let i = 0;`, `for (; i < ${fullRows}; i += ${rows}) {`);
  lines.push(...rowBlock(s, rows, "i", cols).map((l) => `  ${l}`), "}");
  if (!rowsLiteral || M % rows !== 0) {
    const body = rowBlock(s, 1, "i", cols);
    lines.push(`for (; i < ${s.M}; i++) {`, ...body.map((l) => `  ${l}`), "}");
  }
  return lines;
}

/** The columns of `rows` rows starting at row `i`: full blocks of `cols`, then the remainder. */
function rowBlock(s: MatmulSpec, rows: number, i: string, cols: number): string[] {
  const lines: string[] = [];
  if (!s.ta)
    for (let r = 0; r < rows; r++)
      lines.push(`const a${r} = ${from(s.at?.a, rowStart(i, r, s.K))};`);
  if (isLiteral(s.N)) {
    const N = Number(s.N);
    const full = N - (N % cols);
    if (full > 0) {
      lines.push(`for (let j = 0; j < ${full}; j += ${cols}) {`);
      lines.push(...block(s, rows, cols, i, "j").map((l) => `  ${l}`), "}");
    }
    if (N % cols !== 0) lines.push(...block(s, rows, N % cols, i, String(full)));
    return lines;
  }
  lines.push(`let j = 0;`, `for (; j < ${s.N} - ${cols - 1}; j += ${cols}) {`);
  lines.push(...block(s, rows, cols, i, "j").map((l) => `  ${l}`), "}");
  lines.push(`for (; j < ${s.N}; j++) {`, ...block(s, rows, 1, i, "j").map((l) => `  ${l}`), "}");
  return lines;
}

/** `i + r` times the row length, folded where it is a literal. */
function rowStart(i: string, r: number, len: string): string {
  if (isLiteral(i) && isLiteral(len)) return String((Number(i) + r) * Number(len));
  if (i === "0") return r === 0 ? "0" : `${r} * ${len}`;
  const row = r === 0 ? i : `(${i} + ${r})`;
  return `${row} * ${len}`;
}

function plus(base: string, off: number): string {
  if (off === 0) return base;
  if (isLiteral(base)) return String(Number(base) + off);
  return `${base} + ${off}`;
}

/** One block of `rows` x `cols` accumulators at (i, j), summed over k, then stored. */
function block(s: MatmulSpec, rows: number, cols: number, i: string, j: string): string[] {
  const acc = (r: number, c: number) => `c${r}${c}`;
  const all: string[] = [];
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) all.push(acc(r, c));
  const lines = [`let ${all.map((a) => `${a} = 0`).join(", ")};`];
  // B' columns stored transposed are rows of B: their starts do not depend on k
  if (s.tb)
    for (let c = 0; c < cols; c++)
      lines.push(`const b${c} = ${from(s.at?.b, rowStart(j, c, s.K))};`);
  const body: string[] = [];
  if (s.ta) body.push(`const ka = ${from(s.at?.a, `k * ${s.M} + ${i}`)};`);
  if (!s.tb) body.push(`const kb = ${from(s.at?.b, `k * ${s.N} + ${j}`)};`);
  const aAt = (r: number) => (s.ta ? `${s.A}[${plus("ka", r)}]` : `${s.A}[a${r} + k]`);
  const bAt = (c: number) => (s.tb ? `${s.B}[b${c} + k]` : `${s.B}[${plus("kb", c)}]`);
  for (let c = 0; c < cols; c++) body.push(`const w${c} = ${bAt(c)};`);
  for (let r = 0; r < rows; r++) {
    body.push(`const x${r} = ${aAt(r)};`);
    body.push(Array.from({ length: cols }, (_, c) => `${acc(r, c)} += x${r} * w${c};`).join(" "));
  }
  lines.push(`for (let k = 0; k < ${s.K}; k++) {`, ...body.map((l) => `  ${l}`), "}");
  const store = s.accumulate ? "+=" : "=";
  for (let r = 0; r < rows; r++) {
    const o = from(s.at?.c, rowStart(i, r, s.N));
    const at = (c: number) =>
      isLiteral(o) && isLiteral(j) ? String(Number(o) + Number(j) + c) : plus(`${o} + ${j}`, c);
    const col = (c: number) => (isLiteral(j) ? String(Number(j) + c) : plus(j, c));
    const value = (c: number) => (s.epilogue ? s.epilogue(acc(r, c), col(c)) : acc(r, c));
    lines.push(...Array.from({ length: cols }, (_, c) => `${s.C}[${at(c)}] ${store} ${value(c)};`));
  }
  return lines;
}

/** The same product as three plain loops with one accumulator (`--plain`, for reading). It sums
 * over k in the same order as the blocked form, so the two give the same bits. */
export function plainMatmulLines(s: MatmulSpec): string[] {
  const a = `${s.A}[${from(s.at?.a, s.ta ? `k * ${s.M} + i` : `i * ${s.K} + k`)}]`;
  const b = `${s.B}[${from(s.at?.b, s.tb ? `j * ${s.K} + k` : `k * ${s.N} + j`)}]`;
  return [
    `// [${s.M}, ${s.K}] @ [${s.K}, ${s.N}], plain loops`,
    `for (let i = 0; i < ${s.M}; i++) {`,
    `  for (let j = 0; j < ${s.N}; j++) {`,
    "    let acc = 0;",
    `    for (let k = 0; k < ${s.K}; k++) acc += ${a} * ${b};`,
    `    ${s.C}[${from(s.at?.c, `i * ${s.N} + j`)}] ${s.accumulate ? "+=" : "="} ${s.epilogue ? s.epilogue("acc", "j") : "acc"};`,
    "  }",
    "}",
  ];
}
