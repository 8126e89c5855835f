import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // the machine running the tests may be busy: a slow test is not a failing one
    testTimeout: 30_000,
  },
});
