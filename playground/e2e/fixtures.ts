// What every test of the page shares: no console error and no failed page script during the
// test, no request leaving the machine (the site works offline), and a screenshot at its end
// under playground/test-results/ for a reviewer to look at.
import { test as base, expect, type Page } from "@playwright/test";
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";

const shots = fileURLToPath(new URL("../test-results/", import.meta.url));

export const test = base.extend<{ page: Page }>({
  page: async ({ page }, use, info) => {
    const errors: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(`console: ${m.text()}`);
    });
    page.on("pageerror", (e) => errors.push(`page error: ${e.message}`));
    await page.route(
      (url) => url.hostname !== "127.0.0.1",
      (route) => {
        errors.push(`a request left the machine: ${route.request().url()}`);
        return route.abort();
      },
    );
    await use(page);
    mkdirSync(shots, { recursive: true });
    const name = info.title
      .replace(/[^a-z0-9]+/gi, "-")
      .replace(/^-|-$/g, "")
      .toLowerCase();
    await page.screenshot({ path: `${shots}${name}.png` });
    expect(errors, "console errors during the test").toEqual([]);
  },
});

export { expect };

/** Opens the page on a file of models/ (and a tab), and waits until it has compiled. */
export async function open(page: Page, file: string, tab: string, model?: string): Promise<void> {
  await page.goto(`./#file=${file}${model ? `&model=${model}` : ""}&tab=${tab}`);
  await expect(page.locator("body[data-ready=true]")).toBeAttached();
  await expect(page.locator("#status")).toContainText("compiled");
}

/** Draws a "1" on the MNIST tab's canvas: one stroke down its middle. */
export async function drawOne(page: Page): Promise<void> {
  const box = (await page.getByLabel("draw a digit").boundingBox())!;
  await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.15);
  await page.mouse.down();
  for (let i = 1; i <= 10; i++)
    await page.mouse.move(
      box.x + box.width * (0.5 - 0.01 * i),
      box.y + box.height * (0.15 + 0.07 * i),
    );
  await page.mouse.up();
}
