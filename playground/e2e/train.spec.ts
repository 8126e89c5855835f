// The Train tab: models trained on toy data of the plane in a Web Worker, the page responsive
// while they train, the wasm target where the browser runs it.
import { expect, open, test } from "./fixtures.ts";
import { expectTicksApart, ticks } from "./ticks.ts";
import type { Page } from "@playwright/test";

/** The percentage a stat shows (`train accuracy 97.3%`), or NaN before the first report. */
async function percent(page: Page, stat: string): Promise<number> {
  const text = await page.locator(`[data-stat="${stat}"]`).textContent();
  return Number(/([\d.]+)%/.exec(text ?? "")?.[1] ?? NaN);
}

/** The step count the stats show. */
async function step(page: Page): Promise<number> {
  const text = await page.locator(".stats span").first().textContent();
  return Number(/step (\d+)/.exec(text ?? "")?.[1] ?? NaN);
}

/** Waits until the worker has compiled the model and set up the data, and gives the target line. */
async function ready(page: Page): Promise<string> {
  const hint = page.locator("#panel-train .controls .hint");
  await expect(hint).toContainText("in a Web Worker");
  return (await hint.textContent()) ?? "";
}

test("XOR reaches 100% training accuracy within 10 s of training", async ({ page }) => {
  await open(page, "models/xor.nn", "train");
  expect(await ready(page)).toContain("xor: sgd (momentum 0.9), 2 classes");
  await expect(page.getByLabel("data set")).toHaveValue("xor");
  const start = Date.now();
  await page.getByRole("button", { name: "start" }).click();
  await expect(page.locator('[data-stat="train-accuracy"]')).toHaveText("train accuracy 100.0%", {
    timeout: 10_000,
  });
  const seconds = (Date.now() - start) / 1000;
  console.log(`XOR: 100% after ${seconds.toFixed(1)} s, step ${await step(page)}`);
  await page.getByRole("button", { name: "pause" }).click();
  await expect(page.getByRole("button", { name: "start" })).toBeVisible();
  expect(await percent(page, "test-accuracy")).toBeGreaterThanOrEqual(95);
  // the decision regions and a gradient norm per layer
  await expect(page.locator(".norms .norm")).toHaveCount(2);
  await expect(page.locator('.norm[data-layer="h"] .value')).not.toHaveText("");
});

test("a 2-layer relu net on spirals reaches 95% training accuracy, on the wasm target", async ({
  page,
}) => {
  // the browser runs WebAssembly SIMD, so the worker trains on the wasm target
  const simd = await page.evaluate(() =>
    WebAssembly.validate(
      new Uint8Array([
        0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0,
        253, 15, 253, 98, 11,
      ]),
    ),
  );
  expect(simd).toBe(true);
  await open(page, "models/spiral.nn", "train");
  const target = await ready(page);
  expect(target).toContain("spiral: sgd, 3 classes, the wasm target");
  await expect(page.getByLabel("data set")).toHaveValue("spirals");
  await page.getByLabel("speed").selectOption("max");
  await page.getByRole("button", { name: "start" }).click();
  await expect
    .poll(() => percent(page, "train-accuracy"), { timeout: 60_000, intervals: [250] })
    .toBeGreaterThanOrEqual(95);
  console.log(`spirals: ${await percent(page, "train-accuracy")}% at step ${await step(page)}`);
  await page.getByRole("button", { name: "pause" }).click();
});

test("the page stays responsive while the worker trains", async ({ page }) => {
  await open(page, "models/spiral.nn", "train");
  await ready(page);
  await page.getByRole("button", { name: "start" }).click();
  await expect.poll(() => step(page)).toBeGreaterThan(0);
  // the main thread answers at once while training runs: a click on a tab is handled...
  const lag = await page.evaluate(async () => {
    const before = performance.now();
    await new Promise((r) => setTimeout(r, 0));
    return performance.now() - before;
  });
  expect(lag).toBeLessThan(250);
  await page.getByRole("tab", { name: "Graph" }).click();
  await expect(page.locator("#panel-graph svg.graph")).toBeVisible({ timeout: 2_000 });
  await page.getByRole("tab", { name: "Train" }).click();
  // ...and training went on meanwhile
  const at = await step(page);
  await expect.poll(() => step(page)).toBeGreaterThan(at);
  // one step at a time, after a pause
  await page.getByRole("button", { name: "pause" }).click();
  await expect(page.getByRole("button", { name: "start" })).toBeVisible();
  const paused = await step(page);
  await page.getByRole("button", { name: "one step" }).click();
  await expect.poll(() => step(page)).toBe(paused + 1);
});

test("eight sigmoid layers show the vanishing gradient in their norms, relu does not", async ({
  page,
}) => {
  /** The first layer's gradient norm over the last's, as the bars show them. */
  const ratio = async () => {
    await ready(page);
    await expect(page.locator(".norms .norm")).toHaveCount(8);
    const norms = page.locator(".norms .norm");
    const values = (await norms.evaluateAll((l) => l.map((e) => e.dataset["norm"]))).map(Number);
    return values[0]! / values[values.length - 1]!;
  };
  await open(page, "models/xor.nn", "train");
  await page.getByRole("button", { name: "8 sigmoid layers" }).click();
  await expect(page.locator("#model")).toHaveValue("deep_sigmoid");
  await expect(page.locator("#panel-train .controls .hint")).toContainText("deep_sigmoid:");
  const sigmoid = await ratio();
  await page.getByRole("button", { name: "8 relu layers" }).click();
  await expect(page.locator("#panel-train .controls .hint")).toContainText("deep_relu:");
  const relu = await ratio();
  console.log(`first / last layer's gradient norm: sigmoid ${sigmoid}, relu ${relu}`);
  expect(sigmoid).toBeLessThan(0.01);
  expect(relu).toBeGreaterThan(100 * sigmoid);
});

