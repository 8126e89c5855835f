// The size and time bounds of README's "Limits", as data: each case is an input that once hung
// nnc, ran out of memory or took minutes, and what must happen instead (a fast success or a clear
// error). test/limits.test.ts asserts the outcomes at sizes that keep the tests quick;
// scripts/limits.ts runs every case at the sizes of the issue and reports its time.
import { compile } from "../../src/compile.ts";
import { NnError } from "../../src/diagnostics.ts";
import { lower } from "../../src/parse/index.ts";

/** What a case did: the compiled module's size, or the first error. */
export interface Outcome {
  ok: boolean;
  /** the generated module's length in characters */
  js?: number;
  code?: string;
  line?: number;
  col?: number;
  message?: string;
}

export interface Case {
  id: string;
  /** the input, as README's table names it */
  input: string;
  /** what must happen */
  expect: string;
  run(size?: number): Outcome;
  /** the size the issue names, and a smaller one for the tests */
  sizes?: { issue: number; test: number };
  /** the source at a size, for a case that compiles one */
  source?: (size: number) => string;
}

/** compile() to an outcome: the module's length, or the first diagnostic. */
export function attempt(f: () => { js: string } | void): Outcome {
  try {
    const r = f();
    return r ? { ok: true, js: r.js.length } : { ok: true };
  } catch (e) {
    if (!(e instanceof NnError)) throw e;
    const d = e.diagnostics[0]!;
    return { ok: false, code: d.code, line: d.line, col: d.col, message: d.message };
  }
}

export function straightLine(n: number): string {
  const lines = ["model m {", "  input x: [batch, 4]", "  target y: [batch, 4]", "  param w: [4]"];
  lines.push("  a0 = x * w");
  for (let i = 1; i < n; i++) lines.push(`  a${i} = tanh(a${i - 1}) * 0.5 + x`);
  lines.push(`  output a${n - 1}`, `  loss = mean(mse(a${n - 1}, y))`, "}");
  return lines.join("\n") + "\n";
}

export function layers(n: number): string {
  const lines = ["model deep {", "  input x: [batch, 8]", "  target y: [batch, 8]", "  h0 = x"];
  for (let i = 1; i <= n; i++) lines.push(`  h${i} = h${i - 1} |> dense(8) |> relu`);
  lines.push(`  output h${n}`, `  loss = mean(mse(h${n}, y))`, "}");
  return lines.join("\n") + "\n";
}

/** `h = x + 1 - 2 + 3 - ...`: n terms after x. */
export function longSum(n: number): string {
  const terms = Array.from({ length: n }, (_, i) => `${i % 2 === 0 ? "+" : "-"} ${i + 1}`);
  return `model m {\n  input x: [4]\n  h = x ${terms.join(" ")}\n  output h\n}\n`;
}

export function deepParens(n: number): string {
  return `model m {\n  input x: [4]\n  h = ${"(".repeat(n)}x * 2${")".repeat(n)} + 1\n  output h\n}\n`;
}

/** Blocks that each call the one before twice, `levels` deep: 2^levels inlined calls. */
export function doublingBlocks(levels: number): string {
  const blocks = ["block b0(x) { return x * 2 }"];
  for (let i = 1; i < levels; i++)
    blocks.push(`block b${i}(x) { return b${i - 1}(x) + b${i - 1}(x * 3) }`);
  return `${blocks.join("\n")}\nmodel m {\n  input x: [4]\n  h = b${levels - 1}(x)\n  output h\n}\n`;
}

export const fill = (n: number, value: number) =>
  `model m {\n  input x: [batch, ${n}]\n  param W: [${n}, ${n}] = ${value}\n  h = x @ W\n  output h\n}\n`;

/** A case whose input grows with `n`, compiled (or put through `step`) at the size asked for. */
function growing(
  make: (n: number) => string,
  issue: number,
  test: number,
  step: (source: string) => { js: string } | void = (source) => compile(source),
): Pick<Case, "run" | "sizes" | "source"> {
  return { run: (n = issue) => attempt(() => step(make(n))), sizes: { issue, test }, source: make };
}

export const cases: Case[] = [
  {
    id: "fill-4096",
    input: "`param W: [4096, 4096] = 0.5`",
    expect: "compiles to a module under 50 KB (one `fill`)",
    run: () => attempt(() => compile(fill(4096, 0.5))),
  },
  {
    id: "fill-16384",
    input: "`param W: [16384, 16384] = 0` (the largest shape)",
    expect: "compiles to a module under 50 KB",
    run: () => attempt(() => compile(fill(16384, 0))),
  },
  {
    id: "doubling-blocks",
    input: "blocks calling the one before twice, 30 levels (2^30 inlined calls)",
    expect: "NN3009 at the call, naming the block, once its calls build 5,000 nodes",
    ...growing(doublingBlocks, 30, 30),
  },
  {
    id: "statements",
    input: "10,000 straight-line statements",
    expect: "compiles; the work grows linearly with the count",
    ...growing(straightLine, 10000, 2000),
  },
  {
    id: "statements-2000",
    input: "2,000 straight-line statements",
    expect: "compiles",
    ...growing(straightLine, 2000, 500),
  },
  {
    id: "statements-past-limit",
    input: "63,000 straight-line statements (past 250,000 nodes)",
    expect: "NN3009 at the statement that passes the graph's limit",
    ...growing(straightLine, 63000, 63000),
  },
  {
    id: "long-sum",
    input: "a flat sum of 100,000 terms",
    expect: "compiles",
    ...growing(longSum, 100000, 2000),
  },
  {
    id: "long-sum-front-end",
    input: "a flat sum of 100,000 terms, parsed and lowered",
    expect: "parses and lowers (the front end)",
    ...growing(longSum, 100000, 100000, (source) => void lower(source, { file: "sum.nn" })),
  },
  {
    id: "deep-parens",
    input: "1,000-deep parentheses",
    expect: "compiles",
    ...growing(deepParens, 1000, 1000),
  },
  {
    id: "layers",
    input: "a 300-layer model",
    expect: "compiles",
    ...growing(layers, 300, 300),
  },
  {
    id: "bind-1e300",
    input: "`--bind batch=1e300`",
    expect: "NN5001 at compile time (the cap of shapes, 2^28)",
    run: () => attempt(() => compile(layers(1), { bind: new Map([["batch", 1e300]]) })),
  },
];
