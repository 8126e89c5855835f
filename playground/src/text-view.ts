// The Text tab: a model of characters (models/makemore.nn, models/gpt.nn, or the editor's own)
// trained in a Web Worker on the word list of `nnc train --data words`, with the loss curve and
// new samples every second while it trains; for a model with attention, one head's attention
// pattern for a word typed in the tab.
import { notice, type Ctx, type View } from "./app.ts";
import { LossChart } from "./charts.ts";
import { h, labelled, select } from "./dom.ts";
import type { TextReply, TextRequest } from "./protocol.ts";
import type { Attention } from "./text-session.ts";

/** The models of models/ that the tab trains, to pick from. */
export const textModels: readonly (readonly [string, string])[] = [
  ["models/makemore.nn", "makemore.nn: Bengio's MLP over 3 characters"],
  ["models/gpt.nn", "gpt.nn: a GPT of 4 blocks over 16 characters"],
];

/** Whether the model reads characters: one input [batch, k] and one target (as --data words). */
function fitsText(ctx: Ctx): boolean {
  const m = ctx.compiled?.model;
  return (
    !!m &&
    m.inputs.length === 1 &&
    m.targets.length === 1 &&
    m.inputs[0]!.shape.length === 2 &&
    typeof m.inputs[0]!.shape[1] === "number"
  );
}

export class TextView implements View {
  private worker: Worker | null = null;
  private key = "";
  private running = false;
  /** what the status says of the run: the model, the target, the data */
  private started = "";
  private readonly status = h("p", { class: "text-status", role: "status" }, "Not trained yet.");
  private readonly chartBox = h("div", { class: "text-chart", "aria-label": "loss curve" });
  private chart: LossChart | null = null;
  private readonly samples = h("ol", { class: "samples", "aria-label": "samples" });
  private readonly trainButton = h("button", { class: "train" }, "Train");
  private readonly pauseButton = h("button", {}, "Pause");
  private readonly word = h("input", {
    type: "text",
    value: "hello",
    size: 16,
    "aria-label": "word",
    spellcheck: "false",
  });
  private readonly layer = select([["0", "1"]], "0", { "aria-label": "layer" });
  private readonly head = select([["0", "1"]], "0", { "aria-label": "head" });
  private readonly heatmap = h("div", { class: "attention", "aria-label": "attention" });
  private readonly attentionNote = h("p", { class: "hint attention-note" });

  constructor(private readonly panel: HTMLElement) {
    this.pauseButton.disabled = true;
    this.pauseButton.addEventListener("click", () => this.pause());
    const ask = () => this.askAttention();
    this.word.addEventListener("input", ask);
    this.layer.addEventListener("change", ask);
    this.head.addEventListener("change", ask);
  }

  render(ctx: Ctx): void {
    const key = `${ctx.source}\u0000${ctx.model ?? ""}`;
    if (key !== this.key) this.reset(key);
    if (!fitsText(ctx)) {
      this.panel.replaceChildren(
        notice(
          "The Text tab trains a model of characters: one input [batch, k] int (a context of k " +
            "characters) and one target, [batch] int (the next character) or [batch, k] int " +
            "(each position's next).",
          ...textModels.map(([path]): [string, () => void] => [
            `Open ${path}`,
            () => ctx.open(path),
          ]),
        ),
      );
      return;
    }
    this.trainButton.onclick = () => this.train(ctx);
    this.chart ??= new LossChart(this.chartBox, true);
    this.panel.replaceChildren(
      h(
        "p",
        { class: "hint" },
        `${ctx.compiled!.model.name} trained on the word list of nnc train --data words ` +
          "(a-z, each word ended by the delimiter .); the loss on the training batches and on " +
          "held-out words, and new words sampled from the model, every second.",
      ),
      this.controls(ctx),
      this.status,
      this.chartBox,
      h("h3", {}, "Samples"),
      this.samples,
      h("h3", {}, "Attention"),
      h(
        "div",
        { class: "controls" },
        labelled("word", this.word),
        labelled("layer", this.layer),
        labelled("head", this.head),
      ),
      this.attentionNote,
      this.heatmap,
    );
    this.chart.resize(Math.max(240, Math.min(560, this.panel.clientWidth - 16)));
  }

  private controls(ctx: Ctx): HTMLElement {
    const listed = textModels.some(([path]) => path === ctx.file);
    const models = select(
      listed ? textModels : [...textModels, ["", "the editor's model"] as const],
      listed ? ctx.file : "",
      { "aria-label": "language model" },
    );
    models.addEventListener("change", () => models.value && ctx.open(models.value));
    return h(
      "div",
      { class: "controls" },
      labelled("model", models),
      this.trainButton,
      this.pauseButton,
    );
  }

  /** Another model: nothing trained, nothing shown. */
  private reset(key: string): void {
    this.stop();
    this.key = key;
    this.status.textContent = "Not trained yet.";
    this.chart?.clear();
    this.samples.replaceChildren();
    this.heatmap.replaceChildren();
    delete this.heatmap.dataset["n"];
    this.attentionNote.textContent = "Train a model with attention (gpt.nn) to see its pattern.";
  }

