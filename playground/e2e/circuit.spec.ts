// The Circuit tab: CS231n's sigmoid neuron drawn by nnc from its own trace, every wire with its
// value (green, above) and gradient (red, below); inputs edited in place; one step of sgd.
import { expect, open, test } from "./fixtures.ts";
import type { Page } from "@playwright/test";

/** The value and gradient written on the wire that leaves the named leaf (or enters a gate). */
function wire(page: Page, by: { from: string } | { to: string }) {
  const attr = "from" in by ? `data-from-name="${by.from}"` : `data-to-gate="${by.to}"`;
  const label = page.locator(`svg.circuit g.wire-label[${attr}]`);
  return { value: label.locator("text.value"), grad: label.locator("text.grad") };
}

// the neuron by hand: f = 1 / (1 + e^-z), z = w0 x0 + w1 x1 + w2
const sigma = (z: number) => 1 / (1 + Math.exp(-z));

test("the neuron's circuit shows CS231n's numbers, and one step of sgd moves w0 to 2.02", async ({
  page,
}) => {
  await open(page, "models/neuron.nn", "circuit");
  // the output f = 0.73; the 1/x gate's input 1.37 with gradient -0.53
  await expect(wire(page, { from: "f" }).value).toHaveText("0.73");
  await expect(wire(page, { from: "f" }).grad).toHaveText("1.00");
  await expect(wire(page, { to: "1/x" }).value).toHaveText("1.37");
  await expect(wire(page, { to: "1/x" }).grad).toHaveText("-0.53");
  // w0's gradient -0.20, x0's 0.39 (and the other leaves, as the notes draw them)
  const leaves: [string, string, string][] = [
    ["w0", "2.00", "-0.20"],
    ["x0", "-1.00", "0.39"],
    ["w1", "-3.00", "-0.39"],
    ["x1", "-2.00", "-0.59"],
    ["w2", "-3.00", "0.20"],
  ];
  for (const [name, value, grad] of leaves) {
    await expect(wire(page, { from: name }).value).toHaveText(value);
    await expect(wire(page, { from: name }).grad).toHaveText(grad);
  }
  // every gate of the diagram, spelled out as the source writes it
  const gates = await page.locator("svg.circuit g.gate text").allTextContents();
  expect(gates.sort()).toEqual(["*", "*", "*-1", "+", "+", "+1", "1/x", "exp"].sort());

  await page.getByRole("button", { name: "step" }).click();
  await expect(page.getByLabel("w0", { exact: true })).toHaveValue("2.01966");
  await expect(wire(page, { from: "w0" }).value).toHaveText("2.02");
  await expect(page.locator(".step-note")).toContainText("w0 2.00 → 2.02");
  // every param moved by -0.1 times its gradient, and the loss f went down
  const dz = sigma(1) * (1 - sigma(1));
  const [w0, w1, w2] = [2 - 0.1 * dz * -1, -3 - 0.1 * dz * -2, -3 - 0.1 * dz];
  await expect(page.getByLabel("w1", { exact: true })).toHaveValue(w1.toPrecision(6));
  await expect(page.getByLabel("w2", { exact: true })).toHaveValue(w2.toPrecision(6));
  const fAfter = sigma(w0 * -1 + w1 * -2 + w2);
  expect(fAfter).toBeLessThan(sigma(1));
  await expect(wire(page, { from: "f" }).value).toHaveText(fAfter.toFixed(2));
});

test("the circuit's inputs are edited in place, and every value and gradient follows", async ({
  page,
}) => {
  await open(page, "models/neuron.nn", "circuit");
  const x0 = page.getByLabel("x0", { exact: true });
  await expect(x0).toHaveValue("-1");
  await x0.fill("1");
  await x0.press("Enter");
  // z = 2 * 1 + (-3)(-2) - 3 = 5
  const f = sigma(5);
  const dz = f * (1 - f);
  await expect(wire(page, { from: "f" }).value).toHaveText(f.toFixed(2));
  await expect(wire(page, { from: "x0" }).value).toHaveText("1.00");
  await expect(wire(page, { from: "w0" }).grad).toHaveText((dz * 1).toFixed(2));
  await expect(wire(page, { from: "x0" }).grad).toHaveText((dz * 2).toFixed(2));
  await expect(wire(page, { to: "1/x" }).value).toHaveText((1 + Math.exp(-5)).toFixed(2));
  // a param too
  const w1 = page.getByLabel("w1", { exact: true });
  await w1.fill("0");
  await w1.press("Enter");
  await expect(wire(page, { from: "f" }).value).toHaveText(sigma(2 * 1 + 0 - 3).toFixed(2));
  // reset: the starting values again
  await page.getByRole("button", { name: "reset" }).click();
  await expect(wire(page, { from: "f" }).value).toHaveText("0.73");
  await expect(x0).toHaveValue("-1");
});
