// The fast matcher (src/parse/fastmatch.ts) against Ohm, the reference: on every piece of every
// model in the repository and on thousands of seeded random mutations of them, both fail, or both
// succeed with the same syntax tree (every position included) and the same concrete tree, node for
// node. Small grammars check the parts of Ohm's language the .nn grammar does not use, and that
// what the fast matcher does not implement makes it step aside.
import { readdirSync, readFileSync } from "node:fs";
import * as ohm from "ohm-js";
import { describe, expect, it } from "vitest";
import { deepParens, longSum } from "../scripts/limits/cases.ts";
import { Cst, Unsupported, withOperations } from "../src/parse/fastcst.ts";
import { FastMatcher } from "../src/parse/fastmatch.ts";
import { parseProgram } from "../src/parse/index.ts";
import { outline } from "../src/parse/outline.ts";
import { fastMatcher, grammar, parseFast, parseWithOhm } from "../src/parse/semantics.ts";
import type { Context } from "../src/parse/semantics.ts";
import { LineMap, prepareSource } from "../src/parse/source.ts";

type Rule = "Stmt" | "Expr" | "Head";
const ops = { Stmt: "stmt", Expr: "expr", Head: "head" } as const;

/** A concrete tree as plain data: [name, start, end, children]. */
type Tree = [string, number, number, Tree[]];

function fastTree(n: Cst): Tree {
  return [n.ctorName, n.startIdx, n.endIdx, n.children.map(fastTree)];
}

function ohmTrees(g: ohm.Grammar) {
  const tree = (n: ohm.Node): Tree => [
    n.ctorName,
    n.source.startIdx,
    n.source.endIdx,
    n.children.map((c) => c["tree"]() as Tree),
  ];
  return g.createSemantics().addOperation<Tree>("tree", {
    _nonterminal(...children) {
      return tree(this);
    },
    _terminal() {
      return tree(this);
    },
    _iter(...children) {
      return tree(this);
    },
  });
}

const nnTrees = ohmTrees(grammar);

/** What each engine makes of `text`: the value of the rule's operation and the concrete tree. */
function both(text: string, rule: Rule) {
  const context = () => ({
    view: { text, offset: (i: number) => i, hole: (i: number) => ({ hole: i }) },
    lines: new LineMap(text),
    infinite: [] as Context["infinite"],
  });
  const [f, o] = [context(), context()];
  const value = parseFast(text, rule, ops[rule], f);
  const match = grammar.match(text, rule);
  const ohmParse = parseWithOhm(text, rule, ops[rule], o, match);
  const root = fastMatcher.match(text, rule);
  return {
    fast: { value, infinite: f.infinite, tree: root && fastTree(root) },
    ohm: {
      value: "value" in ohmParse ? ohmParse.value : null,
      infinite: o.infinite,
      tree: match.succeeded() ? (nnTrees(match)["tree"]() as Tree) : null,
    },
  };
}

/** The headers and statements of the repository's models, as the parser cuts them. */
function pieces(): { text: string; rule: Rule }[] {
  const out: { text: string; rule: Rule }[] = [];
  for (const dir of ["models", "models/experiments", "test/golden"]) {
    let files: string[] = [];
    try {
      files = readdirSync(dir).filter((f) => f.endsWith(".nn"));
    } catch {
      continue;
    }
    for (const f of files) {
      const text = prepareSource(readFileSync(`${dir}/${f}`, "utf8"));
      for (const d of outline(text).decls) {
        out.push({ text: text.slice(d.head.start, d.head.end), rule: "Head" });
        for (const s of d.stmts) {
          const stmt = text.slice(s.start, s.end);
          out.push({ text: stmt, rule: "Stmt" });
          const eq = stmt.indexOf("=");
          if (eq >= 0) out.push({ text: stmt.slice(eq + 1), rule: "Expr" });
        }
      }
    }
  }
  return out;
}

/** A seeded generator of numbers in [0, 1) (mulberry32). */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const alphabet = [
  ..."\x01^-é€#/ \t\x0B()1a_٣ß\uFEFF\r.e,:=[]@*+;\n{}0Z9",
  "𝑥",
  "|>",
  "//",
  "1e400",
  "input ",
  "model ",
];

function mutate(text: string, next: () => number): string {
  let out = text;
  const edits = 1 + Math.floor(next() * 3);
  for (let k = 0; k < edits; k++) {
    const at = Math.floor(next() * (out.length + 1));
    if (next() < 0.4 && out.length > 0) out = out.slice(0, at) + out.slice(at + 1);
    else out = out.slice(0, at) + alphabet[Math.floor(next() * alphabet.length)]! + out.slice(at);
  }
  return out;
}

