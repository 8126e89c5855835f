// The JS bodies of convolution and pooling kernels (NCHW). All sizes are literals but the batch.
//
// The default form keeps the math's loops but orders them for the machine: for each output
// channel and each tap (c, p, q) of the kernel, one pass over the output plane adds the tap's
// weight times the shifted input plane; the rows and columns that would read the padding are cut
// off before the pass, so the inner loop has no test. The input gradient runs the same loops
// scattering into dx; the weight gradient sums each tap's products over the batch and the plane.
// `--plain` writes the textbook seven nested loops instead.
import type { ConvGeo, KernelSpec, PoolGeo } from "../schedule/kernels.ts";
import { registry } from "../../ops/index.ts";
import type { Scope } from "./loops.ts";

type ConvSpec = Extract<KernelSpec, { kind: "conv2d" | "conv2d_dx" | "conv2d_dw" }>;
type PoolSpec = Extract<KernelSpec, { kind: "pool" | "pool_dx" }>;

const ind = (lines: string[], n = 1) => lines.map((l) => "  ".repeat(n) + l);

/** `a * b`, `a + b`, `a - b` as code, without factors of 1 or terms of 0 */
const times = (a: string, b: number) => (b === 1 ? a : `${a} * ${b}`);
const plus = (a: string, b: number) => (b === 0 ? a : b > 0 ? `${a} + ${b}` : `${a} - ${-b}`);

/** `for (let v = 0; v < n; v++) {` ... `}` around `body`, for each [v, n] in turn. */
function loops(vars: [string, string | number][], body: string[]): string[] {
  if (vars.length === 0) return body;
  const [[v, n], ...rest] = vars as [[string, string | number], ...[string, string | number][]];
  return [`for (let ${v} = 0; ${v} < ${n}; ${v}++) {`, ...ind(loops(rest, body)), "}"];
}

/**
 * The output rows (axis 0) or columns (axis 1) whose tap `tap` reads inside the image:
 * 0 <= i s + tap d - pad < n. Without padding, every output reads inside.
 */
function outputRange(g: ConvGeo, axis: 0 | 1, tap: string): [string, string] {
  const [s, d, pad] = [g.stride[axis], g.dilation[axis], g.pad[axis]];
  const [n, m] = axis === 0 ? [g.H, g.OH] : [g.W, g.OW];
  if (pad === 0 && g.pad[axis + 2] === 0) return ["0", String(m)];
  const back = times(tap, d);
  const lo = s === 1 ? `${pad} - ${back}` : `Math.ceil((${pad} - ${back}) / ${s})`;
  const hi = s === 1 ? `${n + pad} - ${back}` : `Math.floor((${n - 1 + pad} - ${back}) / ${s}) + 1`;
  return [`Math.max(0, ${lo})`, `Math.min(${m}, ${hi})`];
}

/** The names of a convolution kernel's parameters, in order (the output last). */
export function convParams(spec: ConvSpec): string[] {
  if (spec.kind === "conv2d_dx") return ["dy", "w", "dx"];
  if (spec.kind === "conv2d_dw") return ["x", "dy", "dw"];
  return ["x", "w", ...(spec.epilogue?.bias ? ["bias"] : []), "out"];
}

export function poolParams(spec: PoolSpec): string[] {
  if (spec.kind === "pool") return ["x", "out"];
  return spec.op === "max" ? ["dy", "x", "dx"] : ["dy", "dx"];
}

export function convLines(spec: ConvSpec, scope: Scope, plain: boolean): string[] {
  const N = scope.dim(spec.geo.N);
  const lines = plain ? plainConv(spec, N) : tapConv(spec, N);
  return [...lines, ...activation(spec, N)];
}

/** Input channels per group, and the first input channel of output channel `o`'s group. */
function groupOf(g: ConvGeo): { Cg: number; start: string } {
  const Cg = g.C / g.groups;
  return { Cg, start: g.groups === 1 ? "0" : `Math.floor(o / ${g.O / g.groups}) * ${Cg}` };
}

/**
 * One tap (c, p, q) of output channel o over the output plane: `body(xAt, yAt)` is the inner
 * statement, given the flat indices of the input element and the output element it pairs, with
 * `xc` (the input channel's plane) and `y0` (the output plane) in scope.
 */
