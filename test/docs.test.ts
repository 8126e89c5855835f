// The documentation as a reader meets it: README is a map of at most 250 lines, every page under
// docs/ opens with its table of contents and is listed in docs/README.md, every relative link and
// anchor of README and docs/ resolves, the generated parts are what `npm run docs` writes, and
// every command of README's ```sh blocks runs (a block marked ```sh long is left to CI's own jobs).
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { generated } from "../scripts/docs.ts";
import { DOCS, headings, markdownFiles, read, ROOT } from "../scripts/docs/pages.ts";

const root = fileURLToPath(ROOT);
const name = (url: URL) => fileURLToPath(url).slice(root.length);

/** The text of a Markdown file with its code (fenced and inline) blanked out. */
function prose(md: string): string {
  return md.replace(/^\s*```[^\n]*\n[\s\S]*?^\s*```\s*$/gm, "").replace(/`[^`\n]*`/g, "");
}

/** Every link target of a Markdown text: [text](target), ![alt](target) and <img src="target">. */
export function links(md: string): string[] {
  const text = prose(md);
  const out: string[] = [];
  for (const m of text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) out.push(m[1]!);
  for (const m of text.matchAll(/<img[^>]*\ssrc="([^"]+)"/g)) out.push(m[1]!);
  return out;
}

/** The ```sh blocks of a Markdown text (not ```sh long), as their command lines. */
export function shCommands(md: string): string[] {
  const out: string[] = [];
  for (const m of md.matchAll(/^```sh[ \t]*\n([\s\S]*?)^```/gm)) {
    for (const line of m[1]!.split("\n")) {
      const command = line.replace(/\s+#.*$/, "").trim();
      if (command !== "" && !command.startsWith("#")) out.push(command);
    }
  }
  return out;
}

describe("the documentation", () => {
  const files = markdownFiles();
  const pages = files.filter((f) => f.href.startsWith(DOCS.href));

  it("README is a map: at most 250 lines, linking every page of docs/", () => {
    const readme = read(new URL("README.md", ROOT));
    expect(readme.split("\n").length).toBeLessThanOrEqual(250);
    expect(links(readme)).toContain("docs/README.md");
    const index = links(read(new URL("README.md", DOCS)));
    const listed = pages.map(name).filter((p) => p !== "docs/README.md");
    expect(listed.filter((p) => !index.includes(p.slice("docs/".length)))).toEqual([]);
  });

  it.each(pages.map((p) => [name(p), p] as const))(
    "%s opens with its table of contents",
    (_, url) => {
      const md = read(url);
      const toc = md.indexOf("<!-- toc:start -->");
      expect(toc, "a toc:start marker").toBeGreaterThan(0);
      const first = md.split("\n").findIndex((l) => l.startsWith("## "));
      if (first >= 0) expect(toc).toBeLessThan(md.split("\n").slice(0, first).join("\n").length);
    },
  );

  it.each(files.map((f) => [name(f), f] as const))(
    "%s: every relative link and anchor resolves",
    (_, url) => {
      const bad: string[] = [];
      const here = fileURLToPath(url);
      for (const target of links(read(url))) {
        if (/^[a-z]+:/i.test(target)) continue; // http:, https:, mailto:
        const [path, anchor] = target.split("#") as [string, string | undefined];
        const file = path === "" ? here : resolve(dirname(here), decodeURIComponent(path));
        if (!existsSync(file)) {
          bad.push(`${target}: no file ${file.slice(root.length)}`);
          continue;
        }
        if (anchor !== undefined && file.endsWith(".md")) {
          const anchors = headings(read(new URL(`file://${file}`))).map((h) => h.anchor);
          if (!anchors.includes(anchor)) bad.push(`${target}: no heading #${anchor}`);
        }
      }
      expect(bad).toEqual([]);
    },
  );

  it("the generated parts (tables of contents, docs/cli.md) are what `npm run docs` writes", async () => {
    const stale: string[] = [];
    for (const [url, text] of await generated()) if (read(url) !== text) stale.push(name(url));
    expect(stale, "run `npm run docs`").toEqual([]);
  }, 60_000);
});

describe("README's commands", () => {
  const readme = read(new URL("README.md", ROOT));
  const commands = shCommands(readme);
  const dir = mkdtempSync(join(tmpdir(), "nnc-readme-"));
  for (const d of ["models", "data"]) symlinkSync(join(root, d), join(dir, d));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("are there to run", () => {
    expect(commands.length).toBeGreaterThanOrEqual(8);
    expect(commands.every((c) => c.startsWith("npx nnc "))).toBe(true);
  });

  // In order: a later command reads what an earlier one wrote (train --save, then eval --load).
  it.each(commands.map((c) => [c]))(
    "%s",
    (command) => {
      const args = command.slice("npx nnc ".length).split(/\s+/);
      expect(() =>
        execFileSync(process.execPath, [join(root, "bin/nnc.js"), ...args], {
          cwd: dir,
          stdio: "pipe",
          timeout: 120_000,
        }),
      ).not.toThrow();
    },
    150_000,
  );
});
