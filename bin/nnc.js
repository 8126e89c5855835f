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
process.exitCode = await cli.main(process.argv.slice(2));
