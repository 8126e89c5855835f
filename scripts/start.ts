// `npm start`: compile models/xor.nn to build/xor.js, train it on the four XOR points, and show
// where the generated code is.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { resolve } from "node:path";
import { compile } from "../src/index.ts";
import { formatJs, formatTs } from "../src/cli/format.ts";

const file = "models/xor.nn";
const compiled = compile(readFileSync(file, "utf8"), { file });
mkdirSync("build", { recursive: true });
writeFileSync("build/xor.js", await formatJs(compiled.js));
writeFileSync("build/xor.d.ts", await formatTs(compiled.dts));
console.log(`compiled ${file} -> build/xor.js (and build/xor.d.ts)`);

const { createModel } = await import(pathToFileURL(resolve("build/xor.js")).href);
const m = createModel({ seed: 1 });
const x = Float32Array.of(0, 0, 0, 1, 1, 0, 1, 1);
const y = Float32Array.of(0, 1, 1, 0);
for (let step = 0; step <= 2000; step++) {
  const loss = m.trainStep({ x, y });
  if (step % 400 === 0) console.log(`step ${String(step).padStart(4)}  loss ${loss.toFixed(5)}`);
}
const { p } = m.forward({ x });
for (let i = 0; i < 4; i++)
  console.log(`  xor(${x[2 * i]}, ${x[2 * i + 1]}) = ${p[i].toFixed(3)}  (want ${y[i]})`);
console.log(`
The generated module is build/xor.js; its gradient code:  npx nnc grad ${file}
Every node's value and gradient at a point:              npx nnc trace models/neuron.nn --at x0=-1,x1=-2`);
