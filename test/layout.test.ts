// The generated code is laid out as it is written (src/codegen/js/layout.ts), not by a formatter
// at run time. A break must never change what the code means: every broken line parses to the
// same syntax tree as the line it came from (which also rules out a break where JavaScript would
// insert a semicolon). Every line of every module, .d.ts and gradient listing fits in 100 columns,
// but for one that is a single string (the wasm binary).
import { readdirSync, readFileSync } from "node:fs";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { compile } from "../src/index.ts";
import { fit, layout, literal, WIDTH } from "../src/codegen/js/layout.ts";
import { rng } from "./helpers.ts";

/** The syntax tree of a script as the TypeScript printer writes it, on one line. */
function tree(code: string): string {
  const file = ts.createSourceFile("x.js", code, ts.ScriptTarget.ES2022, false, ts.ScriptKind.JS);
  const errors = (file as unknown as { parseDiagnostics: ts.Diagnostic[] }).parseDiagnostics;
  expect(errors.map((e) => ts.flattenDiagnosticMessageText(e.messageText, "\n"))).toEqual([]);
  // the printer keeps a literal's line breaks: compare with whitespace and trailing commas out
  return ts
    .createPrinter({ removeComments: true })
    .printFile(file)
    .replace(/\s+/g, " ")
    .replace(/ ?([[\](){},]) ?/g, "$1")
    .replace(/,([\])}])/g, "$1");
}

/** A line in the context of a function body, so that `return` parses. */
const body = (lines: string[]) => `function f() {\n${lines.join("\n")}\n}`;

function expectSameCode(line: string, width = WIDTH): string[] {
  const lines = fit(line, width);
  expect(tree(body(lines))).toBe(tree(body([line])));
  return lines;
}

describe("fit: a long line broken where a reader expects it", () => {
  const cases: { what: string; line: string; width: number; expected: string[] }[] = [
    {
      what: "a call: one argument a line, trailing commas",
      line: "  $matmul_nn_bias_relu(inputBuffer, weightBuffer, biasBuffer, outputBuffer, n_batch);",
      width: 60,
      expected: [
        "  $matmul_nn_bias_relu(",
        "    inputBuffer,",
        "    weightBuffer,",
        "    biasBuffer,",
        "    outputBuffer,",
        "    n_batch,",
        "  );",
      ],
    },
    {
      what: "a control statement: its body on the next line",
      line: "    if ($p_view.buffer !== p.buffer || $p_view.length !== 10 * n_batch) $result = 1;",
      width: 72,
      expected: [
        "    if ($p_view.buffer !== p.buffer || $p_view.length !== 10 * n_batch)",
        "      $result = 1;",
      ],
    },
    {
      what: "an assignment after its `=`",
      line: "    const momentumOfTheFirstLayer = velocityOfTheFirstLayer * beta1 - gradient * lr;",
      width: 60,
      expected: [
        "    const momentumOfTheFirstLayer =",
        "      velocityOfTheFirstLayer * beta1 - gradient * lr;",
      ],
    },
    {
      what: "an expression before its loosest operators",
      line: "return alphaValue * betaValue + gammaValue * deltaValue - epsilonValue * zetaValue;",
      width: 40,
      expected: [
        "return alphaValue * betaValue",
        "  + gammaValue * deltaValue",
        "  - epsilonValue * zetaValue;",
      ],
    },
    {
      what: "a conditional before `?` and `:`",
      line: "return someLongCondition > 0 ? someLongCondition + biasValue : negativeSlope * x;",
      width: 40,
      expected: [
        "return someLongCondition > 0",
        "  ? someLongCondition + biasValue",
        "  : negativeSlope * x;",
      ],
    },
    {
      what: "a comment wrapped at its words",
      line: "    // softmax + cross_entropy fused: d_z = p - y per example, p = softmax(z) of the logits",
      width: 50,
      expected: [
        "    // softmax + cross_entropy fused: d_z = p - y",
        "    // per example, p = softmax(z) of the logits",
      ],
    },
    {
      what: "commas and brackets inside a string are not breaks",
      line: '  throw new Error("input (x, y) should be [batch, 784], got " + describe(value));',
      width: 72,
      expected: [
        "  throw new Error(",
        '    "input (x, y) should be [batch, 784], got " + describe(value),',
        "  );",
      ],
    },
    {
      what: "one long string stays one line",
      line: '  const $bytes = "AGFzbQEAAAABSAlgA39/fwBgBX9/f39/AGAGf39/f39/AGADf39/AX9gBH9/f38A";',
      width: 40,
      expected: [
        "  const $bytes =",
        '    "AGFzbQEAAAABSAlgA39/fwBgBX9/f39/AGAGf39/f39/AGADf39/AX9gBH9/f38A";',
      ],
    },
    {
      what: "a short line as it is",
      line: "  x.set($x_in);",
      width: 40,
      expected: ["  x.set($x_in);"],
    },
  ];
  for (const c of cases)
    it(c.what, () => {
      expect(expectSameCode(c.line, c.width)).toEqual(c.expected);
    });
});

