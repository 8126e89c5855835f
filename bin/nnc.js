#!/usr/bin/env node
// The nnc command. Installed from the package, it runs the built JavaScript in dist/. In a
// checkout of the repository (src/ is there; the package does not ship it) it runs the TypeScript
// sources through tsx, so that it never runs a build older than the sources.
import { existsSync } from "node:fs";

async function tsxLoader() {
  try {
    const { register } = await import("tsx/esm/api");
    register();
    return true;
  } catch {
    return false; // a checkout installed without its devDependencies: the build it made
  }
}

const checkout = existsSync(new URL("../src/cli/main.ts", import.meta.url));
const cli =
  checkout && (await tsxLoader())
    ? await import("../src/cli/main.ts")
    : await import("../dist/cli/main.js");
// a reader that stops early (`nnc predict ... | head`) closes the pipe: nnc stops quietly, as cat
// does, with what it was writing left unread (files it writes are written whole before)
for (const stream of [process.stdout, process.stderr])
  stream.on("error", (e) => {
    if (e.code !== "EPIPE") throw e;
    process.exit(0);
  });
process.exitCode = await cli.main(process.argv.slice(2));
