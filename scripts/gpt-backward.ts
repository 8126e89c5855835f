// Writes docs/GPT-BACKWARD.md (with `npm run walkthrough`): the backward pass of models/gpt.nn as
// `nnc grad --math` prints it, cut into the pieces llm.c writes by hand as backward functions, each
// piece beside what that function computes. The equations are the compiler's real output, taken
// from it by pattern: a change that moves them makes this script fail, and the test that compares
// the page with the script's output fails until the page is written again.
import { readFileSync } from "node:fs";
import * as prettier from "prettier";
import { compile } from "../src/index.ts";
import { formatDerivation } from "../src/codegen/index.ts";
import { withToc } from "./docs/pages.ts";

const FILE = "models/gpt.nn";

/** The lines of `printout` from the first that matches `from` through the next matching `to`. */
function piece(printout: string[], from: RegExp, to: RegExp = from): string[] {
  const i = printout.findIndex((l) => from.test(l));
  const j = printout.findIndex((l, k) => k >= i && to.test(l));
  if (i < 0 || j < 0) throw new Error(`${FILE}: no lines ${from} ... ${to} in nnc grad --math`);
  // the equations alone: the full printout above has their comments
  return printout.slice(i, j + 1).map((l) => l.split("  # ")[0]!.trimEnd());
}

const block = (lines: string[]) => ["```", ...lines, "```"].join("\n");

/** One step of the backward pass: llm.c's function, what it computes, nnc's equations for it. */
interface Step {
  title: string;
  llmc: string;
  nnc: string;
  lines: string[];
}

