// The MNIST tab: a model of models/ (an MLP, Nielsen's network, LeNet-5) or the editor's own,
// trained in a Web Worker on the digits `nnc train --data mnist` uses, with a progress bar and the
// held-out accuracy; then a digit drawn on a canvas (or a held-out one), the model's class
// probabilities and, for a convolutional model, its first layer's filters and feature maps.
import { notice, type Ctx, type View } from "./app.ts";
import { DrawPad } from "./draw-pad.ts";
import { FirstLayerView } from "./first-layer-view.ts";
import { h, labelled, numberField, select } from "./dom.ts";
import type { MnistReply, MnistRequest } from "./protocol.ts";

/** What the drawing pad says until a model is trained. */
export const trainFirst =
  "Train a model first (Train, above): then draw a digit here to see what it reads.";

const epochColumns = ["epoch", "train loss", "test loss", "test accuracy"];

/** The models of models/ that the tab trains, to pick from. */
export const mnistModels: readonly (readonly [string, string])[] = [
  ["models/mnist.nn", "mnist.nn: an MLP, 784-128-10 with batchnorm"],
  ["models/nielsen.nn", "nielsen.nn: Nielsen's 784-30-10 sigmoid net"],
  ["models/lenet.nn", "lenet.nn: LeNet-5, two convolutions"],
];

/** How many of the 8,000 training digits to train on: all, as `nnc train` does, or fewer. */
const digitChoices = ["8000", "2000", "500"];

/** Whether the model reads 784 pixels and a one-hot class of 10 (else the tab offers models). */
function fitsMnist(ctx: Ctx): boolean {
  const m = ctx.compiled?.model;
  return (
    !!m &&
    m.inputs.length === 1 &&
    m.targets.length === 1 &&
    m.inputs[0]!.shape[1] === 784 &&
    m.targets[0]!.shape[1] === 10
  );
}

export class MnistView implements View {
  private worker: Worker | null = null;
  /** the source and model shown (what the worker trains) */
  private key = "";
  private epochs = 1;
  private batch = 32;
  private digits = 8000;
  private trained = false;
  private nextDigit = 0;
  /** where the last training ran: `the wasm target`, `the js target (why)` */
  private target = "";
  private readonly progress = h("progress", {
    max: 1,
    value: 0,
    "aria-label": "training progress",
  });
  private readonly status = h("p", { class: "mnist-status", role: "status" }, "Not trained yet.");
  private readonly accuracy = h("p", { class: "accuracy", "aria-live": "polite" });
  private readonly epochRows = h("tbody", {});
  private readonly bars = h("div", { class: "probs", "aria-label": "class probabilities" });
  private readonly digitNote = h("p", { class: "hint digit-note" });
  private readonly heldOut = h("button", {}, "a held-out digit");
  private readonly pad = new DrawPad(
    (image) => this.predict(image),
    () => this.cleared(),
    [this.heldOut],
  );
  private readonly firstLayer = new FirstLayerView();
  private readonly trainButton = h("button", { class: "train" }, "Train");
  private readonly stopButton = h("button", {}, "Stop");

  constructor(private readonly panel: HTMLElement) {
    this.stopButton.disabled = true;
    this.stopButton.addEventListener("click", () => {
      this.stop();
      this.status.textContent = "Stopped.";
    });
    this.heldOut.disabled = true;
    this.heldOut.addEventListener("click", () => {
      const index = this.nextDigit++ % 2000;
      this.worker?.postMessage({ type: "digit", index } satisfies MnistRequest);
    });
  }

  render(ctx: Ctx): void {
    const key = `${ctx.source}\u0000${ctx.model ?? ""}`;
    if (key !== this.key) this.reset(key);
    if (!fitsMnist(ctx)) {
      this.panel.replaceChildren(
        notice(
          "The MNIST tab trains a model with one input [batch, 784] (the pixels) and one target " +
            "[batch, 10] (the class, one-hot).",
          ...mnistModels.map(([path]): [string, () => void] => [
            `Open ${path}`,
            () => ctx.open(path),
          ]),
        ),
      );
      return;
    }
    this.trainButton.onclick = () => this.train(ctx);
    this.panel.replaceChildren(
      h(
        "p",
        { class: "hint" },
        `${ctx.compiled!.model.name} trained on the digits of nnc train --data mnist (all 8,000, ` +
          `or the first 2,000 or 500 for a quick try); accuracy on the 2,000 held out.`,
      ),
      this.controls(ctx),
      this.progress,
      this.status,
      this.accuracy,
      h(
        "table",
        { class: "epochs" },
        h("thead", {}, h("tr", {}, ...epochColumns.map((t) => h("th", {}, t)))),
        this.epochRows,
      ),
      h(
        "div",
        { class: "draw-layout" },
        this.pad.element,
        h("div", {}, h("h3", {}, "Class probabilities"), this.bars, this.digitNote),
      ),
      this.firstLayer.element,
    );
  }

  private controls(ctx: Ctx): HTMLElement {
    const listed = mnistModels.some(([path]) => path === ctx.file);
    const models = select(
      listed ? mnistModels : [...mnistModels, ["", "the editor's model"] as const],
      listed ? ctx.file : "",
      { "aria-label": "network" },
    );
    models.addEventListener("change", () => models.value && ctx.open(models.value));
    const choice = (values: string[], value: number, label: string, set: (v: number) => void) => {
      const e = select(
        values.map((v) => [v, Number(v).toLocaleString("en")] as const),
        String(value),
        { "aria-label": label },
      );
      e.addEventListener("change", () => set(Number(e.value)));
      return labelled(label, e);
    };
    const batch = numberField(
      "batch",
      this.batch,
      { min: 2, step: 1, size: 4, integer: true },
      (v) => v >= 2,
      (v) => (this.batch = v),
    );
    return h(
      "div",
      { class: "controls" },
      labelled("network", models),
      choice(["1", "2", "3", "5", "10"], this.epochs, "epochs", (v) => (this.epochs = v)),
      choice(digitChoices, this.digits, "training digits", (v) => (this.digits = v)),
      batch,
      this.trainButton,
      this.stopButton,
    );
  }

