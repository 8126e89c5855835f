// The Train tab: the editor's model trained on a toy data set of the plane in a Web Worker, with
// the decision regions, the loss curve and each layer's gradient norm as it learns.
import { toyNoise, type ToyKind } from "nnc";
import { notice, type Ctx, type View } from "./app.ts";
import { normBars, LossChart } from "./charts.ts";
import { h, labelled, select } from "./dom.ts";
import { paint } from "./heat.ts";
import {
  choiceOf,
  optimizerOf,
  optimizerText,
  withOptimizer,
  type OptimizerChoice,
} from "./optimizer-edit.ts";
import type { ToyReply, ToyRequest } from "./protocol.ts";
import type { ToyInfo, ToyReport } from "./toy-session.ts";

const kinds: [ToyKind, string][] = [
  ["xor", "XOR"],
  ["circles", "circles"],
  ["blobs", "Gaussian blobs"],
  ["spirals", "spirals"],
  ["moons", "moons"],
];

/** The data (and batch) each classic model of models/ trains on, as its recipe says. */
const recipes: Record<string, [ToyKind, number]> = {
  xor: ["xor", 32],
  spiral: ["spirals", 300],
  linear: ["spirals", 300],
  moons: ["moons", 100],
  svm: ["blobs", 100],
  logistic: ["blobs", 100],
  deep_sigmoid: ["spirals", 32],
  deep_relu: ["spirals", 32],
  deep_sigmoid_bn: ["spirals", 32],
};

const cells = 40;

const percent = (a: number | null) => (a === null ? "–" : `${(100 * a).toFixed(1)}%`);

export class TrainView implements View {
  private worker: Worker | null = null;
  private key = "";
  private modelName = "";
  private kind: ToyKind = "xor";
  private noise: number = toyNoise.xor;
  private n = 200;
  private dataSeed = 1;
  private batch = 32;
  private lr: number | undefined;
  private info: ToyInfo | null = null;
  private running = false;
  private showTest = false;
  private last: ToyReport | null = null;
  private ctx: Ctx | null = null;
  private readonly canvas = h("canvas", {
    width: 360,
    height: 360,
    class: "regions",
    "aria-label": "decision regions",
  });
  private readonly chartBox = h("div", { class: "loss-chart" });
  private readonly chart = new LossChart(this.chartBox);
  private readonly stats = h("div", { class: "stats", role: "status" });
  private readonly norms = h("div", {});
  private readonly runButton = h("button", { class: "run" }, "start");

  constructor(private readonly panel: HTMLElement) {
    this.runButton.addEventListener("click", () =>
      this.send({ type: this.running ? "pause" : "run" }),
    );
  }

  render(ctx: Ctx): void {
    this.ctx = ctx;
    if (!ctx.compiled) {
      this.stop();
      this.panel.replaceChildren(notice("The source has errors: see the list under the editor."));
      return;
    }
    const key = `${ctx.source}\u0000${ctx.model ?? ""}`;
    if (key === this.key && this.panel.childElementCount > 0) return;
    if (key !== this.key) {
      const name = ctx.compiled.model.name;
      const recipe = recipes[name];
      if (name !== this.modelName && recipe) {
        this.setKind(recipe[0]);
        this.batch = recipe[1];
      }
      this.modelName = name;
      this.lr = undefined;
    }
    this.key = key;
    this.setup();
  }

  private setKind(kind: ToyKind): void {
    this.kind = kind;
    this.noise = toyNoise[kind];
    this.n = kind === "spirals" ? 300 : kind === "moons" || kind === "blobs" ? 100 : 200;
  }

  private worker_(): Worker {
    if (this.worker) return this.worker;
    this.worker = new Worker(new URL("./toy-worker.ts", import.meta.url), { type: "module" });
    this.worker.onmessage = (e: MessageEvent<ToyReply>) => this.receive(e.data);
    return this.worker;
  }

  private send(m: ToyRequest): void {
    this.worker_().postMessage(m);
  }

