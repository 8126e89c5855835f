// A model too large for the diagrams: a 3,000-statement chain. The Graph tab draws it (laid out
// without recursion), the Circuit tab says why it does not, and no tab shows the model before.
import { deflateRawSync } from "node:zlib";
import { expect, open, test } from "./fixtures.ts";

const n = 3000;
const chain = [
  "model chain {",
  "  input x: scalar",
  "  param w: scalar = 0.5",
  "  h0 = w * x",
  ...Array.from({ length: n - 1 }, (_, i) => `  h${i + 1} = tanh(h${i}) * 1.0001 + 0.001`),
  `  output h${n - 1}`,
  `  loss = h${n - 1}`,
  "  optimizer = sgd(lr: 0.1)",
  "}",
].join("\n");

/** The page's link to a source (as share.ts writes it). */
const link = (source: string, tab: string) =>
  `./#z=${deflateRawSync(source).toString("base64url")}&file=chain.nn&tab=${tab}`;

test("a 3,000-statement chain: the graph drawn, the circuit says why not, no old picture", async ({
  page,
}) => {
  test.setTimeout(180_000);
  await open(page, "models/neuron.nn", "circuit");
  await expect(page.locator("svg.circuit g.gate")).toHaveCount(8);
  // opened from a link over the neuron's page: only the hash changes
  await page.goto(link(chain, "circuit"));
  await expect(page.locator("#status")).toContainText("compiled chain", { timeout: 60_000 });
  const circuit = page.locator("#panel-circuit");
  await expect(circuit).toContainText("this one has", { timeout: 60_000 });
  await expect(circuit).toContainText("The Graph tab draws it");
  await expect(circuit.locator("svg")).toHaveCount(0);
  await page.getByRole("tab", { name: "Graph" }).click();
  const graph = page.locator("#panel-graph svg.graph");
  await expect(graph).toBeVisible({ timeout: 60_000 });
  const count = Number(
    /^(\d+) forward nodes/.exec((await page.locator(".counts").textContent())!)![1],
  );
  expect(count).toBeGreaterThan(2 * n);
  await expect(graph.locator("g.node")).toHaveCount(count);
  // the chain runs down the page: the last tanh below the first
  const tanh = graph.locator('g.node[data-op="tanh"]');
  const first = (await tanh.first().boundingBox())!;
  const last = (await tanh.last().boundingBox())!;
  expect(last.y).toBeGreaterThan(first.y + 1000);
});

test("a view that cannot draw a model says why, and shows no other model's picture", async ({
  page,
}) => {
  await open(page, "models/neuron.nn", "graph");
  await expect(page.locator("svg.graph")).toBeVisible();
  // any failure of a view's drawing: here, every SVG element refused
  await page.evaluate(() => {
    const make = document.createElementNS.bind(document);
    document.createElementNS = ((ns: string, tag: string) => {
      if (tag === "svg") throw new Error("no room for the drawing");
      return make(ns, tag);
    }) as typeof document.createElementNS;
  });
  await page.locator("#file").selectOption("models/xor.nn");
  await expect(page.locator("#status")).toContainText("compiled xor");
  const panel = page.locator("#panel-graph");
  await expect(panel).toContainText(
    "The Graph tab cannot draw this model: no room for the drawing.",
  );
  await expect(panel.locator("svg")).toHaveCount(0);
});
