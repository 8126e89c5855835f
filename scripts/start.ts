// `npm start`: compile models/mnist.nn to build/mnist.js, train it on the MNIST digits with a
// progress bar, and end with the test accuracy and where the generated code is.
import { readFileSync } from "node:fs";
import { writeOutput, writeOutputs } from "../src/train/outputs.ts";
import { compile } from "../src/index.ts";
import { loadData } from "../src/train/load.ts";
import { Trainer } from "../src/train/trainer.ts";
import { progressHooks } from "../src/train/progress.ts";
import { terminalCurve } from "../src/train/curve.ts";
import { saveWeights } from "../src/train/files.ts";
import { trainingChart } from "../src/train/charts.ts";

const file = "models/mnist.nn";
const epochs = 10;
const batch = 32;
const seed = 1;

const compiled = compile(readFileSync(file, "utf8"), { file });
writeOutputs([
  { path: "build/mnist.js", what: "the module", data: compiled.js },
  { path: "build/mnist.d.ts", what: "its declarations", data: compiled.dts },
  { path: "build/mnist.grad.js", what: "its gradient code", data: compiled.gradSource },
]);
console.log(`compiled ${file} -> build/mnist.js (and build/mnist.d.ts)`);

// training runs as `nnc train` runs it: on the wasm target where the model gains from it
const training = compile(readFileSync(file, "utf8"), { file, target: "auto" });
const { train, test, note } = loadData("mnist", compiled.model);
const o = compiled.model.optimizer;
console.log(
  `training on ${note}: ${epochs} epochs, batches of ${batch}, ${o.kind} lr ${o.lr}` +
    `${(o.decay ?? 1) !== 1 ? ` (x${o.decay} per epoch)` : ""}, seed ${seed}, ` +
    `on the ${training.target === "wasm" ? "wasm target (WebAssembly SIMD)" : "JS target"}`,
);
const trainer = new Trainer(training, train, test, { epochs, batch, seed });
const history = trainer.run(progressHooks(epochs, (line) => console.log(line)));
console.log(
  `\ntraining loss per step\n${terminalCurve(history.steps, { x: `${history.steps.length} steps` })}`,
);
saveWeights("build/mnist.safetensors", compiled.model, trainer.model);
writeOutput("build/mnist.svg", trainingChart(history, `${compiled.model.name} on MNIST`));

const last = history.epochs[history.epochs.length - 1]!;
console.log(`
test accuracy ${(100 * (last.testAccuracy ?? NaN)).toFixed(2)}% on the ${test.n} held-out digits after ${epochs} epochs (${history.seconds.toFixed(1)} s of training)

generated module:   build/mnist.js (types: build/mnist.d.ts)
its gradient code:  build/mnist.grad.js (or: npx nnc grad ${file})
trained weights:    build/mnist.safetensors (npx nnc eval ${file} --load build/mnist.safetensors --data mnist)
loss and accuracy:  build/mnist.svg
the same from the command line: npx nnc train ${file} --data mnist --epochs ${epochs} --batch ${batch}`);
