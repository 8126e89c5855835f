// Python source text: numbers, tuples and identifiers. A `.nn` name reaches Python only as a
// string literal (pyString, src/codegen/text.ts, where every outside text goes through) or inside
// an identifier that ends in `_N`, which no keyword, builtin or name of the generated module's own
// ends in.

/** A float literal that reads back as the same double (`inf`, `nan` by name). */
export function pyFloat(x: number): string {
  if (Number.isNaN(x)) return 'float("nan")';
  if (x === Infinity) return 'float("inf")';
  if (x === -Infinity) return '-float("inf")';
  const s = String(x);
  return /[.eE]/.test(s) ? s : `${s}.0`;
}

/** A tuple of ints; `(3,)` for one. */
export function pyInts(xs: readonly number[]): string {
  return xs.length === 1 ? `(${xs[0]},)` : `(${xs.join(", ")})`;
}

/** An identifier from any text: `h.W` -> `h_W_7`, unique by its counter. */
export function pyLocal(base: string, n: number): string {
  const root = base.replace(/[^A-Za-z0-9_]/g, "_").replace(/^(?=[0-9])/, "_");
  return `${root}_${n}`;
}

export function indent(lines: string[], by = "    "): string[] {
  return lines.map((l) => (l === "" ? l : by + l));
}