  private stop(): void {
    if (this.running) this.send({ type: "pause" });
    this.running = false;
  }

  /** Starts over: the model, the data and the knobs as they are. */
  private setup(): void {
    const ctx = this.ctx!;
    this.running = false;
    this.info = null;
    this.last = null;
    this.chart.clear();
    this.send({
      type: "setup",
      setup: {
        source: ctx.source,
        file: ctx.file,
        ...(ctx.model ? { model: ctx.model } : {}),
        target: "auto",
        data: { kind: this.kind, n: this.n, noise: this.noise, seed: this.dataSeed },
        batch: this.batch,
        seed: 1,
        ...(this.lr !== undefined ? { lr: this.lr } : {}),
        cells,
      },
    });
    this.layout();
  }

  private receive(m: ToyReply): void {
    if (m.type === "error") {
      this.running = false;
      this.panel.replaceChildren(
        notice(
          `Cannot train: ${m.message}.`,
          ["Open models/xor.nn", () => this.ctx?.open("models/xor.nn")],
          ["Open models/spiral.nn", () => this.ctx?.open("models/spiral.nn")],
        ),
      );
      this.info = null;
      return;
    }
    if (m.type === "ready") {
      this.info = m.info;
      this.lr = m.info.lr;
      this.layout();
    } else this.running = m.running;
    this.show(m.report);
  }

  private show(r: ToyReport): void {
    const info = this.info;
    if (!info) return;
    this.last = r;
    this.chart.add(r.step, r.train.loss, r.test.loss);
    paint(this.canvas, r.regions, cells, info.bounds, info.train, this.showTest ? info.test : []);
    this.stats.replaceChildren(
      h("span", {}, `step ${r.step}`),
      h("span", {}, `epoch ${r.epoch.toFixed(1)}`),
      h("span", { "data-stat": "train-loss" }, `train loss ${r.train.loss.toFixed(4)}`),
      h("span", { "data-stat": "train-accuracy" }, `train accuracy ${percent(r.train.accuracy)}`),
      h("span", { "data-stat": "test-loss" }, `test loss ${r.test.loss.toFixed(4)}`),
      h("span", { "data-stat": "test-accuracy" }, `test accuracy ${percent(r.test.accuracy)}`),
    );
    this.norms.replaceChildren(h("h3", {}, "Gradient norm per layer"), normBars(r.gradNorms));
    this.runButton.textContent = this.running ? "pause" : "start";
    this.runButton.setAttribute("aria-pressed", String(this.running));
  }

  private layout(): void {
    const info = this.info;
    const ctx = this.ctx!;
    const step = h("button", {}, "one step");
    step.addEventListener("click", () => this.send({ type: "step" }));
    const reset = h("button", {}, "reset");
    reset.addEventListener("click", () => this.setup());
    this.panel.replaceChildren(
      this.dataControls(),
      this.trainingControls(ctx),
      h(
        "div",
        { class: "controls" },
        this.runButton,
        step,
        reset,
        h("span", { class: "hint" }, info ? targetText(info) : "compiling…"),
      ),
      this.stats,
      h(
        "div",
        { class: "train-layout" },
        h("div", {}, this.canvas),
        h("div", {}, h("h3", {}, "Loss"), this.chartBox, this.norms),
      ),
      lessons(ctx),
    );
    this.chart.resize(Math.min(360, Math.max(240, this.panel.clientWidth - 400)));
    if (this.last && info) this.show(this.last);
  }

