// The MNIST tab: models/mnist.nn trained in the page's worker on the CLI's digits, then a digit
// drawn on the canvas and the model's class probabilities.
import { readFileSync } from "node:fs";
import { compile, loadData, Trainer } from "../../src/node.ts";
import { drawOne, expect, open, test } from "./fixtures.ts";

/** What `nnc train models/mnist.nn --data mnist --epochs 1` reports: test loss and accuracy. */
function cli(): { loss: number; accuracy: number } {
  const source = readFileSync(new URL("../../models/mnist.nn", import.meta.url), "utf8");
  const compiled = compile(source, { file: "models/mnist.nn", target: "auto" });
  const { train, test } = loadData("mnist", compiled.model);
  const history = new Trainer(compiled, train, test, { epochs: 1, batch: 32, seed: 1 }).run();
  const end = history.epochs.at(-1)!;
  return { loss: end.testLoss, accuracy: end.testAccuracy! };
}

test("MNIST trains one epoch in the page to at least 85%, then reads a drawn digit", async ({
  page,
}) => {
  test.setTimeout(180_000);
  await open(page, "models/mnist.nn", "mnist");
  await expect(page.getByLabel("epochs")).toHaveValue("1");
  // a digit drawn before training: the pad says to train first
  const note = page.locator(".digit-note");
  await expect(note).toHaveText(/^Train a model first/);
  await drawOne(page);
  await expect(note).toHaveText(/^Train a model first/);
  await expect(page.locator(".probs .prob")).toHaveCount(0);
  await page.getByRole("button", { name: "Train" }).click();
  const accuracy = page.locator("#panel-mnist .accuracy");
  await expect(accuracy).toContainText("test accuracy", { timeout: 150_000 });
  const percent = Number(/([\d.]+)%/.exec((await accuracy.textContent()) ?? "")![1]);
  const status = (await page.locator(".mnist-status").textContent()) ?? "";
  console.log(`MNIST, one epoch: ${percent}% on the held-out digits; ${status}`);
  expect(percent).toBeGreaterThanOrEqual(85);
  expect(status).toMatch(/^Trained on the wasm target in [\d.]+ s/);
  // the table: epoch 0 (before training) and epoch 1, as the CLI trains it (the same digits,
  // split, trainer and seed; another engine's float rounding aside)
  await expect(page.locator("table.epochs tbody tr")).toHaveCount(2);
  const row = await page.locator("table.epochs tbody tr").nth(1).locator("td").allTextContents();
  const expected = cli();
  console.log(`nnc train, one epoch: ${(100 * expected.accuracy).toFixed(2)}%`);
  expect(Number(row[2])).toBeCloseTo(expected.loss, 2);
  expect(Math.abs(Number.parseFloat(row[3]!) - 100 * expected.accuracy)).toBeLessThan(0.5);
  const progress = page.getByLabel("training progress");
  expect(await progress.evaluate((p: HTMLProgressElement) => p.value === p.max)).toBe(true);

  // draw a "1": one stroke down the middle of the canvas
  await drawOne(page);
  const probs = page.locator(".probs .prob");
  await expect(probs).toHaveCount(10);
  const values = (await page.locator(".probs .prob .value").allTextContents()).map((t) =>
    Number.parseFloat(t),
  );
  expect(values.reduce((a, b) => a + b, 0)).toBeCloseTo(100, 0);
  await expect(page.locator(".probs .prob.best")).toHaveAttribute("data-digit", "1");
  // clear: the probabilities go
  await page.getByRole("button", { name: "clear" }).click();
  await expect(probs).toHaveCount(0);
});
