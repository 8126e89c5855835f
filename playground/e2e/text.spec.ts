// The Text tab: makemore.nn trained in the page's worker on the word list (the loss falls, the
// samples are words of a-z), then gpt.nn, and one head's attention for a typed word.
import { expect, open, test } from "./fixtures.ts";

test("the Text tab trains makemore and gpt on the words and draws a head's attention", async ({
  page,
}) => {
  test.setTimeout(60_000);
  await open(page, "models/makemore.nn", "text");
  const chart = page.getByLabel("loss curve");
  const loss = async (key: "firstLoss" | "testLoss") =>
    Number(await chart.getAttribute(`data-${key === "firstLoss" ? "first-loss" : "test-loss"}`));
  await page.getByRole("button", { name: "Train" }).click();
  // 27 classes: about ln 27 = 3.3 before training, well under 2.8 within seconds of it
  await expect(chart).toHaveAttribute("data-step", /^[1-9]/, { timeout: 20_000 });
  await expect.poll(() => loss("testLoss"), { timeout: 15_000 }).toBeLessThan(2.8);
  expect(await loss("firstLoss")).toBeGreaterThan(3.1);
  await expect(page.locator(".text-status")).toContainText("on the wasm target");
  const samples = await page.locator("ol.samples li").allTextContents();
  console.log(`makemore: held-out loss ${await loss("testLoss")}, samples ${samples.join(" ")}`);
  expect(samples).toHaveLength(10);
  for (const s of samples) expect(s).toMatch(/^[a-z]*$/);
  expect(samples.filter((s) => s.length > 0).length).toBeGreaterThan(5);
  await expect(page.locator(".attention-note")).toHaveText(/no attention/);

  // gpt.nn: picked in the tab, trained briefly, then the attention of a typed word
  await page.getByLabel("language model").selectOption("models/gpt.nn");
  await expect(page.locator("#status")).toContainText("compiled gpt");
  await expect(page.locator("ol.samples li")).toHaveCount(0);
  await page.getByRole("button", { name: "Train" }).click();
  await expect(chart).toHaveAttribute("data-step", /^[1-9]/, { timeout: 20_000 });
  const first = await loss("firstLoss");
  expect(first).toBeGreaterThan(3.1);
  await expect.poll(() => loss("testLoss"), { timeout: 25_000 }).toBeLessThan(first - 0.1);
  console.log(
    `gpt: held-out loss ${await loss("testLoss")} at step ${await chart.getAttribute("data-step")}`,
  );
  await page.getByLabel("word").fill("hello");
  await page.getByLabel("head").selectOption("2");
  const heat = page.getByLabel("attention", { exact: true });
  await expect(heat).toHaveAttribute("data-n", "6");
  await expect(heat).toHaveAttribute("data-head", "1");
  const cells = await heat
    .locator(".cell")
    .evaluateAll((es) => es.map((e) => [e.dataset["row"], e.dataset["col"], e.dataset["value"]]));
  expect(cells).toHaveLength(36);
  const a = cells.map(([, , v]) => Number(v));
  for (let i = 0; i < 6; i++) {
    const row = a.slice(i * 6, i * 6 + 6);
    expect(row.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 6);
    for (let j = i + 1; j < 6; j++) expect(row[j]).toBe(0);
    for (let j = 0; j <= i; j++) expect(row[j]).toBeGreaterThan(0);
  }
  // the first position attends only to itself
  expect(a[0]).toBe(1);
  const labels = await heat.locator(".label").allTextContents();
  expect(labels.slice(0, 6)).toEqual([".", "h", "e", "l", "l", "o"]);
});
