// `npm run test:package`: the package as a user gets it (test/package/package.test.ts).
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/package/*.test.ts"],
  },
});