describe("fit keeps the code's meaning on random statements", () => {
  /** A random expression over names, numbers, strings, calls, arrays, objects and operators. */
  function expression(rand: () => number, depth: number): string {
    const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)]!;
    const names = ["a", "n_batch", "$p_view", "momentum", "x0", "bias", "$f32"];
    if (depth <= 0 || rand() < 0.2)
      return pick([
        () => pick(names),
        () => String(Math.round(rand() * 1000) / 10),
        () => JSON.stringify(pick(["(", "a, b", "[x]", "} {", "it's", 'say "hi"', "?:"])),
        () => `${pick(names)}[${pick(names)} + ${Math.floor(rand() * 9)}]`,
      ])();
    const sub = () => expression(rand, depth - 1);
    const args = () => Array.from({ length: 1 + Math.floor(rand() * 4) }, sub).join(", ");
    return pick([
      () => `${sub()} ${pick(["+", "-", "*", "/", "||", "&&", "<", "!=="])} ${sub()}`,
      () => `${sub()} ? ${sub()} : ${sub()}`,
      () => `${pick(names)}(${args()})`,
      () => `new Float32Array(${args()})`,
      () => `[${args()}]`,
      () => `{ key: ${sub()}, "other key": ${sub()} }`,
      () => `(${sub()})`,
      () => `Math.max(${sub()}, ${sub()}).toFixed(2)`,
    ])();
  }
  function statement(rand: () => number): string {
    const e = () => expression(rand, 4);
    const forms = [
      () => `const value = ${e()};`,
      () => `value = ${e()};`,
      () => `return ${e()};`,
      () => `if (${e()}) value = ${e()};`,
      () => `for (let i = 0; i < n_batch; i++) value += ${e()};`,
      () => `f(${e()}, ${e()});`,
      () => `throw new Error(${e()});`,
    ];
    return "    " + forms[Math.floor(rand() * forms.length)]!();
  }

  it("2,000 statements: the same syntax tree, and nearly every line within the width", () => {
    const rand = rng(7);
    let broken = 0;
    let lines = 0;
    let over = 0;
    for (let n = 0; n < 2000; n++) {
      const line = statement(rand);
      const width = 60 + Math.floor(rand() * 40);
      const out = expectSameCode(line, width);
      if (out.length > 1) broken++;
      lines += out.length;
      // a single item longer than the width with no list, operator or group at its top is kept
      over += out.filter((l) => l.length > width).length;
    }
    expect(broken).toBeGreaterThan(1000);
    expect(over / lines).toBeLessThan(0.01);
  });
});

describe("every emitted line fits", () => {
  const models = readdirSync("models")
    .filter((f) => f.endsWith(".nn"))
    .map((f) => `models/${f}`);
  const oneString = /^\s*"[^"]*",?$/;
  for (const file of models)
    for (const target of ["js", "wasm"] as const)
      it(`${file} on ${target}`, () => {
        const out = compile(readFileSync(file, "utf8"), { file, target });
        const texts = {
          js: out.js,
          dts: out.dts,
          grad: out.gradCode({ forward: true, kernels: true }),
        };
        for (const [what, text] of Object.entries(texts)) {
          const long = text.split("\n").filter((l) => l.length > WIDTH && !oneString.test(l));
          expect(long, `${file} ${target} ${what}`).toEqual([]);
          expect(layout(text), "laying out twice changes nothing").toBe(text);
        }
        tree(out.js);
      });
});

describe("literal: a JSON value as a JS literal", () => {
  const values: unknown[] = [
    { name: "xor", dims: { batch: null }, params: [{ name: "W1", shape: [2, 4] }] },
    { ["__proto__"]: { polluted: true }, "a-b": 1, constructor: [1, 2], $x: "y" },
    Array.from({ length: 40 }, (_, i) => ({ name: `layer${i}.W`, shape: [i, i + 1] })),
    ["a string with \"quotes\", commas, and 'apostrophes'", null, true, 0.1, -3e-7],
  ];
  for (const [i, v] of values.entries())
    it(`value ${i} reads back equal, every line within the width`, () => {
      const text = literal(v, "", 60);
      const back: unknown = new Function(`return (${text});`)();
      expect(JSON.stringify(back)).toBe(JSON.stringify(v));
      if (v !== null && typeof v === "object" && Object.hasOwn(v, "__proto__"))
        expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
      for (const l of text.split("\n")) expect(l.length).toBeLessThanOrEqual(60);
    });
});
