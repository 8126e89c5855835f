// A random small model from a seed: one to six statements, each from a row of the table (rows.ts)
// chosen by a stable hash, over leaves declared as they are needed; every value that no later
// statement reads becomes a term of the loss, so that every param reaches it.
import { Builder, type TargetDomain } from "./builder.ts";
import { choose, Draw } from "./draw.ts";
import { heads, rows, type Row } from "./rows.ts";
import { updates, type Update } from "../optimizer-steps.ts";

export interface Sample {
  seed: number;
  source: string;
  /** the rows its statements chose, in order */
  rows: string[];
  /** what each target's and each int input's data holds */
  targets: ReadonlyMap<string, TargetDomain>;
  /** the size of `batch` */
  batch: number;
  /** the optimizer statement, and its update of one element written out by hand */
  optimizer: { name: string; update: Update };
}

// every optimizer, without weight decay (which needs a matrix to apply to)
const optimizers = updates.map(([statement, update]) => ({
  name: statement.replace(/weight_decay: [\d.]+/, "weight_decay: 0"),
  update,
}));

export const FILE = "random.nn";

/** The sample of `seed`; `table` the rows to choose from (all of them but in tests of the table). */
export function generate(seed: number, table: readonly Row[] = rows): Sample {
  const b = new Builder(seed);
  const d = new Draw(seed, "sample");
  const count = d.int(1, 6);
  const body: string[] = [];
  const chosen: string[] = [];
  for (let k = 1; k <= count; k++) {
    const open = table.filter((r) => !(r.once && b.used(r.name)));
    const row = choose(open, seed, `slot ${k}`);
    b.begin(`slot ${k}`);
    const made = row.make(b);
    body.push(`t${k} = ${made.expr}`);
    b.end(`t${k}`, made.shape, row.name);
    chosen.push(row.name);
  }
  const dangling = b.values.filter((v) => !v.used);
  const terms = dangling.map((v, i) => choose(heads, seed, `head ${i}`).f.replaceAll("#", v.name));
  const optimizer = choose(optimizers, seed, "optimizer");
  const outputs = b.values.filter((v) => v.name.startsWith("t") && !v.target).slice(-2);
  const lines = [
    ...b.decls,
    ...body,
    ...(outputs.length > 0 ? [`output ${outputs.map((v) => v.name).join(", ")}`] : []),
    `loss = ${terms.join(" + ")}`,
    `optimizer = ${optimizer.name}`,
  ];
  const source = [
    ...[...b.blocks.values()].map((text) => `${text}\n`),
    "model random {",
    ...lines.map((l) => `  ${l}`),
    "}",
    "",
  ].join("\n");
  return { seed, source, rows: chosen, targets: b.targets, batch: d.pick([2, 3, 6]), optimizer };
}
