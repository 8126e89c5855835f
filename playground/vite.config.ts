// The playground: a static site (no server code) that runs the compiler in the page and trains in
// Web Workers. `npm run playground` serves it, `npm run build:playground` writes playground/dist/.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

// Cross-origin isolation lets the wasm target share its memory (a SharedArrayBuffer); the page
// works without it too, as on a static host that cannot send headers.
const isolation = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
};

export default defineConfig({
  root: here("."),
  // relative links: the built site works from any folder, or from a file server
  base: "./",
  resolve: {
    // the compiler through its package entry, from the sources of this checkout
    alias: [{ find: /^nnc$/, replacement: here("../src/index.ts") }],
  },
  server: { headers: isolation, fs: { allow: [here("..")] } },
  preview: { headers: isolation },
  worker: { format: "es" },
  build: { outDir: here("dist"), emptyOutDir: true, target: "es2022", chunkSizeWarningLimit: 1000 },
});
