// The rewrite rules, one row each: [scenario, before, after]. Hash-consing makes structurally
// equal graphs the same object, so `toBe` compares whole graphs.
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import type { Node } from "../src/ir/node.ts";
import { lower } from "../src/parse/index.ts";
import * as o from "../src/ops/index.ts";
import { rewriteGraph, RewriteLog, type Rule } from "../src/passes/rewrite.ts";
import {
  foldBatchnormIntoDense,
  fuseActivations,
  fuseBatchnorm,
  simplify,
} from "../src/passes/index.ts";

const { add, c, div, exp, mul, neg, pow, sqrt, sub } = o;
const x = o.param("x", [3]);
const s = o.param("s", []);
const z = o.param("z", [4, 1]);
const y = o.param("y", [4, 1]);
const Z = o.param("Z", [4, 3]);
const Y = o.param("Y", [4, 3]);
const M = o.param("M", [2, 3]);
const X = o.param("X", ["batch", 3]);
const gamma = o.param("gamma", [3]);
const beta = o.param("beta", [3]);
const rm = o.state("rm", [3]);
const rv = o.state("rv", [3]);

const fuse: Rule[] = [...simplify, ...fuseActivations, ...fuseBatchnorm];

function run(before: Node, rules: Rule[], extraRoots: Node[] = []) {
  const log = new RewriteLog();
  const [after] = rewriteGraph([before, ...extraRoots], rules, log);
  return { after: after!, log };
}

const simplifyRows: [string, Node, Node][] = [
  ["x*1", mul(x, c(1)), x],
  ["1*x", mul(c(1), x), x],
  ["x+0", add(x, c(0)), x],
  ["0+x", add(c(0), x), x],
  ["x-0", sub(x, c(0)), x],
  ["0-x", sub(c(0), x), neg(x)],
  ["-1*x", mul(c(-1), x), neg(x)],
  ["--x", neg(neg(x)), x],
  ["x/1", div(x, c(1)), x],
  ["x^1", pow(x, c(1)), x],
  [
    "x*1 where the 1 is broadcast keeps the shape",
    mul(s, o.expand(c(1), [2, 3])),
    o.expand(s, [2, 3]),
  ],
  ["constant folding", add(c(2), mul(c(3), c(4))), c(14)],
  ["folding after x*1", mul(add(c(2), c(3)), mul(x, c(1))), mul(c(5), x)],
  ["sum of a broadcast constant", o.sum(o.expand(c(2), [3, 4])), c(24)],
  [
    "sum of a broadcast constant over a named dim",
    o.sum(o.expand(c(2), ["batch", 3]), [0]),
    o.expand(mul(c(2), o.dimsize(["batch"])), [3]),
  ],
  ["mean of a broadcast constant", o.mean(o.expand(c(5), [3, 4]), [1]), o.expand(c(5), [3])],
  ["transpose of transpose", o.transpose(o.transpose(M)), M],
  ["expand of expand", o.expand(o.expand(s, [3]), [2, 3]), o.expand(s, [2, 3])],
  [
    "an op on broadcast scalars runs once on the scalars",
    div(o.expand(c(1), ["batch"]), o.dimsize(["batch"])),
    o.expand(div(c(1), o.dimsize(["batch"])), ["batch"]),
  ],
  ["a nested simplification in one fixpoint", neg(neg(add(mul(x, c(1)), c(0)))), x],
];

describe.each(simplifyRows)("simplify: %s", (_scenario, before, after) => {
  it("rewrites to the expected graph", () => {
    expect(run(before, simplify).after).toBe(after);
  });
});

const sig = (t: Node) => div(c(1), add(c(1), exp(neg(t))));
const xc = sub(X, o.mean(X, [0], true));
const batchVar = o.mean(mul(xc, xc), [0], true);
const layerSpelling = add(mul(gamma, div(xc, sqrt(add(batchVar, c(1e-5))))), beta);
const m0 = o.mean(X, [0]);
const userVar = o.mean(pow(sub(X, m0), c(2)), [0]);

