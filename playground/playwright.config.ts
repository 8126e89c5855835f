// `npm run test:e2e`: the built site (playground/dist/, served by `vite preview`) in Debian's
// Chromium, driven by Playwright. Playwright's own browser download cannot run here (no network
// but the registries), so the tests launch /usr/bin/chromium; CI installs it when missing.
import { defineConfig } from "@playwright/test";
import { fileURLToPath } from "node:url";

const port = 4173;
const root = fileURLToPath(new URL("..", import.meta.url));

export default defineConfig({
  testDir: "./e2e",
  outputDir: "./test-results/artifacts",
  // training tests share two cores: one at a time, each with room to train
  workers: 1,
  fullyParallel: false,
  timeout: 120_000,
  expect: { timeout: 20_000 },
  retries: 0,
  reporter: [["list"]],
  use: {
    baseURL: `http://127.0.0.1:${port}/`,
    viewport: { width: 1280, height: 800 },
    browserName: "chromium",
    launchOptions: {
      // as root, Chromium needs --no-sandbox (Playwright adds it when the sandbox is off)
      chromiumSandbox: false,
      executablePath: process.env["CHROMIUM"] ?? "/usr/bin/chromium",
      args: [
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
  webServer: {
    command: `npx vite preview --config playground/vite.config.ts --host 127.0.0.1 --port ${port} --strictPort`,
    cwd: root,
    url: `http://127.0.0.1:${port}/`,
    reuseExistingServer: false,
    timeout: 60_000,
  },
});