  private dataControls(): HTMLElement {
    const kind = select(kinds, this.kind, { "aria-label": "data set" });
    kind.addEventListener("change", () => {
      this.setKind(kind.value as ToyKind);
      this.setup();
    });
    const noise = h("input", {
      type: "range",
      min: 0,
      max: 3 * toyNoise[this.kind],
      step: toyNoise[this.kind] / 10,
      "aria-label": "noise",
    });
    noise.value = String(this.noise);
    const noiseText = h("span", {}, this.noise.toFixed(2));
    noise.addEventListener("input", () => (noiseText.textContent = Number(noise.value).toFixed(2)));
    noise.addEventListener("change", () => {
      this.noise = Number(noise.value);
      this.setup();
    });
    const size = select(
      ["50", "100", "200", "300", "500", "1000"].map((v) => [v, v] as const),
      String(this.n),
      { "aria-label": "points" },
    );
    size.addEventListener("change", () => {
      this.n = Number(size.value);
      this.setup();
    });
    const again = h("button", { title: "the same kind of data from another seed" }, "new points");
    again.addEventListener("click", () => {
      this.dataSeed++;
      this.setup();
    });
    const test = h("input", { type: "checkbox" });
    test.checked = this.showTest;
    test.addEventListener("change", () => {
      this.showTest = test.checked;
      if (this.last) this.show(this.last);
    });
    return h(
      "div",
      { class: "controls" },
      labelled("data", kind),
      labelled("noise", noise),
      noiseText,
      labelled("points", size),
      again,
      h("label", {}, test, " test points"),
    );
  }

  private trainingControls(ctx: Ctx): HTMLElement {
    const current = optimizerOf(ctx.source, ctx.model);
    const choice = (current && choiceOf(current)) ?? "sgd";
    const options: [OptimizerChoice, string][] = [
      ["sgd", "sgd"],
      ["momentum", "sgd + momentum"],
      ["rmsprop", "rmsprop"],
      ["adam", "adam"],
      ["adamw", "adamw"],
    ];
    const opt = select(options, choice, { "aria-label": "optimizer" });
    opt.title = "writes the optimizer into the source";
    opt.addEventListener("change", () =>
      ctx.edit(
        withOptimizer(
          ctx.source,
          ctx.model,
          optimizerText(opt.value as OptimizerChoice, this.lr ?? 0.1),
        ),
      ),
    );
    const lr = h("input", {
      type: "number",
      step: "any",
      min: 0,
      "aria-label": "learning rate",
      size: 6,
    });
    lr.value = this.lr !== undefined ? String(this.lr) : "";
    lr.addEventListener("change", () => {
      const v = Number(lr.value);
      if (!(v > 0)) return;
      this.lr = v;
      this.send({ type: "lr", lr: v });
    });
    const batch = h("input", {
      type: "number",
      min: 2,
      step: 1,
      "aria-label": "batch size",
      size: 4,
    });
    batch.value = String(this.batch);
    batch.addEventListener("change", () => {
      const v = Math.floor(Number(batch.value));
      if (!(v >= 2)) return;
      this.batch = v;
      this.setup();
    });
    return h(
      "div",
      { class: "controls" },
      labelled("optimizer", opt),
      labelled("learning rate", lr),
      labelled("batch", batch),
    );
  }
}

function targetText(info: ToyInfo): string {
  const note = info.targetNote ? ` (${info.targetNote})` : "";
  return `${info.model}: ${info.optimizer}, ${info.classes} classes, the ${info.target} target${note}, in a Web Worker`;
}

/** Buttons for the classic lessons: the vanishing gradient in eight layers. */
function lessons(ctx: Ctx): HTMLElement {
  const open = (text: string, model: string) => {
    const b = h("button", {}, text);
    b.addEventListener("click", () => ctx.open("models/experiments/deep.nn", model));
    return b;
  };
  return h(
    "div",
    { class: "lessons" },
    h(
      "p",
      {},
      "The vanishing gradient: train eight layers and watch the norms of the first layers. ",
      "With sigmoid they shrink by about four per layer; relu and batchnorm keep them alive.",
    ),
    open("8 sigmoid layers", "deep_sigmoid"),
    open("8 relu layers", "deep_relu"),
    open("8 batchnorm + sigmoid layers", "deep_sigmoid_bn"),
    h(
      "span",
      { class: "hint" },
      ` Learning rate changes apply at once; the schedule of the source does not apply here.`,
    ),
  );
}
