// `nnc --version`: the version in the package.json of the package this code runs from (the same
// relative path from src/cli/ in a checkout and from dist/cli/ in the installed package).
import { readFileSync } from "node:fs";

export function packageVersion(): string {
  const url = new URL("../../package.json", import.meta.url);
  return (JSON.parse(readFileSync(url, "utf8")) as { version: string }).version;
}