test("without cross-origin isolation (a host that sends no headers) the wasm target trains too", async ({
  page,
}) => {
  // the same site with its COOP/COEP headers taken off: no SharedArrayBuffer, so the wasm
  // module's memory is not shared
  await page.route(
    (url) => url.hostname === "127.0.0.1",
    async (route) => {
      const response = await route.fetch();
      const headers = { ...response.headers() };
      delete headers["cross-origin-opener-policy"];
      delete headers["cross-origin-embedder-policy"];
      await route.fulfill({ response, headers });
    },
  );
  await open(page, "models/spiral.nn", "train");
  expect(await page.evaluate(() => globalThis.crossOriginIsolated)).toBe(false);
  await expect(page.locator("#status")).not.toContainText("isolated");
  expect(await ready(page)).toContain("the wasm target");
  await page.getByLabel("speed").selectOption("max");
  await page.getByRole("button", { name: "start" }).click();
  await expect
    .poll(() => percent(page, "train-accuracy"), { timeout: 60_000, intervals: [250] })
    .toBeGreaterThanOrEqual(95);
  await page.getByRole("button", { name: "pause" }).click();
});

test("training starts slow enough to watch, the speed control runs it faster, the loss on a log axis", async ({
  page,
}) => {
  await open(page, "models/spiral.nn", "train");
  await ready(page);
  await expect(page.getByLabel("speed")).toHaveValue("5");
  await page.getByRole("button", { name: "start" }).click();
  await expect(page.getByRole("button", { name: "pause" })).toBeVisible();
  await page.waitForTimeout(2_000);
  // 5 steps a frame at 20 frames a second: at most 100 steps a second
  const slow = await step(page);
  expect(slow).toBeGreaterThan(0);
  expect(slow).toBeLessThanOrEqual(5 * 20 * 3);
  await page.getByLabel("speed").selectOption("max");
  await page.waitForTimeout(2_000);
  expect(await step(page)).toBeGreaterThan(slow + 5 * slow);
  await page.getByRole("button", { name: "pause" }).click();
  // the loss axis: a log scale, its ticks decades apart (10, 1, ...), none overlapping
  await expect(page.getByRole("checkbox", { name: "log scale" })).toBeChecked();
  await expectTicksApart(page);
  const y = (await ticks(page)).y.map((t) => Number(t.text));
  expect(Math.max(...y) / Math.min(...y)).toBeGreaterThanOrEqual(10);
  // linear on request: equal steps of loss, equal steps of height
  await page.getByRole("checkbox", { name: "log scale" }).uncheck();
  await expect.poll(async () => evenly((await ticks(page)).y)).toBe(true);
  await expectTicksApart(page);
});

/** Whether the ticks' positions are linear in their values (within a pixel). */
function evenly(ticks: { text: string; at: number }[]): boolean {
  const [a, b] = [ticks[0]!, ticks[ticks.length - 1]!];
  const perUnit = (b.at - a.at) / (Number(b.text) - Number(a.text));
  return ticks.every(
    (t) => Math.abs(a.at + perUnit * (Number(t.text) - Number(a.text)) - t.at) < 1,
  );
}

test("a 4096x4096 param: the tab says what it is doing and for how long, then trains", async ({
  page,
}) => {
  test.setTimeout(180_000);
  const big = [
    "model big {",
    "  input  x: [batch, 2]",
    "  target y: [batch, 1]",
    "  h = x |> dense(4096) |> relu",
    "  g = h |> dense(4096) |> relu     # g.W: [4096, 4096]",
    "  p = g |> dense(1) |> sigmoid",
    "  output p",
    "  loss = mean(bce(p, y))",
    "  optimizer = sgd(lr: 0.01)",
    "}",
  ].join("\n");
  await open(page, "models/xor.nn", "train");
  await ready(page);
  await page.locator(".cm-content").click();
  await page.keyboard.press("ControlOrMeta+a");
  await page.keyboard.insertText(big);
  const panel = page.locator("#panel-train");
  const hint = panel.locator(".controls .hint");
  // working: what, for how long, the buttons off
  await expect(panel).toHaveAttribute("aria-busy", "true");
  await expect(hint).toContainText(/(compiling|the first report).*… \d+ s/);
  await expect(page.getByRole("button", { name: "start" })).toBeDisabled();
  await expect(hint).toContainText("big: sgd", { timeout: 120_000 });
  await expect(panel).toHaveAttribute("aria-busy", "false");
  // the regions on a coarser grid and the loss on the first points, to keep reports short
  await expect(page.locator(".stats")).toContainText("(first 16 points)");
  const start = page.getByRole("button", { name: "start" });
  await expect(start).toBeEnabled();
  await start.click();
  // the button says what a click does next, at once
  await expect(page.getByRole("button", { name: "pause" })).toBeVisible({ timeout: 1_000 });
  await expect.poll(() => step(page), { timeout: 120_000 }).toBeGreaterThan(0);
  await page.getByRole("button", { name: "pause" }).click();
  await expect(page.getByRole("button", { name: "start" })).toBeVisible({ timeout: 1_000 });
});
