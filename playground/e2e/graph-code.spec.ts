// The Graph tab (fusion collapses the neuron's spelled-out sigmoid into one node) and the
// Gradient code tab (each line of the generated code and of the derivation linked to its .nn line).
import { expect, open, test } from "./fixtures.ts";

test("the graph shows one fused sigmoid node, and the unfused view more nodes", async ({
  page,
}) => {
  await open(page, "models/neuron.nn", "graph");
  const nodes = page.locator("svg.graph g.node");
  const sigmoid = page.locator('svg.graph g.node[data-op="sigmoid"]');
  await expect(sigmoid).toHaveCount(1);
  await expect(sigmoid).toHaveClass(/kind-fused/);
  await expect(sigmoid.locator("title")).toContainText("shape scalar");
  const fused = await nodes.count();
  await expect(page.locator(".counts")).toHaveText(`${fused} forward nodes`);
  await expect(page.getByRole("complementary", { name: "rewrite report" })).toContainText(
    "sigmoid",
  );

  await page.getByRole("checkbox", { name: "fuse" }).uncheck();
  await expect(sigmoid).toHaveCount(0);
  // 1 / (1 + exp(-z)) as written: a negation, exp, +1 and a division
  for (const op of ["neg", "exp", "div"])
    await expect(page.locator(`svg.graph g.node[data-op="${op}"]`)).toHaveCount(1);
  const unfused = await nodes.count();
  expect(unfused).toBeGreaterThan(fused);
  await expect(page.locator(".counts")).toHaveText(`${unfused} forward nodes`);
  await expect(page.locator(".report h3").first()).toHaveText("Rewrites that fired (fusion off)");

  // the backward graph: the gradients' nodes, dashed
  await page.getByRole("checkbox", { name: "backward" }).check();
  await expect(page.locator("svg.graph g.node.backward").first()).toBeVisible();
  await expect(page.locator(".counts")).toContainText("backward nodes");
});

test("softmax + cross-entropy and batchnorm collapse into fused nodes in MNIST's graph", async ({
  page,
}) => {
  await open(page, "models/mnist.nn", "graph");
  await expect(page.locator('svg.graph g.node[data-op="softmax_xent"]')).toHaveCount(1);
  await expect(page.locator('svg.graph g.node[data-op="batchnorm"]')).toHaveCount(1);
  await page.getByRole("checkbox", { name: "fuse" }).uncheck();
  await expect(page.locator("svg.graph g.node.kind-fused")).toHaveCount(0);
  await expect(page.locator('svg.graph g.node[data-op="softmax"]')).toHaveCount(1);
});

test("the gradient code and the derivation link each line to its .nn line, both ways", async ({
  page,
}) => {
  await open(page, "models/xor.nn", "code");
  const code = page.getByRole("region", { name: "gradient code" });
  const math = page.getByRole("region", { name: "derivation" });
  await expect(code).toContainText("function $grad($feed)");
  await expect(math).toContainText("d_loss = 1");
  const linked = page.locator(".cm-line.cm-linked");

  // a line of the generated code: its .nn line lights up in the editor
  await code.locator('.ln[data-line="5"]').first().hover();
  await expect(linked).toHaveCount(1);
  await expect(linked).toContainText("h = x |> dense(4) |> sigmoid");
  await code.locator('.ln[data-line="6"]').first().hover();
  await expect(linked).toContainText("p = h |> dense(1) |> sigmoid");
  // an equation of the derivation
  await math.locator('.ln[data-line="8"]').first().hover();
  await expect(linked).toContainText("loss = mean(bce(p, y))");
  await page.locator("h1").hover();
  await expect(linked).toHaveCount(0);

  // and back: a line of the editor lights up its code and its equations, and only those
  await page.locator(".cm-content .cm-line").nth(4).hover();
  const lit = page.locator("#panel-code .ln.linked");
  await expect(lit.first()).toBeVisible();
  expect(await lit.count()).toBe(await page.locator('#panel-code .ln[data-line="5"]').count());
  expect(await code.locator(".ln.linked").count()).toBeGreaterThan(0);
  expect(await math.locator(".ln.linked").count()).toBeGreaterThan(0);
});