const fuseRows: [string, Node, Node][] = [
  ["sigmoid: 1/(1+exp(-z))", sig(z), o.sigmoid(z)],
  ["sigmoid: exp(-z)+1 in the other order", div(c(1), add(exp(neg(z)), c(1))), o.sigmoid(z)],
  ["sigmoid: -z as 0 - z", div(c(1), add(c(1), exp(sub(c(0), z)))), o.sigmoid(z)],
  ["sigmoid: -z as -1 * z", div(c(1), add(c(1), exp(mul(c(-1), z)))), o.sigmoid(z)],
  ["sigmoid: -z as z * -1", div(c(1), add(c(1), exp(mul(z, c(-1))))), o.sigmoid(z)],
  ["sigmoid: (1+exp(-z))^-1", pow(add(c(1), exp(neg(z))), c(-1)), o.sigmoid(z)],
  ["sigmoid: exp(z)/(1+exp(z))", div(exp(z), add(c(1), exp(z))), o.sigmoid(z)],
  ["sigmoid: 1/(1+exp(z)) is sigmoid(-z)", div(c(1), add(c(1), exp(z))), o.sigmoid(neg(z))],
  ["bce on a sigmoid: bce on the logits", o.bce(o.sigmoid(z), y), o.bceLogits(z, y)],
  ["bce on a spelled-out sigmoid", o.bce(sig(z), y), o.bceLogits(z, y)],
  ["softmax + cross-entropy", o.sum(o.xent(o.softmax(Z), Y), [1]), o.softmaxXent(Z, Y)],
  [
    "softmax + cross-entropy along axis 0",
    o.sum(o.xent(o.softmax(Z, 0), Y), [0]),
    o.softmaxXent(Z, Y, 0),
  ],
  ["log of softmax", o.log(o.softmax(Z)), o.logSoftmax(Z)],
  ["log of sigmoid", o.log(o.sigmoid(z)), neg(o.softplus(neg(z)))],
  ["log of a spelled-out sigmoid", o.log(sig(z)), neg(o.softplus(neg(z)))],
  ["log of 1 - sigmoid", o.log(sub(c(1), o.sigmoid(z))), neg(o.softplus(z))],
  [
    "batchnorm as the layer spells it",
    layerSpelling,
    o.batchnorm(X, o.mean(X, [0], true), o.invStd(batchVar, 1e-5), gamma, beta, true),
  ],
  [
    "batchnorm spelled (x - mean(x, 0)) / sqrt(mean((x - mean(x, 0))^2, 0) + eps)",
    div(sub(X, m0), sqrt(add(userVar, c(1e-3)))),
    o.batchnorm(X, m0, o.invStd(userVar, 1e-3), c(1), c(0), true),
  ],
  [
    "batchnorm spelled with a power -0.5, then shift and scale",
    add(mul(mul(sub(X, m0), pow(add(c(1e-3), userVar), c(-0.5))), gamma), beta),
    o.batchnorm(X, m0, o.invStd(userVar, 1e-3), gamma, beta, true),
  ],
  [
    "batchnorm with running statistics (inference)",
    add(mul(gamma, div(sub(X, rm), sqrt(add(rv, c(1e-5))))), beta),
    o.batchnorm(X, rm, o.invStd(rv, 1e-5), gamma, beta, false),
  ],
];

describe.each(fuseRows)("fuse: %s", (_scenario, before, after) => {
  it("rewrites to the expected graph", () => {
    const { after: got, log } = run(before, fuse);
    expect(got).toBe(after);
    expect(log.missedList()).toEqual([]);
  });
});

