// Writes playground/public/digits.nncd: the MNIST digits of `nnc train --data mnist` (the
// `mnist` package's, split 8,000 / 2,000 as the CLI splits them) in the compact form the page
// reads (playground/src/digits.ts), gzipped (its name does not end in .gz, so that no server sends it
// as `Content-Encoding: gzip`). It is generated at build time, not committed; an existing
// file is kept unless it is stale (another format version) or --force is given.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { gunzipSync, gzipSync } from "node:zlib";
import { mnist } from "../../src/node.ts";
import { decodeDigits, encodeDigits } from "../src/digits.ts";

const out = new URL("../public/digits.nncd", import.meta.url);

function current(): boolean {
  if (!existsSync(out)) return false;
  try {
    const d = decodeDigits(gunzipSync(readFileSync(out)));
    return d.train.rows === 8000 && d.test.rows === 2000;
  } catch {
    return false;
  }
}

if (process.argv.includes("--force") || !current()) {
  const start = performance.now();
  const bytes = gzipSync(encodeDigits(mnist()), { level: 9 });
  mkdirSync(new URL(".", out), { recursive: true });
  writeFileSync(out, bytes);
  const kb = (bytes.length / 1024).toFixed(0);
  console.log(
    `wrote ${out.pathname}: ${kb} kB (${((performance.now() - start) / 1000).toFixed(1)} s)`,
  );
}