  private stop(): void {
    for (const k of ["step", "testLoss", "firstLoss"]) delete this.chartBox.dataset[k];
    this.worker?.terminate();
    this.worker = null;
    this.running = false;
    this.pauseButton.disabled = true;
    this.pauseButton.textContent = "Pause";
  }

  private pause(): void {
    this.running = !this.running;
    this.worker?.postMessage({ type: this.running ? "resume" : "pause" } satisfies TextRequest);
    this.pauseButton.textContent = this.running ? "Pause" : "Resume";
  }

  private train(ctx: Ctx): void {
    this.stop();
    this.chart?.clear();
    this.samples.replaceChildren();
    this.worker = new Worker(new URL("./text-worker.ts", import.meta.url), { type: "module" });
    this.worker.onmessage = (e: MessageEvent<TextReply>) => this.receive(e.data);
    const m: TextRequest = {
      type: "train",
      words: new URL("words.nncw", document.baseURI).href,
      setup: {
        source: ctx.source,
        file: ctx.file,
        ...(ctx.model ? { model: ctx.model } : {}),
        target: "auto",
        batch: 32,
        seed: 1,
      },
    };
    this.worker.postMessage(m);
  }

  private receive(m: TextReply): void {
    if (m.type === "loading") this.status.textContent = `Loading ${m.what}…`;
    else if (m.type === "start") {
      const note = m.targetNote ? ` (${m.targetNote})` : "";
      this.started = `Training ${m.model} on the ${m.target} target${note}`;
      this.status.textContent = `${this.started}. ${m.note}`;
      this.status.dataset["target"] = m.target;
      this.running = true;
      this.pauseButton.disabled = false;
    } else if (m.type === "report") this.report(m);
    else if (m.type === "attention") this.showAttention(m.attention);
    else {
      this.stop();
      this.status.textContent = `Cannot train: ${m.message}`;
    }
  }

  private report(m: Extract<TextReply, { type: "report" }>): void {
    this.chart!.add(m.step, m.trainLoss, m.testLoss);
    this.chartBox.dataset["step"] = String(m.step);
    this.chartBox.dataset["testLoss"] = String(m.testLoss);
    if (this.chartBox.dataset["firstLoss"] === undefined || m.step === 0)
      this.chartBox.dataset["firstLoss"] = String(m.testLoss);
    const rate = m.stepsPerSecond > 0 ? `, ${m.stepsPerSecond.toFixed(0)} steps a second` : "";
    this.status.textContent = `${this.started}: step ${m.step}, held-out loss ${m.testLoss.toFixed(3)}${rate}`;
    this.samples.replaceChildren(...m.samples.map((s) => h("li", {}, s)));
    this.askAttention();
  }

  private askAttention(): void {
    this.worker?.postMessage({
      type: "attention",
      word: this.word.value,
      layer: Number(this.layer.value),
      head: Number(this.head.value),
    } satisfies TextRequest);
  }

  /** Options 1..n of a select, keeping its value where it still fits. */
  private static count(e: HTMLSelectElement, n: number): void {
    if (e.options.length === n) return;
    const v = Math.min(Number(e.value), n - 1);
    e.replaceChildren(
      ...Array.from({ length: n }, (_, i) => h("option", { value: String(i) }, String(i + 1))),
    );
    e.value = String(v);
  }

  /** The attention as a grid: row i (the query, a character) over columns j <= i. */
  private showAttention(a: Attention | null): void {
    if (!a) {
      this.heatmap.replaceChildren();
      delete this.heatmap.dataset["n"];
      this.attentionNote.textContent = "This model has no attention (a softmax over [T, T]).";
      return;
    }
    TextView.count(this.layer, a.layers);
    TextView.count(this.head, a.heads);
    const n = a.chars.length;
    this.attentionNote.textContent =
      `Head ${a.head + 1} of block ${a.layer + 1}: row i is how the character at i weighs the ` +
      "characters up to it (the delimiter . first); each row sums to 1.";
    const label = (c: string) => h("span", { class: "label" }, c);
    const cells: HTMLElement[] = [h("span", {}), ...a.chars.map(label)];
    for (let i = 0; i < n; i++) {
      cells.push(label(a.chars[i]!));
      for (let j = 0; j < n; j++) {
        const v = a.values[i * n + j]!;
        cells.push(
          h("span", {
            class: "cell",
            "data-row": i,
            "data-col": j,
            "data-value": v,
            title: `${a.chars[i]} (${i}) → ${a.chars[j]} (${j}): ${v.toFixed(3)}`,
            style: `background: rgba(8, 119, 189, ${v.toFixed(3)})`,
          }),
        );
      }
    }
    this.heatmap.style.gridTemplateColumns = `repeat(${n + 1}, 1.6em)`;
    this.heatmap.dataset["n"] = String(n);
    this.heatmap.dataset["layer"] = String(a.layer);
    this.heatmap.dataset["head"] = String(a.head);
    this.heatmap.replaceChildren(...cells);
  }
}