  /** Another model: nothing trained, nothing shown. */
  private reset(key: string): void {
    this.stop();
    this.key = key;
    this.status.textContent = "Not trained yet.";
    this.progress.value = 0;
    this.accuracy.textContent = "";
    this.epochRows.replaceChildren();
    this.pad.clear();
    this.cleared();
  }

  /** Ends the worker and forgets what it trained. */
  private stop(): void {
    this.worker?.terminate();
    this.worker = null;
    this.trained = false;
    this.stopButton.disabled = true;
    this.trainButton.disabled = false;
    this.heldOut.disabled = true;
    this.firstLayer.show(null);
    this.digitNote.textContent = trainFirst;
  }

  private train(ctx: Ctx): void {
    this.stop();
    this.worker = new Worker(new URL("./mnist-worker.ts", import.meta.url), { type: "module" });
    this.worker.onmessage = (e: MessageEvent<MnistReply>) => this.receive(e.data);
    this.epochRows.replaceChildren();
    this.accuracy.textContent = "";
    this.progress.value = 0;
    this.trainButton.disabled = true;
    this.stopButton.disabled = false;
    const m: MnistRequest = {
      type: "train",
      digits: new URL("digits.nncd", document.baseURI).href,
      setup: {
        source: ctx.source,
        file: ctx.file,
        ...(ctx.model ? { model: ctx.model } : {}),
        target: "auto",
        epochs: this.epochs,
        batch: this.batch,
        seed: 1,
        ...(this.digits < 8000 ? { digits: this.digits } : {}),
      },
    };
    this.worker.postMessage(m);
  }

  private receive(m: MnistReply): void {
    if (m.type === "loading") this.status.textContent = `Loading ${m.what}…`;
    else if (m.type === "start") {
      this.progress.max = m.steps;
      const note = m.targetNote ? ` (${m.targetNote})` : "";
      this.target = `the ${m.target} target${note}`;
      this.status.textContent = `Training ${m.model} on ${this.target}…`;
    } else if (m.type === "progress") {
      const done = (m.epoch - 1) * m.steps + m.step;
      this.progress.value = done;
      this.status.textContent = `epoch ${m.epoch}, step ${m.step} of ${m.steps}, loss ${m.loss.toFixed(4)}`;
    } else if (m.type === "epoch") this.epochRow(m.report);
    else if (m.type === "done") this.done(m);
    else if (m.type === "probabilities") {
      this.showProbabilities(m.p);
      this.firstLayer.showMaps(m.maps);
    } else if (m.type === "digit") {
      this.digitNote.textContent = `held-out digit ${m.index + 1} of 2,000: a ${m.label}`;
      this.pad.put(m.image);
    } else {
      this.trainButton.disabled = false;
      this.stopButton.disabled = true;
      this.status.textContent = `Cannot train: ${m.message}`;
    }
  }

  private epochRow(r: Extract<MnistReply, { type: "epoch" }>["report"]): void {
    const acc = r.testAccuracy === null ? "–" : `${(100 * r.testAccuracy).toFixed(2)}%`;
    const train = Number.isNaN(r.trainLoss) ? "–" : r.trainLoss.toFixed(4);
    const cells = [String(r.epoch), train, r.testLoss.toFixed(4), acc];
    this.epochRows.append(h("tr", {}, ...cells.map((t) => h("td", {}, t))));
  }

  private done(m: Extract<MnistReply, { type: "done" }>): void {
    this.trained = true;
    this.progress.value = this.progress.max;
    this.trainButton.disabled = false;
    this.stopButton.disabled = true;
    this.heldOut.disabled = false;
    this.status.textContent = `Trained on ${this.target} in ${m.seconds.toFixed(1)} s. Draw a digit below, or take a held-out one.`;
    this.accuracy.textContent =
      m.accuracy === null
        ? ""
        : `test accuracy ${(100 * m.accuracy).toFixed(2)}% on 2,000 held-out digits`;
    this.firstLayer.show(m.firstLayer);
    this.digitNote.textContent = "";
    this.pad.again();
  }

  private predict(image: Float32Array): void {
    if (this.trained && this.worker)
      this.worker.postMessage({ type: "predict", image } satisfies MnistRequest);
    else this.digitNote.textContent = trainFirst;
  }

  private cleared(): void {
    this.bars.replaceChildren();
    this.digitNote.textContent = this.trained ? "" : trainFirst;
    this.firstLayer.showMaps(null);
  }

  private showProbabilities(p: Float32Array): void {
    const best = p.indexOf(Math.max(...p));
    this.bars.replaceChildren(
      ...Array.from(p, (v, d) =>
        h(
          "div",
          { class: `prob${d === best ? " best" : ""}`, "data-digit": d },
          h("span", { class: "digit" }, String(d)),
          h(
            "span",
            { class: "track" },
            h("span", { class: "bar", style: `width: ${(100 * v).toFixed(1)}%` }),
          ),
          h("span", { class: "value" }, `${(100 * v).toFixed(1)}%`),
        ),
      ),
    );
  }
}