describe("fold: batchnorm after a dense layer, in inference", () => {
  it("becomes a scale and shift of the matrix product", () => {
    const W = o.param("W", [5, 3]);
    const b = o.param("b", [3]);
    const input = o.param("in", ["batch", 5]);
    const mm = o.matmul(input, W);
    const bn = o.batchnorm(add(mm, b), rm, o.invStd(rv, 1e-5), gamma, beta, false);
    const scale = mul(gamma, o.invStd(rv, 1e-5));
    expect(run(bn, foldBatchnormIntoDense).after).toBe(
      add(mul(mm, scale), add(mul(sub(b, rm), scale), beta)),
    );
  });
});

const X3 = o.param("X3", ["batch", 3, 4]);

const missedRows: [string, Node, Node[], string, RegExp][] = [
  [
    "a normalization over neither the batch axes nor the last one",
    div(sub(X3, o.mean(X3, [1], true)), sqrt(add(o.mean(mul(X3, X3), [1], true), c(1e-5)))),
    [],
    "batchnorm",
    /the mean is over axes \[1\], not the batch axes \[0, 2\] .* nor the last axis/,
  ],
  [
    "layernorm whose variance is not the centered square mean",
    div(sub(X, o.mean(X, [1], true)), sqrt(add(o.mean(mul(X, X), [1], true), c(1e-5)))),
    [],
    "layernorm",
    /variance/,
  ],
  [
    "batchnorm whose variance is not the centered square mean",
    div(sub(X, m0), sqrt(add(o.mean(mul(X, X), [0]), c(1e-5)))),
    [],
    "batchnorm",
    /variance/,
  ],
  [
    "batchnorm whose normalized value is also an output",
    add(mul(gamma, div(xc, sqrt(add(batchVar, c(1e-5))))), beta),
    [div(xc, sqrt(add(batchVar, c(1e-5))))],
    "batchnorm",
    /also used elsewhere/,
  ],
  [
    "cross-entropy summed over another axis than the softmax's",
    o.sum(o.xent(o.softmax(Z, 0), Y), [1]),
    [],
    "softmax-xent",
    /sums over axes \[1\] but the softmax normalizes axis 0/,
  ],
];

describe.each(missedRows)("missed: %s", (_scenario, before, extra, fusion, reason) => {
  it("reports the fusion that did not fire, and why", () => {
    const { log } = run(before, fuse, extra);
    const missed = log.missedList();
    expect(missed.map((m) => m.fusion)).toContain(fusion);
    expect(missed.map((m) => m.reason).join("\n")).toMatch(reason);
  });
});

describe("common subexpressions", () => {
  it("are one node: building the same node twice returns the first", () => {
    expect(mul(x, add(x, c(1)))).toBe(mul(x, add(x, c(1))));
    const both = add(sig(z), sig(z));
    expect(run(both, fuse).after).toBe(add(o.sigmoid(z), o.sigmoid(z)));
    expect(both.inputs[0]).toBe(both.inputs[1]);
  });

  it("are one node across compilations too: a later one finds an earlier one's nodes", () => {
    const src = readFileSync("models/mnist.nn", "utf8");
    const first = lower(src, { file: "a.nn" });
    const again = lower(src, { file: "a.nn" }); // a compilation of its own begins here
    expect(again.train.loss).toBe(first.train.loss);
    expect(again.infer.outputs[0]!.node).toBe(first.infer.outputs[0]!.node);
    // and the third finds what the second made current
    expect(lower(src, { file: "a.nn" }).train.loss).toBe(first.train.loss);
  });

  it("are told apart by every attribute value, NaN and the infinities too", () => {
    const values = [NaN, Infinity, -Infinity, 0, 1, 1e21, 0.1, -1];
    const nodes = values.map((v) => c(v));
    expect(new Set(nodes).size).toBe(values.length);
    values.forEach((v, i) => expect(c(v)).toBe(nodes[i]));
    expect(mul(x, c(2)).shape).toBe(x.shape); // an op that keeps its input's shape shares it
  });
});
