// The loss chart's tick labels as it drew them (its box's data-ticks), measured in its font.
import { expect } from "./fixtures.ts";
import type { Page } from "@playwright/test";

/** The tick labels the loss chart drew, with their widths in its font. */
export async function ticks(page: Page) {
  return page.locator(".loss-chart").evaluate((box) => {
    const drawn = JSON.parse(box.dataset["ticks"] ?? '{"x":[],"y":[]}') as Record<
      "x" | "y",
      { text: string; at: number }[]
    >;
    const ctx = document.createElement("canvas").getContext("2d")!;
    ctx.font = '12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
    const measure = (l: { text: string; at: number }[]) =>
      l.map((t) => ({ ...t, width: ctx.measureText(t.text).width }));
    return { x: measure(drawn.x), y: measure(drawn.y) };
  });
}

/** No two tick labels of the chart overlap (along x by their widths, along y by their height). */
export async function expectTicksApart(page: Page): Promise<void> {
  const { x, y } = await ticks(page);
  expect(x.length).toBeGreaterThanOrEqual(2);
  expect(y.length).toBeGreaterThanOrEqual(2);
  const byX = [...x].sort((a, b) => a.at - b.at);
  for (let i = 1; i < byX.length; i++)
    expect(byX[i]!.at - byX[i - 1]!.at).toBeGreaterThan((byX[i]!.width + byX[i - 1]!.width) / 2);
  const byY = [...y].sort((a, b) => a.at - b.at);
  for (let i = 1; i < byY.length; i++) expect(byY[i]!.at - byY[i - 1]!.at).toBeGreaterThan(12);
}
