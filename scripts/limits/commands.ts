// The other half of README's "Limits": every command on the largest sources the block limits
// accept. Blocks are the one construct whose graph grows faster than its text (a block that calls
// the one before twice doubles it at each level), so these sources, each under 1 kB, are the most
// work a source under 10 kB can ask for; every command must finish on each within the table's
// time and memory. scripts/limits.ts runs each pair in a process of its own.
import { NnError } from "../../src/diagnostics.ts";
import { lower } from "../../src/parse/index.ts";
import { straightLine } from "./cases.ts";

/** A family of sources: blocks `levels` deep, each calling the one before `fan` times. */
export interface BlockShape {
  id: string;
  /** as README's table names it */
  input: string;
  source(levels: number): string;
}

/** Blocks b0..b(levels-1): b0 is `leaf`; each other block returns `body` of the one before. */
function nested(leaf: string, body: (b: string) => string, levels: number): string {
  const blocks = [`block b0(x) { ${leaf} }`];
  for (let i = 1; i < levels; i++) blocks.push(`block b${i}(x) { return ${body(`b${i - 1}`)} }`);
  return [
    ...blocks,
    "model m {",
    "  input x: [batch, 4]",
    "  target y: [batch, 4]",
    "  param s: [4] = 1",
    `  h = b${levels - 1}(x) * s`,
    "  output h",
    "  loss = mean(mse(h, y))",
    "  optimizer = adam(lr: 0.01)",
    "}",
    "",
  ].join("\n");
}

/** `b(x) + b(x) + ...`, `fan` calls */
const sum = (fan: number) => (b: string) =>
  Array.from({ length: fan }, () => `${b}(x)`).join(" + ");

export const blockShapes: BlockShape[] = [
  {
    id: "calls",
    input: "blocks calling the one before on its own result (calls that build nothing)",
    source: (n) => nested("return x", (b) => `${b}(${b}(x))`, n),
  },
  {
    id: "double",
    input: "blocks calling the one before twice",
    source: (n) => nested("return x * 2", (b) => `${b}(x) + ${b}(x * 3)`, n),
  },
  {
    id: "double-param",
    input: "the same, a param at each leaf",
    source: (n) => nested("param w: [4] = 1; return x * w", sum(2), n),
  },
  {
    id: "fan4-param",
    input: "four calls a level, a param at each leaf (one wide sum)",
    source: (n) => nested("param w: [4] = 1; return x * w", sum(4), n),
  },
  {
    id: "double-dense",
    input: "twice a level, a dense layer and tanh at each leaf",
    source: (n) => nested("return x |> dense(4) |> tanh", sum(2), n),
  },
  {
    id: "double-batchnorm",
    input: "twice a level, a batchnorm at each leaf",
    source: (n) => nested("return x |> batchnorm", sum(2), n),
  },
];

const deepestOf = new Map<BlockShape, number>();

/** The most levels of `shape` that the limits accept (one level more is NN3009). */
export function deepest(shape: BlockShape): number {
  let levels = deepestOf.get(shape);
  if (levels !== undefined) return levels;
  for (levels = 1; accepted(shape, levels + 1); levels++);
  deepestOf.set(shape, levels);
  return levels;
}

function accepted(shape: BlockShape, levels: number): boolean {
  try {
    lower(shape.source(levels), { file: `${shape.id}.nn` });
    return true;
  } catch (e) {
    if (e instanceof NnError && e.diagnostics[0]?.code === "NN3009") return false;
    throw e;
  }
}

/** The largest source of each shape the limits accept, with what it is (for the table). */
export function largest(id: string): { source: string; size: string } {
  if (id === "statements") {
    const source = straightLine(STATEMENTS);
    return { source, size: `${STATEMENTS.toLocaleString("en-US")} (${source.length} bytes)` };
  }
  const shape = blockShapes.find((s) => s.id === id)!;
  const source = shape.source(deepest(shape));
  return { source, size: `${deepest(shape)} levels (${source.length} bytes)` };
}

/** Straight-line statements up to the graph's limit (248,005 of 250,000 nodes): a large source. */
const STATEMENTS = 62_000;

/** Every source of the table: the block shapes, then the large one. */
export const limitSources = [
  ...blockShapes.map((s) => ({ id: s.id, input: s.input })),
  { id: "statements", input: "straight-line statements up to the graph limit" },
];

/** Each command of the CLI, as run on a source file; `module`: the module it writes. */
export const commands: {
  id: string;
  argv(file: string, out: string): string[];
  module?: (out: string) => string;
}[] = [
  { id: "compile", argv: (f, o) => ["compile", f, "-o", `${o}.js`], module: (o) => `${o}.js` },
  {
    id: "compile wasm",
    argv: (f, o) => ["compile", f, "--target", "wasm", "-o", `${o}.js`],
    module: (o) => `${o}.js`,
  },
  { id: "grad", argv: (f) => ["grad", f] },
  { id: "graph", argv: (f) => ["graph", f, "--backward"] },
  { id: "trace", argv: (f) => ["trace", f, "--at", "x=1,y=1"] },
  { id: "check", argv: (f) => ["check", f] },
  { id: "stats", argv: (f) => ["stats", f] },
  { id: "onnx", argv: (f, o) => ["export", f, "--format", "onnx", "-o", `${o}.onnx`] },
  {
    id: "onnx training",
    argv: (f, o) => ["export", f, "--format", "onnx", "--training", "-o", `${o}.onnx`],
  },
  { id: "torch", argv: (f, o) => ["export", f, "--format", "torch", "-o", `${o}.py`] },
];
