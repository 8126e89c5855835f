// The matrix-product kernels, for every transposition and for sizes that do and do not divide the
// register block, with sizes as literals and as variables, against the plain triple loop.
import { describe, expect, it } from "vitest";
import { matmulLines, plainMatmulLines } from "../src/codegen/js/matmul.ts";

function reference(
  a: Float64Array,
  b: Float64Array,
  M: number,
  N: number,
  K: number,
  ta: boolean,
  tb: boolean,
) {
  const c = new Float64Array(M * N);
  for (let i = 0; i < M; i++)
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++)
        s += (ta ? a[k * M + i]! : a[i * K + k]!) * (tb ? b[j * K + k]! : b[k * N + j]!);
      c[i * N + j] = s;
    }
  return c;
}

type Kernel = (
  A: Float64Array,
  B: Float64Array,
  C: Float64Array,
  M: number,
  N: number,
  K: number,
) => void;

function kernel(
  M: number,
  N: number,
  K: number,
  ta: boolean,
  tb: boolean,
  literal: boolean,
  block?: [number, number],
): Kernel {
  const size = (v: number, name: string) => (literal ? String(v) : name);
  const lines = matmulLines({
    C: "C",
    A: "A",
    B: "B",
    M: size(M, "m"),
    N: size(N, "n"),
    K: size(K, "kk"),
    ta,
    tb,
    ...(block ? { block } : {}),
  });
  return new Function("A", "B", "C", "m", "n", "kk", lines.join("\n")) as Kernel;
}

describe("matmul kernels", () => {
  const sizes = [
    [1, 1, 1],
    [1, 10, 784],
    [2, 4, 3],
    [3, 5, 2],
    [7, 10, 9],
    [64, 128, 10],
    [5, 13, 4],
  ] as const;
  for (const [M, N, K] of sizes)
    for (const ta of [false, true])
      for (const tb of [false, true])
        for (const literal of [true, false])
          it(`[${M}, ${K}] @ [${K}, ${N}]${ta ? " ta" : ""}${tb ? " tb" : ""}${literal ? "" : " (sizes in variables)"}`, () => {
            const a = Float64Array.from({ length: M * K }, (_, i) => Math.sin(i + 1));
            const b = Float64Array.from({ length: K * N }, (_, i) => Math.cos(i * 0.7));
            const c = new Float64Array(M * N).fill(NaN);
            kernel(M, N, K, ta, tb, literal)(a, b, c, M, N, K);
            const want = reference(a, b, M, N, K, ta, tb);
            for (let i = 0; i < want.length; i++) expect(c[i]).toBeCloseTo(want[i]!, 10);
          });

  for (const block of [
    [1, 8],
    [3, 4],
    [4, 2],
  ] as [number, number][])
    for (const literal of [true, false])
      it(`blocks of ${block.join("x")}${literal ? "" : " (sizes in variables)"}`, () => {
        for (const [M, N, K] of sizes)
          for (const ta of [false, true])
            for (const tb of [false, true]) {
              const a = Float64Array.from({ length: M * K }, (_, i) => Math.sin(i + 1));
              const b = Float64Array.from({ length: K * N }, (_, i) => Math.cos(i * 0.7));
              const c = new Float64Array(M * N).fill(NaN);
              kernel(M, N, K, ta, tb, literal, block)(a, b, c, M, N, K);
              const want = reference(a, b, M, N, K, ta, tb);
              for (let i = 0; i < want.length; i++) expect(c[i]).toBeCloseTo(want[i]!, 10);
            }
      });
});

describe("matmul epilogues", () => {
  // act(acc * scale[j] + bias[j]) applied as each element is stored, in every block form
  const cases = [
    { name: "bias + relu", f: (acc: string, j: string) => `Math.max(${acc} + bias[${j}], 0)` },
    {
      name: "scale + bias + sigmoid",
      f: (acc: string, j: string) => `1 / (1 + Math.exp(-(${acc} * scale[${j}] + bias[${j}])))`,
    },
  ];
  for (const { name, f } of cases)
    for (const literal of [true, false])
      it(`${name}${literal ? "" : " (sizes in variables)"}`, () => {
        for (const [M, N, K] of [
          [1, 10, 7],
          [5, 13, 4],
          [64, 12, 9],
        ] as const)
          for (const plain of [false, true]) {
            const size = (v: number, n: string) => (literal ? String(v) : n);
            const spec = {
              ...{ C: "C", A: "A", B: "B", M: size(M, "m"), N: size(N, "n"), K: size(K, "kk") },
              ...{ ta: false, tb: false, epilogue: f },
            };
            const lines = plain ? plainMatmulLines(spec) : matmulLines(spec);
            const run = new Function(
              "A",
              "B",
              "C",
              "scale",
              "bias",
              "m",
              "n",
              "kk",
              lines.join("\n"),
            );
            const a = Float64Array.from({ length: M * K }, (_, i) => Math.sin(i + 1));
            const b = Float64Array.from({ length: K * N }, (_, i) => Math.cos(i * 0.7));
            const scale = Float64Array.from({ length: N }, (_, j) => 0.5 + j / N);
            const bias = Float64Array.from({ length: N }, (_, j) => Math.sin(j) - 0.2);
            const c = new Float64Array(M * N).fill(NaN);
            run(a, b, c, scale, bias, M, N, K);
            const want = reference(a, b, M, N, K, false, false);
            const apply = new Function("acc", "scale", "bias", "j", `return ${f("acc", "j")};`);
            for (let i = 0; i < M; i++)
              for (let j = 0; j < N; j++)
                expect(c[i * N + j]).toBeCloseTo(apply(want[i * N + j], scale, bias, j), 10);
          }
      });
});