function tapPass(g: ConvGeo, body: (xAt: string, yAt: string) => string): string[] {
  const [ilo, ihi] = outputRange(g, 0, "p");
  const [jlo, jhi] = outputRange(g, 1, "q");
  const row = plus(`${times("i", g.stride[0])} + ${times("p", g.dilation[0])}`, -g.pad[0]);
  const col = plus(times("q", g.dilation[1]), -g.pad[1]);
  return [
    `const i0 = ${ilo};`,
    `const i1 = ${ihi};`,
    `const j0 = ${jlo};`,
    `const j1 = ${jhi};`,
    "for (let i = i0; i < i1; i++) {",
    `  const xr = xc + (${row}) * ${g.W} + ${col};`,
    `  const yr = y0 + i * ${g.OW};`,
    `  for (let j = j0; j < j1; j++) ${body(`xr + ${times("j", g.stride[1])}`, "yr + j")};`,
    "}",
  ];
}

function tapConv(spec: ConvSpec, N: string): string[] {
  const g = spec.geo;
  const { Cg, start } = groupOf(g);
  const [HW, OHW] = [g.H * g.W, g.OH * g.OW];
  const planes = [
    `const xc = (n * ${g.C} + ${start} + c) * ${HW};`,
    `const y0 = (n * ${g.O} + o) * ${OHW};`,
  ];
  const wAt = `((o * ${Cg} + c) * ${g.kh} + p) * ${g.kw} + q`;
  if (spec.kind === "conv2d_dw")
    // dW[o, c, p, q]: the tap's products summed over the batch and the output plane
    return loops(
      [
        ["o", g.O],
        ["c", Cg],
        ["p", g.kh],
        ["q", g.kw],
      ],
      [
        "let acc = 0;",
        ...loops([["n", N]], [...planes, ...tapPass(g, (x, y) => `acc += dy[${y}] * x[${x}]`)]),
        `dw[${wAt}] = acc;`,
      ],
    );
  const taps = (body: (x: string, y: string) => string) =>
    loops(
      [
        ["c", Cg],
        ["p", g.kh],
        ["q", g.kw],
      ],
      [...planes, `const wv = w[${wAt}];`, ...tapPass(g, body)],
    );
  if (spec.kind === "conv2d_dx")
    return [
      `dx.fill(0, 0, ${N} * ${g.C * HW});`,
      ...loops(
        [
          ["n", N],
          ["o", g.O],
        ],
        taps((x, y) => `dx[${x}] += wv * dy[${y}]`),
      ),
    ];
  const plane = [`(n * ${g.O} + o) * ${OHW}`, `(n * ${g.O} + o + 1) * ${OHW}`] as const;
  // (the bias written by a loop: passed to `fill`, a float would be boxed on every call)
  const init = spec.epilogue?.bias
    ? ["const bo = bias[o];", `for (let k = ${plane[0]}; k < ${plane[1]}; k++) out[k] = bo;`]
    : [`out.fill(0, ${plane[0]}, ${plane[1]});`];
  return loops(
    [
      ["n", N],
      ["o", g.O],
    ],
    [...init, ...taps((x, y) => `out[${y}] += wv * x[${x}]`)],
  );
}

/** The textbook form: for each output element, the sum over its window (seven loops). */
function plainConv(spec: ConvSpec, N: string): string[] {
  const g = spec.geo;
  const { Cg, start } = groupOf(g);
  const window = loops(
    [
      ["c", Cg],
      ["p", g.kh],
      ["q", g.kw],
    ],
    [
      `const r = i * ${g.stride[0]} + p * ${g.dilation[0]} - ${g.pad[0]};`,
      `const s = j * ${g.stride[1]} + q * ${g.dilation[1]} - ${g.pad[1]};`,
      `if (r < 0 || r >= ${g.H} || s < 0 || s >= ${g.W}) continue;`,
      `const xk = ((n * ${g.C} + ${start} + c) * ${g.H} + r) * ${g.W} + s;`,
      `const wk = ((o * ${Cg} + c) * ${g.kh} + p) * ${g.kw} + q;`,
      {
        conv2d: "acc += x[xk] * w[wk];",
        conv2d_dx: "dx[xk] += dy[yk] * w[wk];",
        conv2d_dw: "dw[wk] += dy[yk] * x[xk];",
      }[spec.kind],
    ],
  );
  const outputs: [string, string | number][] = [
    ["n", N],
    ["o", g.O],
    ["i", g.OH],
    ["j", g.OW],
  ];
  const yk = `const yk = ((n * ${g.O} + o) * ${g.OH} + i) * ${g.OW} + j;`;
  if (spec.kind === "conv2d")
    return loops(outputs, [
      yk,
      `let acc = ${spec.epilogue?.bias ? "bias[o]" : "0"};`,
      ...window,
      "out[yk] = acc;",
    ]);
  const zero =
    spec.kind === "conv2d_dx"
      ? `dx.fill(0, 0, ${N} * ${g.C * g.H * g.W});`
      : `dw.fill(0, 0, ${g.O * Cg * g.kh * g.kw});`;
  return [zero, ...loops(outputs, [yk, ...window])];
}

