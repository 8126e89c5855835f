// Convolutional networks against PyTorch, independently of nnc's exporter: each network is a spec
// (test/cnn-spec.ts) written as `.nn` source for nnc and built by hand in torch by
// test/torch_cnn_driver.py from torch's own F.conv2d (its padding="same" at stride 1), F.max_pool2d,
// F.avg_pool2d(count_include_pad=False), F.batch_norm, torch.matmul, permute,
// F.adaptive_avg_pool2d and F.cross_entropy. From the same weights and data, the loss and the
// symbolic gradients (every param and the input) of nnc's generated module (f64) equal torch's
// autograd to 1e-9. The fixed networks show every option; the random ones mix them. In the grid
// networks the data and the weights are integers, so that a max pool's window often holds its
// maximum twice: the gradient goes to the first, in nnc as in torch's CPU kernel.
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { compile } from "../src/compile.ts";
import { seededWeights } from "../src/export/weights.ts";
import { CLASSES, fixedNets, randomNet, source, type Net } from "./cnn-spec.ts";
import { python, relativeError, tempDir, torchAvailable } from "./export-helpers.ts";
import { randomArray, rng } from "./helpers.ts";

const nets = [
  ...fixedNets,
  ...Array.from({ length: 12 }, (_, i) => randomNet(100 + i, false)),
  ...Array.from({ length: 3 }, (_, i) => randomNet(200 + i, true)),
];
const BATCH = 4;

type Values = Record<string, ArrayLike<number>>;
interface Result {
  loss: number;
  grads: Record<string, number[]>;
  x: number[];
  ties: number;
}

/** nnc's loss and gradients in f64, and the job that asks torch for its own. */
function prepare(net: Net, seed: number) {
  const compiled = compile(source(net), { file: "cnn.nn", dtype: "f64", wrt: ["x"] });
  const round = (v: ArrayLike<number>) =>
    Float64Array.from(v, (x) => (net.grid ? Math.round(x) : x));
  const params: Values = {};
  for (const p of compiled.model.params)
    params[p.name] = round(seededWeights(compiled, seed).get(p.name)!);
  const r = rng(seed);
  const xShape = [BATCH, ...net.input];
  const x = round(
    randomArray(
      xShape.reduce((a, b) => a * b),
      r,
      -1.4,
      1.4,
    ),
  );
  const y = new Float64Array(BATCH * CLASSES);
  for (let n = 0; n < BATCH; n++) y[n * CLASSES + Math.floor(r() * CLASSES)] = 1;
  const m = compiled.load().createModel({ params });
  const { loss, grads } = m.grad({ x, y });
  const feed = (shape: number[], data: ArrayLike<number>) => ({ shape, data: Array.from(data) });
  const job = {
    net,
    params: Object.fromEntries(
      compiled.model.params.map((p) => [p.name, feed(p.shape as number[], params[p.name]!)]),
    ),
    x: feed(xShape, x),
    y: feed([BATCH, CLASSES], y),
  };
  const copy = Object.fromEntries(Object.entries(grads).map(([k, v]) => [k, Float64Array.from(v)]));
  return { job, expected: { loss, grads: copy } };
}

describe.runIf(torchAvailable())("convolutional networks against PyTorch, written apart", () => {
  const prepared = nets.map((net, i) => ({ net, ...prepare(net, 1 + i) }));
  let results: Result[] = [];

  beforeAll(() => {
    const dir = tempDir();
    const input = join(dir, "cnn-jobs.json");
    writeFileSync(input, JSON.stringify(prepared.map((p) => p.job)));
    const out = execFileSync(python, ["test/torch_cnn_driver.py", input], {
      encoding: "utf8",
      maxBuffer: 1 << 26,
      env: { ...process.env, OMP_NUM_THREADS: "1" },
    });
    results = JSON.parse(out) as Result[];
  }, 120_000);

  it.each(prepared.map((p, i) => [p.net.label, i] as const))(
    "%s: the loss and every gradient (f64, 1e-9)",
    (_label, i) => {
      const { net, expected } = prepared[i]!;
      const got = results[i]!;
      const about = source(net);
      expect(relativeError([got.loss], [expected.loss]), `loss\n${about}`).toBeLessThan(1e-9);
      // relative to the largest gradient where one is 0 up to rounding (a bias before batchnorm)
      const largest = Math.max(
        ...Object.values(expected.grads).map((g) => Math.max(...g.map(Math.abs))),
      );
      for (const [name, g] of Object.entries(expected.grads)) {
        const theirs = name === "x" ? got.x : got.grads[name]!;
        expect(relativeError(theirs, g, 1e-3 * largest), `d/d${name}\n${about}`).toBeLessThan(1e-9);
      }
      if (net.grid) expect(got.ties, "windows with a tied maximum").toBeGreaterThan(0);
    },
  );
});
