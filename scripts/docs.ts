// `npm run docs`: rewrites the documentation's generated parts (scripts/docs/pages.ts): every
// page's table of contents and docs/cli.md from the commands' --help. `--check` writes nothing and
// exits with 1 when a file is not what it would write.
import { writeFileSync } from "node:fs";
import prettier from "prettier";
import { cliPage, DOCS, markdownFiles, read, withToc } from "./docs/pages.ts";

async function format(md: string, url: URL): Promise<string> {
  const config = (await prettier.resolveConfig(url)) ?? {};
  return prettier.format(md, { ...config, parser: "markdown" });
}

/** Each generated file with the text it should hold. */
export async function generated(): Promise<Map<URL, string>> {
  const out = new Map<URL, string>();
  const cli = new URL("cli.md", DOCS);
  out.set(cli, await format(cliPage(), cli));
  for (const url of markdownFiles()) {
    if (url.href === cli.href) continue;
    out.set(url, await format(withToc(read(url)), url));
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const check = process.argv.includes("--check");
  let stale = 0;
  for (const [url, text] of await generated()) {
    let now = "";
    try {
      now = read(url);
    } catch {
      // a page not written yet
    }
    if (now === text) continue;
    stale++;
    if (check) console.log(`stale: ${url.pathname}`);
    else writeFileSync(url, text);
  }
  console.log(check ? `${stale} stale file(s)` : `wrote ${stale} file(s)`);
  process.exitCode = check && stale > 0 ? 1 : 0;
}