/** The activation of a fused epilogue, applied to the finished output. */
function activation(spec: ConvSpec, N: string): string[] {
  if (spec.kind !== "conv2d" || !spec.epilogue?.activation) return [];
  const emit = registry[spec.epilogue.activation].emit!;
  const size = spec.geo.O * spec.geo.OH * spec.geo.OW;
  return [`for (let k = 0; k < ${N} * ${size}; k++) out[k] = ${emit(["out[k]"], {})};`];
}

/** The window of output (i, j): the input rows r0..r1 and columns s0..s1 inside the image. */
function windowLines(g: PoolGeo): string[] {
  const start = (axis: 0 | 1, v: string) => plus(times(v, g.stride[axis]), -g.pad[axis]);
  const [rs, ss] = [start(0, "i"), start(1, "j")];
  const clip = (at: string, pad: number) => (pad === 0 ? at : `Math.max(0, ${at})`);
  const end = (at: string, k: number, n: number) => `Math.min(${plus(at, k)}, ${n})`;
  return [
    `const r0 = ${clip(rs, g.pad[0])};`,
    `const r1 = ${end(rs, g.kh, g.H)};`,
    `const s0 = ${clip(ss, g.pad[1])};`,
    `const s1 = ${end(ss, g.kw, g.W)};`,
  ];
}

export function poolLines(spec: PoolSpec, scope: Scope): string[] {
  const g = spec.geo;
  const N = scope.dim(g.N);
  const planes = (body: string[]) =>
    loops(
      [
        ["n", N],
        ["c", g.C],
      ],
      [
        `const x0 = (n * ${g.C} + c) * ${g.H * g.W};`,
        `const y0 = (n * ${g.C} + c) * ${g.OH * g.OW};`,
        ...loops(
          [
            ["i", g.OH],
            ["j", g.OW],
          ],
          [...windowLines(g), ...body],
        ),
      ],
    );
  const cells = (body: string[]) => [
    "for (let r = r0; r < r1; r++) {",
    "  for (let s = s0; s < s1; s++) {",
    ...ind(body, 2),
    "  }",
    "}",
  ];
  const xAt = `x0 + r * ${g.W} + s`;
  const yAt = `y0 + i * ${g.OW} + j`;
  const count = "((r1 - r0) * (s1 - s0))";
  const zero = `dx.fill(0, 0, ${N} * ${g.C * g.H * g.W});`;
  if (spec.kind === "pool" && spec.op === "max")
    // NaN counts as the maximum, as in PyTorch
    return planes([
      "let m = -Infinity;",
      ...cells([`const v = x[${xAt}];`, "if (v > m || v !== v) m = v;"]),
      `out[${yAt}] = m;`,
    ]);
  if (spec.kind === "pool")
    return planes([
      "let acc = 0;",
      ...cells([`acc += x[${xAt}];`]),
      `out[${yAt}] = acc / ${count};`,
    ]);
  if (spec.op === "max")
    // the window's first maximum gets the gradient (as PyTorch); a NaN is the maximum
    return [
      zero,
      ...planes([
        "let m = -Infinity;",
        "let at = -1;",
        ...cells([
          `const k = ${xAt};`,
          "const v = x[k];",
          "if (at < 0 || v > m || (v !== v && m === m)) {",
          "  m = v;",
          "  at = k;",
          "}",
        ]),
        `dx[at] += dy[${yAt}];`,
      ]),
    ];
  return [
    zero,
    ...planes([`const share = dy[${yAt}] / ${count};`, ...cells([`dx[${xAt}] += share;`])]),
  ];
}
