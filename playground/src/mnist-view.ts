// The MNIST tab: the editor's model trained in a Web Worker on the digits `nnc train --data mnist`
// uses, with a progress bar and the held-out accuracy; then a digit drawn on a canvas and the
// model's class probabilities.
import { notice, type Ctx, type View } from "./app.ts";
import { h, labelled, numberField, select } from "./dom.ts";
import { toMnist } from "./digits.ts";
import type { MnistReply, MnistRequest } from "./protocol.ts";

const drawSize = 224;
const epochColumns = ["epoch", "train loss", "test loss", "test accuracy"];

/** Whether the model reads 784 pixels and a one-hot class of 10 (else the tab offers mnist.nn). */
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
  private epochs = 1;
  private batch = 32;
  private trained = false;
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
  private readonly draw = h("canvas", {
    width: drawSize,
    height: drawSize,
    class: "draw",
    "aria-label": "draw a digit",
  });
  private readonly seen = h("canvas", {
    width: 28,
    height: 28,
    class: "seen",
    "aria-label": "what the model sees",
  });
  private readonly bars = h("div", { class: "probs", "aria-label": "class probabilities" });
  private readonly trainButton = h("button", { class: "train" }, "Train");
  private readonly stopButton = h("button", {}, "Stop");

  constructor(private readonly panel: HTMLElement) {
    this.setUpDrawing();
    this.stopButton.disabled = true;
    this.stopButton.addEventListener("click", () => {
      this.worker?.terminate();
      this.worker = null;
      this.trained = false;
      this.stopButton.disabled = true;
      this.trainButton.disabled = false;
      this.status.textContent = "Stopped.";
    });
  }

  render(ctx: Ctx): void {
    if (!fitsMnist(ctx)) {
      this.panel.replaceChildren(
        notice(
          "The MNIST tab trains a model with one input [batch, 784] (the pixels) and one target " +
            "[batch, 10] (the class, one-hot).",
          ["Open models/mnist.nn", () => ctx.open("models/mnist.nn")],
          ["Open models/nielsen.nn", () => ctx.open("models/nielsen.nn")],
        ),
      );
      return;
    }
    this.trainButton.onclick = () => this.train(ctx);
    this.panel.replaceChildren(
      h(
        "p",
        { class: "hint" },
        `${ctx.compiled!.model.name} on the 8,000 training digits of nnc train --data mnist; accuracy on the 2,000 held out.`,
      ),
      this.controls(),
      this.progress,
      this.status,
      this.accuracy,
      h(
        "table",
        { class: "epochs" },
        h("thead", {}, h("tr", {}, ...epochColumns.map((t) => h("th", {}, t)))),
        this.epochRows,
      ),
      this.drawing(),
    );
  }

  private controls(): HTMLElement {
    const epochs = select(
      ["1", "2", "3", "5", "10"].map((v) => [v, v] as const),
      String(this.epochs),
      { "aria-label": "epochs" },
    );
    epochs.addEventListener("change", () => (this.epochs = Number(epochs.value)));
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
      labelled("epochs", epochs),
      batch,
      this.trainButton,
      this.stopButton,
    );
  }

  /** The canvas to draw on, what the model sees, and its class probabilities. */
  private drawing(): HTMLElement {
    const clear = h("button", {}, "clear");
    clear.addEventListener("click", () => this.clearDrawing());
    const seen = h("span", { class: "hint" }, "the model sees:");
    return h(
      "div",
      { class: "draw-layout" },
      h(
        "div",
        {},
        h("h3", {}, "Draw a digit"),
        this.draw,
        h("div", { class: "controls" }, clear, seen, this.seen),
      ),
      h("div", {}, h("h3", {}, "Class probabilities"), this.bars),
    );
  }

  private train(ctx: Ctx): void {
    this.worker?.terminate();
    this.worker = new Worker(new URL("./mnist-worker.ts", import.meta.url), { type: "module" });
    this.worker.onmessage = (e: MessageEvent<MnistReply>) => this.receive(e.data);
    this.trained = false;
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
    } else if (m.type === "epoch") {
      const r = m.report;
      const acc = r.testAccuracy === null ? "–" : `${(100 * r.testAccuracy).toFixed(2)}%`;
      const train = Number.isNaN(r.trainLoss) ? "–" : r.trainLoss.toFixed(4);
      this.epochRows.append(
        h(
          "tr",
          {},
          ...[String(r.epoch), train, r.testLoss.toFixed(4), acc].map((t) => h("td", {}, t)),
        ),
      );
    } else if (m.type === "done") {
      this.trained = true;
      this.progress.value = this.progress.max;
      this.trainButton.disabled = false;
      this.stopButton.disabled = true;
      this.status.textContent = `Trained on ${this.target} in ${m.seconds.toFixed(1)} s. Draw a digit below.`;
      this.accuracy.textContent =
        m.accuracy === null
          ? ""
          : `test accuracy ${(100 * m.accuracy).toFixed(2)}% on 2,000 held-out digits`;
      this.predict();
    } else if (m.type === "probabilities") this.showProbabilities(m.p);
    else {
      this.trainButton.disabled = false;
      this.stopButton.disabled = true;
      this.status.textContent = `Cannot train: ${m.message}`;
    }
  }

  private setUpDrawing(): void {
    const c = this.draw.getContext("2d")!;
    let last: [number, number] | null = null;
    const at = (e: PointerEvent): [number, number] => {
      const r = this.draw.getBoundingClientRect();
      return [
        ((e.clientX - r.left) / r.width) * drawSize,
        ((e.clientY - r.top) / r.height) * drawSize,
      ];
    };
    this.draw.addEventListener("pointerdown", (e) => {
      this.draw.setPointerCapture(e.pointerId);
      last = at(e);
    });
    this.draw.addEventListener("pointermove", (e) => {
      if (!last) return;
      const p = at(e);
      c.strokeStyle = "#000";
      c.lineWidth = 16;
      c.lineCap = "round";
      c.beginPath();
      c.moveTo(...last);
      c.lineTo(...p);
      c.stroke();
      last = p;
    });
    const end = () => {
      if (last) this.predict();
      last = null;
    };
    this.draw.addEventListener("pointerup", end);
    this.draw.addEventListener("pointercancel", end);
  }

  private clearDrawing(): void {
    this.draw.getContext("2d")!.clearRect(0, 0, drawSize, drawSize);
    this.seen.getContext("2d")!.clearRect(0, 0, 28, 28);
    this.bars.replaceChildren();
  }

  /** The drawing as MNIST's 28 x 28 pixels, sent to the model. */
  private predict(): void {
    const rgba = this.draw.getContext("2d")!.getImageData(0, 0, drawSize, drawSize).data;
    const ink = new Float32Array(drawSize * drawSize);
    let any = false;
    for (let i = 0; i < ink.length; i++) {
      ink[i] = rgba[4 * i + 3]! / 255;
      any ||= ink[i]! > 0;
    }
    if (!any) return;
    const image = toMnist(ink, drawSize);
    const img = new ImageData(28, 28);
    image.forEach((v, i) =>
      img.data.set([255 * (1 - v), 255 * (1 - v), 255 * (1 - v), 255], 4 * i),
    );
    this.seen.getContext("2d")!.putImageData(img, 0, 0);
    if (this.trained && this.worker)
      this.worker.postMessage({ type: "predict", image } satisfies MnistRequest);
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
