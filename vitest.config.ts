import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // a shared, busy machine can make a compile-heavy test slow; correctness is what tests check
    testTimeout: 30_000,
  },
});
