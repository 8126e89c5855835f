// What a first visit and a link show: the file the editor holds named in the picker, one sentence
// on what to try, and a link that cannot be read said to be so, not passed over.
import { expect, test } from "./fixtures.ts";

test("a first visit names neuron.nn in the picker and says what to try, once", async ({ page }) => {
  await page.goto("./");
  await expect(page.locator("body[data-ready=true]")).toBeAttached();
  await expect(page.locator("#status")).toContainText("compiled neuron");
  await expect(page.locator("#file")).toHaveValue("models/neuron.nn");
  await expect(page.locator("#file")).not.toHaveClass(/edited/);
  const intro = page.locator("#intro");
  await expect(intro).toBeVisible();
  await expect(intro).toContainText("Try it");
  await expect(page.locator("#link-notice")).toBeHidden();
  await intro.getByRole("button", { name: "dismiss" }).click();
  await expect(intro).toBeHidden();
  await page.reload();
  await expect(page.locator("body[data-ready=true]")).toBeAttached();
  await expect(intro).toBeHidden();
});

for (const [what, hash] of [
  ["a damaged link", "#z=AAAA&file=mine.nn&tab=graph"],
  ["a link cut short", "#z=q1YqyEnNzS9RslIqSq1QslIqLkktUrIy"],
  ["a link to a file there is not", "#file=models/nothing.nn&tab=graph"],
] as const)
  test(`${what} says it could not be read, and shows neuron.nn as the picker says`, async ({
    page,
  }) => {
    await page.goto(`./${hash}`);
    await expect(page.locator("body[data-ready=true]")).toBeAttached();
    const notice = page.locator("#link-notice");
    await expect(notice).toBeVisible();
    await expect(notice).toContainText("This link could not be read");
    await expect(notice).toContainText("showing models/neuron.nn instead");
    await expect(page.locator("#status")).toContainText("compiled neuron");
    await expect(page.locator("#file")).toHaveValue("models/neuron.nn");
    // a good link afterwards: the notice goes
    await page.goto("./#file=models/xor.nn&tab=graph");
    await expect(page.locator("#status")).toContainText("compiled xor");
    await expect(page.locator("#file")).toHaveValue("models/xor.nn");
    await expect(notice).toBeHidden();
  });