describe("the fast matcher against Ohm", () => {
  const base = pieces();

  it("finds the models' pieces to compare", () => {
    expect(base.length).toBeGreaterThan(100);
    expect(new Set(base.map((b) => b.rule))).toEqual(new Set(["Head", "Stmt", "Expr"]));
  });

  it("gives Ohm's syntax tree and concrete tree for every piece of every model", () => {
    for (const { text, rule } of base) {
      const r = both(text, rule);
      expect(r.ohm.value, text).not.toBeNull();
      expect(r.fast, text).toEqual(r.ohm);
    }
  });

  it("fails exactly where Ohm fails, and agrees where it succeeds, on random mutations", () => {
    const next = random(20261130);
    let [accepted, rejected] = [0, 0];
    for (let i = 0; i < 4000; i++) {
      const { text, rule } = base[Math.floor(next() * base.length)]!;
      const mutated = mutate(text, next);
      const r = both(mutated, rule);
      expect(r.fast, JSON.stringify(mutated)).toEqual(r.ohm);
      if (r.ohm.value === null) rejected++;
      else accepted++;
    }
    // the mutations exercise both outcomes
    expect(Math.min(accepted, rejected)).toBeGreaterThan(500);
  });

  it("accepts exactly the whole files Ohm's `Program` accepts", () => {
    const next = random(7);
    for (const dir of ["models", "models/experiments"])
      for (const f of readdirSync(dir).filter((f) => f.endsWith(".nn"))) {
        const text = prepareSource(readFileSync(`${dir}/${f}`, "utf8"));
        for (let i = 0; i < 20; i++) {
          const t = i === 0 ? text : mutate(text, next);
          const fast = fastMatcher.match(t, "Program");
          const match = grammar.match(t, "Program");
          expect(fast && fastTree(fast), f).toEqual(
            match.succeeded() ? nnTrees(match)["tree"]() : null,
          );
        }
      }
  });

  it("stays linear in nested brackets and long sums (it would give up on exponential work)", () => {
    for (const depth of [16, 20, 40]) {
      const text = `h = ${"(".repeat(depth)}x * 2${")".repeat(depth)} + 1`;
      const r = both(text, "Stmt");
      expect(r.fast).toEqual(r.ohm);
      expect(r.fast.value).toMatchObject({ kind: "assign", value: { kind: "binary", op: "+" } });
    }
    const list = `${"[".repeat(30)}1${"]".repeat(30)}`;
    expect(parseFast(list, "Expr", "expr", context(list))).toMatchObject({ kind: "list" });
    // the parser's own cut of deep and long expressions, end to end
    const deep = parseProgram(deepParens(200), "deep.nn");
    expect(deep.decls[0]!.body[1]).toMatchObject({ kind: "assign", value: { op: "+" } });
    const sum = parseProgram(longSum(3000), "sum.nn");
    expect(sum.decls[0]!.body.length).toBeGreaterThan(2);
  });
});

function context(text: string) {
  return {
    view: { text, offset: (i: number) => i, hole: () => undefined },
    lines: new LineMap(text),
    infinite: [],
  };
}

describe("the fast matcher on other grammars", () => {
  const node = withOperations({});
  const cases: { grammar: string; start: string; inputs: string[] }[] = [
    {
      // lookahead, `#`, `+`, `?`, any, end, parameters, Unicode classes, code point ranges
      grammar: String.raw`G {
        Start = Pair<Word, Num>+ &";" ";" Tail? end
        Pair<a, b> = a ":" b
        Word = #(letter alnum*)
        Num = digit+ ("." digit+)?
        Tail = ~"!" any any
        emoji = "\u{1F600}".."\u{1F64F}"
        Emo = emoji+ ListOf<emoji, ",">
      }`,
      start: "Start",
      inputs: ["a1: 2 b: 3.5;", " x : 1 ; zz", "é٣: 1;", "a :1;!x", "a: 1", "a: 1; 𝑥y", "", "; ab"],
    },
    {
      grammar: String.raw`E { Emo = emoji+ ListOf<emoji, ","> ; emoji = "\u{1F600}".."\u{1F64F}" }`
        .replace(";", "\n")
        .replace('ListOf<emoji, ","> ', 'ListOf<emoji, ",">\n'),
      start: "Emo",
      inputs: ["😀😃", "😀 😃, 😄", "😀,", "a", "😀\u{1F650}"],
    },
  ];
  for (const c of cases)
    it(`builds Ohm's concrete tree: ${c.start}`, () => {
      const g = ohm.grammar(c.grammar);
      const m = new FastMatcher(g, node);
      const trees = ohmTrees(g);
      for (const input of c.inputs) {
        const r = g.match(input, c.start);
        const f = m.match(input, c.start);
        expect(f && fastTree(f), input).toEqual(r.succeeded() ? trees(r)["tree"]() : null);
      }
    });

  it("steps aside for what it does not implement", () => {
    const unsupported = [
      `L { Sum = Sum "+" "1" -- plus\n | "1" }`, // left recursion
      `C { Start = caseInsensitive<"abc"> }`,
      `A { start = applySyntactic<Pair> "x"\n Pair = "1" "+" }`,
    ];
    for (const source of unsupported) {
      const g = ohm.grammar(source);
      const start = Object.keys(g.rules)[0]!;
      expect(() => new FastMatcher(g, node).match("1+1", start)).toThrow(Unsupported);
    }
  });
});
