// The documentation's generated parts, one function each: a page's table of contents (from its
// headings, between `<!-- toc:start -->` and `<!-- toc:end -->`) and docs/cli.md (from each
// command's own --help). `npm run docs` writes them; test/docs.test.ts checks that the files in
// the repository are what it would write, and that every link and anchor resolves.
import { readdirSync, readFileSync } from "node:fs";
import { commands, help } from "../../src/cli/main.ts";

export const DOCS = new URL("../../docs/", import.meta.url);
export const ROOT = new URL("../../", import.meta.url);

/** The anchor GitHub gives a heading: lowercased, punctuation dropped, spaces to hyphens. */
export function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/`/g, "")
    .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

export interface Heading {
  level: number;
  text: string;
  anchor: string;
}

/** The headings of a Markdown text outside code fences, with anchors made unique as GitHub does. */
export function headings(md: string): Heading[] {
  const out: Heading[] = [];
  const seen = new Map<string, number>();
  let fence = false;
  for (const line of md.split("\n")) {
    if (/^\s*```/.test(line)) fence = !fence;
    const m = fence ? null : /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const base = slug(m[2]!);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.push({ level: m[1]!.length, text: m[2]!, anchor: n === 0 ? base : `${base}-${n}` });
  }
  return out;
}

const TOC_START = "<!-- toc:start -->";
const TOC_END = "<!-- toc:end -->";

/** The page with its table of contents (levels 2 and 3) rewritten between the markers. */
export function withToc(md: string): string {
  const start = md.indexOf(TOC_START);
  const end = md.indexOf(TOC_END);
  if (start < 0 || end < start) return md;
  const list = headings(md)
    .filter((h) => h.level === 2 || h.level === 3)
    .map((h) => `${h.level === 3 ? "  " : ""}- [${h.text.replace(/\[|\]/g, "")}](#${h.anchor})`);
  const block = `${TOC_START}\n\n**Contents**\n\n${list.join("\n")}\n\n${TOC_END}`;
  return md.slice(0, start) + block + md.slice(end + TOC_END.length);
}

/** docs/cli.md: every command's --help, as the commands print it. */
export function cliPage(): string {
  const parts = [
    "# The command line",
    "",
    "[nnc](../README.md) › [docs](README.md) › The command line",
    "",
    "Generated from each command's `--help` by `npm run docs`; `nnc COMMAND --help` prints the",
    "same. A flag a command does not take is answered with the nearest one it does, and a flag",
    "without its value says so; both exit with code 1. Errors are listed in [errors.md](errors.md).",
    "",
    TOC_START,
    TOC_END,
    "",
    "## nnc",
    "",
    "```text",
    help(),
    "```",
  ];
  for (const c of commands) {
    parts.push("", `## nnc ${c.name}`, "", c.summary[0]!.toUpperCase() + c.summary.slice(1) + ".");
    parts.push("", "```text", c.usage.trimEnd(), "```");
  }
  return withToc(parts.join("\n") + "\n");
}

/** The Markdown files of the documentation: README.md and every page under docs/. */
export function markdownFiles(): URL[] {
  const pages = readdirSync(DOCS)
    .filter((f) => f.endsWith(".md"))
    .sort()
    .map((f) => new URL(f, DOCS));
  return [new URL("README.md", ROOT), ...pages];
}

export function read(url: URL): string {
  return readFileSync(url, "utf8");
}
