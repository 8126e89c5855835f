// `npm run walkthrough`: writes docs/BACKPROP.md, backprop through models/mnist.nn line by line,
// from the compiler's real output (`nnc grad --math`, `nnc grad`, `nnc grad --kernels`) with a
// paragraph for each line of the model, and docs/GPT-BACKWARD.md (./gpt-backward.ts). A test
// checks that the pages match the compiler.
import { readFileSync } from "node:fs";
import { writeOutput } from "../src/train/outputs.ts";
import { fileURLToPath } from "node:url";
import * as prettier from "prettier";
import { compile } from "../src/index.ts";
import { formatDerivation } from "../src/codegen/index.ts";
import { withToc } from "./docs/pages.ts";
import { gptBackward } from "./gpt-backward.ts";

const FILE = "models/mnist.nn";

/** What each line of the model teaches, by the name it defines. */
const prose: Record<string, string> = {
  p:
    "The gradient needs the probabilities `p = softmax(z)`, which the loss itself never formed: " +
    "fused with cross-entropy, the loss was computed from the logits with log-sum-exp. So `p` is " +
    "computed here, once, for the gradient.",
  loss:
    "Backpropagation starts at `d_loss = 1`. The `mean` over the batch hands each example " +
    "`1 / batch` of it, and cross-entropy of a softmax, fused into one node, has the closed-form " +
    "gradient `p - y` per example: nothing to divide by `p`, no `exp` to differentiate. `y_sum` is 1 " +
    "for one-hot targets; keeping it makes the rule exact for any target distribution.",
  z:
    "A dense layer `z = h @ W + b`. The bias was broadcast over the batch, so its gradient sums " +
    "`d_z` over the batch; the weights' gradient is `transpose(h) @ d_z`, and the gradient that " +
    "flows back to `h` is `d_z @ transpose(W)`. Each product is a kernel of its own: `matmul_tn` " +
    "reads its left side transposed and `matmul_nt` its right side, so no transpose is ever copied.",
  h:
    "The first line does five things, and backprop undoes them in reverse. The second dropout's " +
    "mask multiplies the gradient as it multiplied the value; relu lets the gradient through where " +
    "its output is positive, which is where its input was (`step(h_relu)`). Batchnorm's `gamma` and `beta` get sums over the batch; " +
    "its input gradient is the three-term formula, because the batch mean and variance depend on " +
    "every example, which the two sums account for. Then the dense layer, as for `z`. The first " +
    "dropout acts on the data `x`, which needs no gradient, so backprop stops there.",
};

/** The statements of `nnc grad` grouped under their `// line N:` comments. */
function groups(code: string): { line: number; text: string; body: string[] }[] {
  const out: { line: number; text: string; body: string[] }[] = [];
  for (const l of code.split("\n")) {
    const m = /^ {2}\/\/ line (\d+): (.*)$/.exec(l);
    if (m) out.push({ line: Number(m[1]), text: m[2]!, body: [] });
    else if (out.length > 0 && /^ {2}(\/\/ {3}|\$|const )/.test(l))
      out[out.length - 1]!.body.push(l.slice(2));
  }
  return out;
}

/** The page, formatted as the repository formats Markdown. */
export async function walkthrough(): Promise<string> {
  const style = (await prettier.resolveConfig("docs/BACKPROP.md")) ?? {};
  return prettier.format(withToc(page()), { ...style, parser: "markdown" });
}

function page(): string {
  const source = readFileSync(FILE, "utf8");
  const c = compile(source, { file: FILE });
  const code = c.gradCode({});
  const kernels = c.gradCode({ kernels: true }).split("\n");
  const tn = kernels.findIndex((l) => l.startsWith("function $matmul_tn_784"));
  const kernel = kernels.slice(tn - 1, kernels.indexOf("}", tn) + 1);
  const sections = groups(code).flatMap((g) => {
    const name = /^\s*(\w+)\s*=/.exec(g.text)?.[1] ?? "";
    return [
      `### Line ${g.line}: \`${g.text}\``,
      "",
      prose[name] ?? "",
      "",
      "```js",
      ...g.body,
      "```",
      "",
    ];
  });
  return [
    "# Backprop through mnist.nn, line by line",
    "",
    "This page is written by `npm run walkthrough` from the compiler's own output for " +
      `\`${FILE}\`; a test fails when the two differ. It follows the gradient from the loss back to ` +
      "the first layer's weights, as a lecture would on the board, and shows the code that runs.",
    "",
    "<!-- toc:start -->",
    "<!-- toc:end -->",
    "",
    "```",
    source.trimEnd(),
    "```",
    "",
    "## The derivation",
    "",
    `\`npx nnc grad ${FILE} --math\` prints the backward pass as \`.nn\` equations in the source's ` +
      "names, one a line, with the line of the model each comes from:",
    "",
    "```",
    ...formatDerivation(c.derivation),
    "```",
    "",
    "## The code, line by line",
    "",
    `\`npx nnc grad ${FILE}\` prints the code that runs, the backward pass only (\`--forward\` adds ` +
      "the forward pass). Each statement sits under the model's line it differentiates, with its " +
      "math; names that start with `$` are the compiler's own (kernels and helpers), every other " +
      "name comes from the source. `n_batch` is the batch size, read from the data at each call.",
    "",
    ...sections,
    "## A kernel",
    "",
    "`--kernels` prints the kernels' bodies. The weights' gradient of the first layer, " +
      "`transpose(x_dropped) @ d_h_pre`, reads `x_dropped` transposed in place and keeps a block of " +
      "2x4 sums in locals while k runs innermost; `--plain` prints the same product as three plain " +
      "loops, with the same results.",
    "",
    "```js",
    ...kernel,
    "```",
    "",
  ].join("\n");
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeOutput("docs/BACKPROP.md", await walkthrough());
  console.log("wrote docs/BACKPROP.md");
  writeOutput("docs/GPT-BACKWARD.md", await gptBackward());
  console.log("wrote docs/GPT-BACKWARD.md");
}