function steps(p: string[]): Step[] {
  return [
    {
      title: "The loss: `crossentropy_softmax_backward`",
      llmc:
        "llm.c starts by filling the gradient of every position's loss with `1 / (B * T)`, the " +
        "mean's share, then walks each position's row of probabilities once: the logit of class " +
        "`i` gets `(p[i] - [i == target]) * dloss`. Softmax and cross-entropy are differentiated " +
        "together, so nothing is divided by a probability.",
      nnc:
        "The same closed form. `loss = mean(cross_entropy(p, next))` was fused into one node on " +
        "the logits; its gradient is `p` scaled by the mean's share, minus that share at each " +
        "position's target class (`one_hot_scaled`). `16 * batch` is `B * T`.",
      lines: piece(p, /^d_loss = 1/, /^d_z = /),
    },
    {
      title: "The tied head: `matmul_backward` with `wte`",
      llmc:
        "The logits are `lnf @ transpose(wte)`: llm.c calls its matmul backward with the token " +
        "embedding as the weight and no bias. It gives `dlnf = dlogits @ wte`, and adds " +
        "`transpose(dlogits) @ lnf`, summed over every position, into `dwte`.",
      nnc:
        "`d_z_ln = d_z @ wte` is the first half here; the second, the head's part of `d_wte`, is " +
        "computed last (see the embedding below), where both parts of `d_wte` meet.",
      lines: piece(p, /^d_z_ln = /),
    },
    {
      title: "The final layernorm: `layernorm_backward`",
      llmc:
        "Per position, from the mean and reciprocal standard deviation the forward pass cached: " +
        "`norm = (x - mean) * rstd`, `dnorm = weight * dout`; the bias gets `dout`, the weight " +
        "`norm * dout`, and the input `rstd * (dnorm - mean(dnorm) - norm * mean(dnorm * norm))`, " +
        "the two means over the row's channels.",
      nnc:
        "The statistics are defined once, by name, and the input's gradient is one fused op, " +
        "`layernorm_dx`, whose comment in the printout gives its closed form: `invstd / D * (D * " +
        "d_xhat - sum(d_xhat) - x_hat * sum(d_xhat * x_hat))` with `d_xhat = d_y * gamma`, which is " +
        "llm.c's expression with its means written as sums over `D` channels.",
      lines: piece(p, /^d_z\.beta = /, /^d_x8 = layernorm_dx/),
    },
    {
      title: "The layers, last first: one loop",
      llmc:
        "`gpt2_backward` runs `for (int l = L-1; l >= 0; l--)` over the layers, with pointers to " +
        "layer `l`'s params, activations and their gradients.",
      nnc:
        "gpt.nn writes its 4 layers as 8 statements, `x1` to `x8`. Their derivations are the same " +
        "up to names, so the printout gives them once, over placeholders: `X` is a layer's input, " +
        "`H` the residual stream after its attention, `Y` after its MLP, and the loop's tuples say " +
        "which statements each pass stands for, last layer first. The test of the printout expands " +
        "the loop and checks that it gives back every equation.",
      lines: piece(p, /^for \(/),
    },
    {
      title: "The MLP: `residual_backward`, `matmul_backward`, `gelu_backward`",
      llmc:
        "`residual_backward` adds the output's gradient into both inputs of `out = inp1 + inp2`. " +
        "The MLP's second matmul gives `dW = transpose(h) @ dout` and `db = sum(dout)` over every " +
        "position, and `dh = dout @ W` (llm.c stores weights as `[out, in]`). `gelu_backward` " +
        "multiplies by GELU's derivative, `0.5 (1 + tanh u) + 0.5 x sech²(u) sqrt(2/π) (1 + 3 * " +
        "0.044715 x²)` with `u = sqrt(2/π) (x + 0.044715 x³)`. Then the first matmul and the " +
        "layernorm, as above.",
      nnc:
        "The residual add has no line of its own: `d_Y` flows unchanged into the MLP's last " +
        "dense layer, and reaches `H` again in `d_H = d_Y + d_H_from_Y_ln`, where the part through " +
        "the MLP is added. nnc's dense layers keep `W` as `[in, out]`, so its products read " +
        "`transpose(Y.mlp_gelu) @ d_Y`, summed over the batch (`sum(..., axis: 0)`), and " +
        "`d_Y @ transpose(W)`. `gelu_deriv` is the same derivative (`1 - t²` is `sech²`).",
      lines: piece(p, /^ {2}d_Y\.mlp\.dense1\.b/, /^ {2}d_H = d_Y/),
    },
    {
      title: "Attention: `matmul_backward`, `attention_backward`",
      llmc:
        "After the output projection's matmul backward, `attention_backward` works per batch, " +
        "position `t` and head, and visits only the positions `t2 <= t` the causal mask let " +
        "through: through the weighted sum of values, `datt[t2] += v[t2] . dout` and " +
        "`dv[t2] += att[t2] * dout`; through the softmax, with its whole Jacobian, " +
        "`dpreatt[t3] += att[t2] * ([t2 == t3] - att[t3]) * datt[t2]`; through `q . k` scaled by " +
        "`1 / sqrt(hs)`, `dq += k[t2] * dpreatt[t2] * scale` and `dk[t2] += q * dpreatt[t2] * " +
        "scale`. One matmul backward then takes `dqkv` through the fused `[3C, C]` projection.",
      nnc:
        "The same steps, in `.nn` notation over whole tensors, after the block's forward values " +
        "they read (the layernorm's statistics, `q`, `k`, `v`, the pattern `a`, its output `o`), " +
        "each defined once. The softmax's Jacobian is summed " +
        "in closed form, `d_s = a * (d_a - sum(d_a * a, axis: -1))` (`a_sum` is the row's sum), " +
        "which is llm.c's double loop: the `[t2 == t3]` term gives `a * d_a`, the other " +
        "`a * sum(d_a * a)`. `causal_mask(..., fill: 0)` gives the masked entries a zero gradient, " +
        "as llm.c's loop bounds do, and `/ 4` is the scale `1 / sqrt(16)`. The products over heads " +
        "are batched `@`; the reshapes and transposes undo the split into heads. gpt.nn projects " +
        "q, k and v with three dense layers, so `d_H_ln` is the sum of their three parts.",
      lines: piece(p, /^ {2}d_H\.attention\.b = /, /^ {2}d_X = d_H/),
    },
    {
      title: "The embeddings: `encoder_backward`",
      llmc:
        "For each position `(b, t)`, the gradient of the first residual stream is added into " +
        "row `inp[b, t]` of `dwte` and row `t` of `dwpe`; a token that occurs several times gets " +
        "the sum. The head's part of `dwte` was already added by its matmul backward, since llm.c " +
        "accumulates (`+=`) into every gradient.",
      nnc:
        "`d_wpe` sums `d_x0` over the batch; `scatter_add` adds each row of `d_x0` into the row " +
        "of `wte` it was read from. The head's part is the gradient of `transpose(wte)` in z's " +
        "statement, `d_z_transpose`, transposed back; nnc writes the sum of the two parts out, " +
        "`d_wte = d_wte_from_z_transpose + d_wte_from_x0_gather`, where llm.c adds in place.",
      lines: piece(p, /^d_wpe = /, /^d_wte = /),
    },
  ];
}

/** The page, formatted as the repository formats Markdown. */
export async function gptBackward(): Promise<string> {
  const style = (await prettier.resolveConfig("docs/GPT-BACKWARD.md")) ?? {};
  return prettier.format(withToc(page()), { ...style, parser: "markdown" });
}

function page(): string {
  const source = readFileSync(FILE, "utf8");
  const printout = formatDerivation(compile(source, { file: FILE }).derivation);
  const all = steps(printout);
  const lines = source.trimEnd().split("\n").length;
  const sections = all.flatMap((s) => [
    `### ${s.title}`,
    "",
    `**llm.c.** ${s.llmc}`,
    "",
    `**nnc.** ${s.nnc}`,
    "",
    block(s.lines),
    "",
  ]);
  return [
    "# The backward pass of gpt.nn, next to llm.c's",
    "",
    `This page is written by \`npm run walkthrough\` from \`nnc grad --math ${FILE}\`; a test ` +
      "fails when the two differ. llm.c (Karpathy's GPT-2 in C) writes the backward pass by " +
      `hand, one function per layer kind; nnc derives it from the ${lines} lines of the model. Each ` +
      "section below says what one of llm.c's functions computes, in words, and shows the " +
      "equations nnc derived for the same step. (llm.c is cited for its math only; none of its " +
      "code is in this repository.)",
    "",
    "<!-- toc:start -->",
    "<!-- toc:end -->",
    "",
    "## The model",
    "",
    "```",
    source.trimEnd(),
    "```",
    "",
    "## The derivation",
    "",
    `\`npx nnc grad --math ${FILE}\` prints ${printout.length} lines: every name is an input, a ` +
      "param, a statement of the model or defined above, `d_` names only gradients, and each " +
      "equation carries the line of the model it comes from. With `--at`, each equation's value " +
      "is printed too (the loop then printed out in full, since the values differ per layer).",
    "",
    "```",
    ...printout,
    "```",
    "",
    "## Step by step",
    "",
    ...sections,
  ].join("\n");
}
