// `nnc grad --math` must never mislead: a property over every model in models/ and random models.
// The printout is parsed back, and
// - a name that starts with `d_` is only ever a gradient: its equation's value is the gradient of
//   the loss with respect to the value after `d_` (compared with `nnc trace`'s gradients, where
//   that is a name the source gives), or the part of it that flows through one user (`_from_`);
// - every name an equation reads is an input, a param, a target, a named dim, a value the source
//   names, or defined on a line above; no name is defined twice;
// - no name repeats an op suffix (`d_h_matmul_matmul`);
// - a loop (`for (X, Y) in (h1, h2), (h3, h4):`, rows that repeat with other names printed once)
//   expands, tuple by tuple, to exactly the rows it stands for.
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

/** The equations of a printout, each loop expanded as a reader does: its body once per tuple. */
function expand(printout: string[]): string[] {
  const out: string[] = [];
  const math = (line: string) => line.split("  # ")[0]!.trimEnd();
  for (let i = 0; i < printout.length; i++) {
    const head = /^for (\(.*?\)|\w+) in (.*):$/.exec(math(printout[i]!));
    if (!head) {
      out.push(math(printout[i]!));
      continue;
    }
    const vars = head[1]!.replace(/[()]/g, "").split(", ");
    const tuples = [...head[2]!.matchAll(/\(([^)]*)\)|([\w.]+)/g)].map((m) =>
      (m[1] ?? m[2]!).split(", "),
    );
    const body: string[] = [];
    while (printout[i + 1]?.startsWith("  ")) body.push(math(printout[++i]!.slice(2)));
    for (const names of tuples) {
      const name = (x: string) => (vars.includes(x) ? names[vars.indexOf(x)]! : x);
      // a placeholder is the leading part of a name (after `d_`) or the part after `_from_`
      const sub = (id: string) =>
        id
          .replace(/^(d_)?([A-Za-z0-9]+)/, (_, d, x) => (d ?? "") + name(x))
          .replace(/_from_([A-Za-z0-9]+)/, (_, x) => `_from_${name(x)}`);
      for (const line of body)
        out.push(line.replace(/[A-Za-z_][\w.]*(?!\s*[(:\w])/g, (id) => sub(id)));
    }
  }
  return out;
}

/** The printout (folded), and how many of its gradients were compared with trace's. */
function check(
  source: string,
  file: string,
  model?: string,
): { printout: string[]; compared: number } {
  const c = compile(source, { file, dtype: "f64", ...(model ? { model } : {}) });
  if (!c.model.train.loss) return { printout: [], compared: 0 };
  const rows = c.derivation;
  const text = formatDerivation(rows, undefined, false);
  const printout = formatDerivation(rows);
  expect(expand(printout)).toEqual(text.map((l) => l.split("  # ")[0]!.trimEnd()));
  const where = (i: number) => `${file}${model ? `:${model}` : ""}, line ${i + 1}: ${text[i]}`;
  const statements = new Set(
    [...source.matchAll(/^\s*([A-Za-z_]\w*)\s*=/gm)].map((m) => m[1]!).concat("loss"),
  );
  const leaves = [...c.model.inputs, ...c.model.targets, ...c.model.params, ...c.model.state];
  const known = new Set([...leaves.map((l) => l.name), ...statements, ...c.model.dims]);
  const defined = new Set<string>();
  let compared = 0;
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
      expect(known.has(name) || defined.has(name), `${name} is not defined: ${where(i)}`).toBe(
        true,
      );
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
    compared++;
    expect(got.length, where(i)).toBe(expected.length);
    got.forEach((v, k) => expect(v, where(i)).toBeCloseTo(expected[k]!, 9));
  });
  return { printout, compared };
}

describe("nnc grad --math", () => {
  for (const file of files)
    for (const model of modelsOf(readFileSync(file, "utf8")))
      it(`${file}:${model}: names are gradients only when they say so, and every name is defined`, () => {
        const { printout, compared } = check(readFileSync(file, "utf8"), file, model);
        // a model with a loss has params: their gradients at least are compared with trace's
        if (printout.length > 0) expect(compared).toBeGreaterThan(0);
      });

  it("models/gpt.nn: the backward pass of its 4 layers is one loop, in at most 80 lines", () => {
    const { printout, compared } = check(readFileSync("models/gpt.nn", "utf8"), "models/gpt.nn");
    expect(printout.length).toBeLessThanOrEqual(80);
    // every param's gradient and every statement's (x0 ... x8, z), each layer's against trace
    expect(compared).toBeGreaterThanOrEqual(2 + 4 * 16 + 9 + 3);
    const has = (re: RegExp) =>
      expect(
        printout.filter((l) => re.test(l)),
        re.source,
      ).toHaveLength(1);
    has(/^for \(X, H, Y\) in \(x6, x7, x8\), \(x4, x5, x6\), \(x2, x3, x4\), \(x0, x1, x2\):$/);
    // softmax's backward: a * (d_a - sum(d_a * a)), per row
    has(/^ {2}H\.attention\.a_sum = sum\(d_H\.attention\.a \* H\.attention\.a, axis: 3\)/);
    has(
      /^ {2}d_H\.attention\.a_causal_mask = H\.attention\.a \* \(d_H\.attention\.a - H\.attention\.a_sum\)/,
    );
    // layernorm: its statistics named once, its closed form, the residual's sum
    has(/^ {2}Y_invstd = 1 \/ sqrt\(mean\(Y_centered \* Y_centered, axis: 2\) \+ 0\.00001\)/);
    has(/^ {2}d_H_from_Y_ln = layernorm_dx\(d_Y_ln, H, Y_mean, Y_invstd, Y\.layernorm\.gamma\)/);
    has(/^ {2}d_H = d_Y \+ d_H_from_Y_ln +# a value read by several ops/);
    has(/^ {2}d_X = d_H \+ d_X_from_H_ln$/);
    // the embedding's scatter-add, and the tied head's two parts of d_wte
    has(/^d_wte_from_x0_gather = scatter_add\(d_x0, idx\) +# line 26/);
    has(/^d_wte = d_wte_from_z_transpose \+ d_wte_from_x0_gather$/);
  });

  it("folds a block called in a chain, its placeholders clear of the model's names", () => {
    const source = [
      "block blk(x) {",
      "  return x |> dense(4) |> tanh",
      "}",
      "model chain {",
      "  input x: [batch, 4]",
      "  target y: [batch, 4]",
      "  X = x + blk(x)",
      "  h2 = X + blk(X)",
      "  h3 = h2 + blk(h2)",
      "  h4 = h3 + blk(h3)",
      "  loss = mean((h4 - y) ^ 2)",
      "}",
    ].join("\n");
    const { printout } = check(source, "chain.nn");
    // (the first block's gradient is computed inside d_X_pre's loop: its rows differ)
    expect(printout.filter((l) => l.startsWith("for "))).toEqual([
      "for (X2, Y) in (h3, h4), (h2, h3):",
    ]);
  });

  it("holds for random models", () => {
    for (const source of fc.sample(randomSource, { seed: 22, numRuns: 60 }))
      check(source, "random.nn");
  });
});
