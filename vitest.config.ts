// `npm test`: every test but the package's (test/package/: pack, install, use; 40 s of CPU time,
// two minutes on a busy two-core machine), which `npm run test:package` and CI run.
import { configDefaults, defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    exclude: [...configDefaults.exclude, "test/package/**"],
    // the machine running the tests may be busy: a slow test is not a failing one
    testTimeout: 30_000,
  },
});
