// `npm test`: every test but the package's (test/package/: pack, install, use; 40 s of CPU time,
// two minutes on a busy two-core machine), which `npm run test:package` and CI run, and the
// playground's browser tests (playground/e2e/, Playwright: `npm run test:e2e`).
import { fileURLToPath } from "node:url";
import { configDefaults, defineConfig } from "vitest/config";

export default defineConfig({
  // the playground's modules import the compiler by its package name: these sources
  resolve: {
    alias: [
      { find: /^nnc$/, replacement: fileURLToPath(new URL("./src/index.ts", import.meta.url)) },
    ],
  },
  test: {
    exclude: [...configDefaults.exclude, "test/package/**", "playground/e2e/**"],
    // the machine running the tests may be busy: a slow test is not a failing one
    testTimeout: 30_000,
  },
});
