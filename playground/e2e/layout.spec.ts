// The page at a phone's width: one column, nothing wider than the screen, every tab reachable.
import { expect, open, test } from "./fixtures.ts";
import { expectTicksApart } from "./ticks.ts";

test.use({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });

test("the page is readable at a phone's width", async ({ page }) => {
  await open(page, "models/neuron.nn", "circuit");
  const width = await page.evaluate(() => document.documentElement.clientWidth);
  expect(width).toBe(390);
  // no sideways scrolling of the page
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
    width,
  );
  // the editor above the views, both the screen's width
  const editor = (await page.locator("#editor").boundingBox())!;
  const views = (await page.locator("section.views").boundingBox())!;
  expect(editor.width).toBeGreaterThan(300);
  expect(views.width).toBeGreaterThan(300);
  expect(views.y).toBeGreaterThanOrEqual(editor.y + editor.height - 1);
  // the circuit at full size in a box that scrolls sideways, its numbers as large as on a desktop
  const scroller = page.locator("#panel-circuit .graph-scroll");
  const box = (await scroller.boundingBox())!;
  expect(box.x + box.width).toBeLessThanOrEqual(width);
  const f = page.locator('g.wire-label[data-from-name="f"] text.value');
  await f.scrollIntoViewIfNeeded();
  await expect(f).toBeInViewport();
  await expect(f).toHaveText("0.73");
  expect((await f.boundingBox())!.height).toBeGreaterThanOrEqual(11);
  // text no smaller than 11 px in the controls
  const fontSize = await page
    .locator("#panel-circuit .controls button")
    .first()
    .evaluate((e) => parseFloat(getComputedStyle(e).fontSize));
  expect(fontSize).toBeGreaterThanOrEqual(11);
  // every tab within the screen's width, without scrolling anything sideways, and each opens
  for (const name of ["Graph", "Gradient code", "Train", "MNIST", "Circuit"]) {
    const tab = page.getByRole("tab", { name });
    const box = (await tab.boundingBox())!;
    expect(box.x).toBeGreaterThanOrEqual(0);
    expect(box.x + box.width).toBeLessThanOrEqual(width);
    await tab.tap();
    await expect(tab).toHaveAttribute("aria-selected", "true");
  }
  const bar = page.getByRole("tablist");
  expect(await bar.evaluate((e) => e.scrollWidth <= e.clientWidth)).toBe(true);
  await page.locator("#panel-circuit").scrollIntoViewIfNeeded();
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
    width,
  );
});

test("the Train tab at a phone's width: the loss chart fits, its tick labels apart", async ({
  page,
}) => {
  await open(page, "models/spiral.nn", "train");
  await expect(page.locator("#panel-train .controls .hint")).toContainText("in a Web Worker");
  await page.getByLabel("speed").selectOption("max");
  await page.getByRole("button", { name: "start" }).tap();
  await expect
    .poll(async () =>
      Number(/step (\d+)/.exec((await page.locator(".stats").textContent()) ?? "")?.[1]),
    )
    .toBeGreaterThan(20_000);
  await page.getByRole("button", { name: "pause" }).tap();
  const chart = page.locator(".loss-chart");
  await chart.scrollIntoViewIfNeeded();
  const box = (await chart.boundingBox())!;
  expect(box.x).toBeGreaterThanOrEqual(0);
  expect(box.x + box.width).toBeLessThanOrEqual(390);
  await expectTicksApart(page);
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
});
