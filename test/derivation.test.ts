// `nnc grad --math` must never mislead: a property over every model in models/ and random models.
// The printout is parsed back, and
// - a name that starts with `d_` is only ever a gradient: its equation's value is the gradient of
//   the loss with respect to the value after `d_` (compared with `nnc trace`'s gradients, where
//   that is a name the source gives), or the part of it that flows through one user (`_from_`);
// - every name an equation reads is an input, a param, a target, a named dim, a value the source
//   names (in a block, after its call's prefix), or defined on a line above; no name is defined
//   twice;
// - no name repeats an op suffix (`d_h_matmul_matmul`).
import { readdirSync, readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compile, trace, type Compiled } from "../src/index.ts";
import { formatDerivation } from "../src/codegen/index.ts";
import { interpret } from "../src/ir/interpret.ts";
import { adjointOf, shareOf } from "../src/ir/node.ts";
import { inCompilation } from "../src/compile.ts";
import { traceValues } from "../src/trace.ts";
import { randomSource } from "./random-models.ts";

const files = [
  ...readdirSync("models")
    .filter((f) => f.endsWith(".nn"))
    .map((f) => `models/${f}`),
  ...readdirSync("models/experiments").map((f) => `models/experiments/${f}`),
];
const modelsOf = (source: string) => [...source.matchAll(/^\s*model\s+(\w+)/gm)].map((m) => m[1]!);

/** The names an equation's right side reads: identifiers that are not calls or argument names. */
function namesRead(expr: string): string[] {
  const out: string[] = [];
  for (const m of expr.matchAll(/[A-Za-z_][\w.]*/g)) {
    const after = expr.slice(m.index! + m[0].length).trimStart();
    if (after.startsWith("(") || after.startsWith(":")) continue;
    out.push(m[0]);
  }
  return out;
}

/** Every value `at` gives, as trace reads them: inputs and targets from seeded numbers. */
function atFor(c: Compiled): Map<string, number> {
  const at = new Map<string, number>();
  [...c.model.inputs, ...c.model.targets].forEach((l, i) => at.set(l.name, 0.3 + 0.17 * i));
  return at;
}

function check(source: string, file: string, model?: string): void {
  const c = compile(source, { file, dtype: "f64", ...(model ? { model } : {}) });
  if (!c.model.train.loss) return;
  const rows = c.derivation;
  const text = formatDerivation(rows);
  const where = (i: number) => `${file}${model ? `:${model}` : ""}, line ${i + 1}: ${text[i]}`;
  const statements = new Set(
    [...source.matchAll(/^\s*([A-Za-z_]\w*)\s*=/gm)].map((m) => m[1]!).concat("loss"),
  );
  const leaves = [...c.model.inputs, ...c.model.targets, ...c.model.params, ...c.model.state];
  const known = new Set([...leaves.map((l) => l.name), ...statements, ...c.model.dims]);
  // a block's statement reads by its call's prefix: `o` of the block called as `x7.attention`
  // is `x7.attention.o`
  const named = (name: string) => known.has(name) || known.has(name.split(".").pop()!);
  const defined = new Set<string>();
  const at = atFor(c);
  const t = trace(c, at);
  const gradientOf = new Map(t.nodes.flatMap((n) => (n.name ? [[n.name, n.gradient]] : [])));
  const { values, dims } = traceValues(c, at, 1);
  const computed = inCompilation(c, () =>
    interpret(
      rows.flatMap((r) => (r.node ? [r.node] : [])),
      { values, dims },
    ),
  );
  text.forEach((line, i) => {
    const [lhs, rest] = line.split(/ = (.*)/s) as [string, string];
    const expr = rest.split("  # ")[0]!;
    expect(defined.has(lhs), `defined twice: ${where(i)}`).toBe(false);
    for (const name of namesRead(expr))
      expect(named(name) || defined.has(name), `${name} is not defined: ${where(i)}`).toBe(true);
    expect(lhs, where(i)).not.toMatch(/(_[a-z]+)\1(_|$)/);
    defined.add(lhs);
    const node = rows[i]!.node;
    if (!lhs.startsWith("d_") || node === null) return;
    const isGradient = inCompilation(
      c,
      () =>
        adjointOf(node) !== undefined ||
        shareOf(node) !== undefined ||
        c.grads.some((g) => g.node === node),
    );
    expect(isGradient, `a d_ name for what is not a gradient: ${where(i)}`).toBe(true);
    const of = lhs.slice(2);
    const expected = gradientOf.get(of);
    if (expected === undefined || lhs.includes("_from_")) return;
    const got = computed.get(node)!.data;
    expect(got.length, where(i)).toBe(expected.length);
    got.forEach((v, k) => expect(v, where(i)).toBeCloseTo(expected[k]!, 9));
  });
}

describe("nnc grad --math", () => {
  for (const file of files)
    for (const model of modelsOf(readFileSync(file, "utf8")))
      it(`${file}:${model}: names are gradients only when they say so, and every name is defined`, () => {
        check(readFileSync(file, "utf8"), file, model);
      });

  it("holds for random models", () => {
    for (const source of fc.sample(randomSource, { seed: 22, numRuns: 60 }))
      check(source, "random.nn");
  });
});
