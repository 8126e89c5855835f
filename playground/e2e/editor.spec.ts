// The editor: live diagnostics underlined at their line and column with the message on hover,
// Ctrl+Enter to compile, and the source in the URL.
import { readdirSync, readFileSync } from "node:fs";
import { expect, open, test } from "./fixtures.ts";
import type { Page } from "@playwright/test";

const xor = readFileSync(new URL("../../models/xor.nn", import.meta.url), "utf8");

/** Replaces the editor's text as a paste would. */
async function replaceSource(page: Page, text: string): Promise<void> {
  await page.locator(".cm-content").click();
  await page.keyboard.press("ControlOrMeta+a");
  await page.keyboard.insertText(text);
}

/** The editor's lines as text. */
const editorLines = (page: Page) => page.locator(".cm-content .cm-line").allTextContents();

test("a typo shows its diagnostic at its line, underlined, with the message on hover", async ({
  page,
}) => {
  await open(page, "models/xor.nn", "graph");
  await replaceSource(page, xor.replace("|> dense(1) |> sigmoid", "|> dense(1) |> sigmod"));
  const item = page.locator("#diagnostics li");
  await expect(item).toHaveCount(1);
  await expect(item).toHaveAttribute("data-line", "6");
  await expect(item).toContainText("models/xor.nn:6:24: error NN2003");
  await expect(item).toContainText("unknown function `sigmod` (did you mean `sigmoid`?)");
  // the underline covers the misspelt word, on line 6
  const underline = page.locator(".cm-lintRange-error");
  await expect(underline).toHaveText("sigmod");
  const line6 = page.locator(".cm-content .cm-line").nth(5);
  await expect(line6.locator(".cm-lintRange-error")).toHaveCount(1);
  await expect(page.locator(".cm-gutter-lint .cm-lint-marker-error")).toHaveCount(1);
  await underline.hover();
  await expect(page.locator(".cm-tooltip-lint")).toContainText("did you mean `sigmoid`?");
  // the views wait for a source that compiles (Ctrl+Enter): the page says why
  await page.locator(".cm-content").press("ControlOrMeta+Enter");
  await expect(page.locator("#status")).toHaveText("1 error");
  await expect(page.locator("#panel-graph")).toContainText("The source has errors");
  // fixed: the list empties
  await replaceSource(page, xor);
  await expect(item).toHaveCount(0);
  await expect(page.locator(".cm-lintRange-error")).toHaveCount(0);
});

test("the views follow the source as it is typed, after a pause; Ctrl+Enter at once", async ({
  page,
}) => {
  await open(page, "models/xor.nn", "graph");
  const hW = page.locator('svg.graph g.node[data-op="param"]', { hasText: "h.W" });
  await expect(hW.locator("title")).toContainText("shape [2, 4]");
  // typed, key by key: the graph is redrawn once typing pauses, without Compile
  await page.locator(".cm-content").click();
  await page.keyboard.press("ControlOrMeta+Home");
  const line4 = page.locator(".cm-content .cm-line").nth(3);
  await line4.click();
  await page.keyboard.press("End");
  await page.keyboard.type("\n  q = x |> dense(3)");
  await expect(page.locator("#status")).toContainText("compiled xor");
  await expect(hW.locator("title")).toContainText("shape [2, 4]");
  await replaceSource(page, xor.replace("x |> dense(4)", "x |> dense(8)"));
  await expect(hW.locator("title")).toContainText("shape [2, 8]");
  // every tab follows: the Train tab sets up the typed model
  await page.getByRole("tab", { name: "Train" }).click();
  await expect(page.locator("#panel-train .controls .hint")).toContainText("in a Web Worker");
  await replaceSource(page, xor.replace("lr: 0.5", "lr: 0.25"));
  await expect(page.getByLabel("learning rate")).toHaveValue("0.25");
  // a source with an error: the views say so (none shows the model before), and Ctrl+Enter
  await replaceSource(page, xor.replace("dense(4)", "dense(4"));
  await expect(page.locator("#panel-train")).toContainText("The source has errors");
  await replaceSource(page, xor.replace("x |> dense(4)", "x |> dense(5)"));
  await page.locator(".cm-content").press("ControlOrMeta+Enter");
  await expect(page.locator("#status")).toContainText("compiled xor");
  await page.getByRole("tab", { name: "Graph" }).click();
  await expect(hW.locator("title")).toContainText("shape [2, 5]");
});

test("the URL holds the source, so that a link opens the same page", async ({ page, context }) => {
  await open(page, "models/xor.nn", "graph");
  // an unchanged file of models/ is named, not held
  await expect(page).toHaveURL(/#file=models%2Fxor\.nn&tab=graph$/);
  const edited = xor.replace("lr: 0.5", "lr: 0.25").replace("dense(4)", "dense(6)");
  await replaceSource(page, edited);
  await page.getByRole("tab", { name: "Gradient code" }).click();
  await expect(page).toHaveURL(/#z=[A-Za-z0-9_-]+&file=models%2Fxor\.nn&tab=code$/);
  const link = page.url();
  const other = await context.newPage();
  await other.goto(link);
  await expect(other.locator("body[data-ready=true]")).toBeAttached();
  expect((await editorLines(other)).join("\n")).toBe(edited);
  await expect(other.getByRole("tab", { name: "Gradient code" })).toHaveAttribute(
    "aria-selected",
    "true",
  );
  await expect(other.locator("#status")).toContainText("compiled xor");
  await expect(other.locator("#file")).toHaveClass(/edited/);
  await other.close();
  // a link pasted over the page's own (only the hash changes) opens too
  await page.goto("./#file=models/neuron.nn&tab=circuit");
  await expect(page.locator("#file")).toHaveValue("models/neuron.nn");
  await expect(page.locator('g.wire-label[data-from-name="f"] text.value')).toHaveText("0.73");
});

test("the picker holds every model of models/, and the models of a file", async ({ page }) => {
  const files = (dir: string): string[] =>
    readdirSync(new URL(`../../${dir}`, import.meta.url), { withFileTypes: true }).flatMap((e) =>
      e.isDirectory()
        ? files(`${dir}/${e.name}`)
        : e.name.endsWith(".nn")
          ? [`${dir}/${e.name}`]
          : [],
    );
  await open(page, "models/xor.nn", "graph");
  const options = await page
    .locator("#file option")
    .evaluateAll((l) => l.map((o) => (o as HTMLOptionElement).value));
  expect(options.sort()).toEqual(files("models").sort());
  await page.locator("#file").selectOption("models/spiral.nn");
  await expect(page.locator("#status")).toContainText("compiled spiral");
  await expect(page.locator("#model option")).toHaveText(["spiral", "linear"]);
  expect((await editorLines(page)).join("\n")).toBe(
    readFileSync(new URL("../../models/spiral.nn", import.meta.url), "utf8"),
  );
  await page.locator("#model").selectOption("linear");
  await expect(page.locator("#status")).toContainText("compiled linear");
  await expect(page).toHaveURL(/#file=models%2Fspiral\.nn&model=linear&tab=graph$/);
});
