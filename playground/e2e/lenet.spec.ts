// The MNIST tab with a convolutional network: LeNet-5 picked in the tab and trained briefly in the
// page, then its first layer drawn: the 6 learned 5 x 5 filters of c1.W, and the 6 feature maps
// they make of a drawn digit (after relu, 28 x 28). Then the Graph tab's convolution and pool
// nodes, each with its settings and shape.
import type { Locator } from "@playwright/test";
import { drawOne, expect, open, test } from "./fixtures.ts";

/** Each canvas's size, how many colours it holds, and the share of pixels of its corner's colour. */
function pictures(canvases: Locator) {
  return canvases.evaluateAll((list) =>
    (list as HTMLCanvasElement[]).map((c) => {
      const px = c.getContext("2d")!.getImageData(0, 0, c.width, c.height).data;
      const colours = new Set<number>();
      let corner = 0;
      for (let i = 0; i < px.length; i += 4) {
        const rgb = (px[i]! << 16) | (px[i + 1]! << 8) | px[i + 2]!;
        colours.add(rgb);
        if (rgb === ((px[0]! << 16) | (px[1]! << 8) | px[2]!)) corner++;
      }
      return {
        width: c.width,
        height: c.height,
        colours: colours.size,
        corner: corner / (px.length / 4),
      };
    }),
  );
}

test("LeNet trains in the MNIST tab, then shows its first layer's filters and feature maps", async ({
  page,
}) => {
  test.setTimeout(150_000);
  await open(page, "models/mnist.nn", "mnist");
  await page.getByLabel("network").selectOption("models/lenet.nn");
  await expect(page.locator("#status")).toContainText("compiled lenet");
  await expect(page.locator("#file")).toHaveValue("models/lenet.nn");
  // a short training: one epoch of the first 500 digits, 16 steps of 32 (the last of 20)
  await page.getByLabel("training digits").selectOption("500");
  await page.getByRole("button", { name: "Train" }).click();
  const accuracy = page.locator("#panel-mnist .accuracy");
  await expect(accuracy).toContainText("test accuracy", { timeout: 120_000 });
  const status = (await page.locator(".mnist-status").textContent()) ?? "";
  console.log(`LeNet, 500 digits: ${await accuracy.textContent()}; ${status}`);
  expect(status).toMatch(/^Trained on the (js|wasm) target/);
  await expect(page.locator("table.epochs tbody tr")).toHaveCount(2);
  const progress = page.getByLabel("training progress");
  expect(await progress.evaluate((p: HTMLProgressElement) => [p.value, p.max])).toEqual([16, 16]);

  // the filters, as soon as it has trained: 6 pictures of 5 x 5 weights
  const layer = page.getByRole("region", { name: "first layer" });
  await expect(layer.locator("h3")).toHaveText("c1: the 6 learned 5 x 5 filters of c1.W");
  const filters = layer.locator("canvas.filter");
  await expect(filters).toHaveCount(6);
  await expect(layer.locator("canvas.map")).toHaveCount(0);
  for (const f of await pictures(filters)) {
    expect([f.width, f.height]).toEqual([5, 5]);
    expect(f.colours).toBeGreaterThan(10); // 25 weights in a continuous scale
  }

  // a drawn digit: its 6 feature maps, 28 x 28, flat where the digit has no ink
  await drawOne(page);
  await expect(page.locator(".probs .prob")).toHaveCount(10);
  const maps = layer.locator("canvas.map");
  await expect(maps).toHaveCount(6);
  await expect(layer).toContainText("after relu, 28 x 28, before max_pool2d");
  const drawn = await pictures(maps);
  for (const m of drawn) {
    expect([m.width, m.height]).toEqual([28, 28]);
    expect(m.colours).toBeGreaterThan(5);
    expect(m.corner).toBeGreaterThan(0.3); // far from the stroke: relu(bias), the same everywhere
    expect(m.corner).toBeLessThan(0.95); // along it: what the filter finds
  }
  const captions = await layer.locator("figcaption").allTextContents();
  expect(captions).toHaveLength(6);
  captions.forEach((c, i) => expect(c).toMatch(new RegExp(`^${i + 1}: max \\d+\\.\\d\\d$`)));

  // a held-out digit instead: other maps
  await page.getByRole("button", { name: "a held-out digit" }).click();
  await expect(page.locator(".digit-note")).toHaveText(/^held-out digit 1 of 2,000: a \d$/);
  await expect
    .poll(async () => (await pictures(maps)).map((m) => m.corner))
    .not.toEqual(drawn.map((m) => m.corner));

  // the Graph tab: LeNet's convolutions and pools with their settings and shapes
  await page.getByRole("tab", { name: "Graph" }).click();
  const conv = page.locator('svg.graph g.node[data-op="conv2d"]');
  await expect(conv).toHaveCount(2);
  await expect(conv.first().locator("text")).toHaveText([
    "conv2d 6@5x5, padding: 2",
    "[batch, 6, 28, 28]",
  ]);
  await expect(conv.nth(1).locator("text")).toHaveText(["conv2d 16@5x5", "[batch, 16, 10, 10]"]);
  await expect(conv.first()).toHaveClass(/kind-conv/);
  const pool = page.locator('svg.graph g.node[data-op="max_pool2d"]');
  await expect(pool.first().locator("text")).toHaveText([
    "c1",
    "max_pool2d 2x2",
    "[batch, 6, 14, 14]",
  ]);
  // laid out readably: no two boxes overlap
  const boxes = await page
    .locator("svg.graph g.node rect")
    .evaluateAll((rects) =>
      rects.map((r) => r.getBoundingClientRect()).map((b) => [b.left, b.top, b.right, b.bottom]),
    );
  expect(boxes.length).toBeGreaterThan(30);
  for (const [i, a] of boxes.entries())
    for (const b of boxes.slice(i + 1))
      expect(a[2]! <= b[0]! || b[2]! <= a[0]! || a[3]! <= b[1]! || b[3]! <= a[1]!).toBe(true);
});
