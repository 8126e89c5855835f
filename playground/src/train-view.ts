// The Train tab: the editor's model trained on a toy data set of the plane in a Web Worker, with
// the decision regions, the loss curve and each layer's gradient norm as it learns.
import { toyNoise, type ToyKind } from "nnc";
import { notice, type Ctx, type View } from "./app.ts";
import { normBars, LossChart } from "./charts.ts";
import { checkbox, h, labelled, numberField, select } from "./dom.ts";
import { paint } from "./heat.ts";
import type { Speed, ToyReply, ToyRequest } from "./protocol.ts";
import {
  kinds,
  lessons,
  noiseSlider,
  optimizerChoice,
  recipes,
  targetText,
} from "./train-controls.ts";
import type { ToyInfo, ToyReport } from "./toy-session.ts";

const cells = 40;

/** Steps per frame (20 frames a second): slow enough at first to watch the regions form. */
export const speeds: Speed[] = [1, 5, 20, 100, 500, "max"];
const firstSpeed: Speed = 5;

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
  private speed: Speed = firstSpeed;
  private logLoss = true;
  /** what the worker is doing before its first report, and since when */
  private phase = "";
  private phaseStart = 0;
  private ticker = 0;
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
  private chart = new LossChart(this.chartBox, this.logLoss);
  private readonly stats = h("div", { class: "stats", role: "status" });
  private readonly stepText = h("span", {}, "");
  private readonly norms = h("div", {});
  private readonly runButton = h("button", { class: "run" }, "start");
  private readonly stepButton = h("button", {}, "one step");
  private readonly hint = h("span", { class: "hint busy" });

  constructor(private readonly panel: HTMLElement) {
    this.runButton.addEventListener("click", () => {
      this.send({ type: this.running ? "pause" : "run" });
      this.running = !this.running;
      this.showButtons();
    });
    this.stepButton.addEventListener("click", () => {
      this.send({ type: "step" });
      this.running = false;
      this.showButtons();
    });
  }

  /** The buttons as the training is: start or pause, both off until the worker is ready. */
  private showButtons(): void {
    this.runButton.textContent = this.running ? "pause" : "start";
    this.runButton.setAttribute("aria-pressed", String(this.running));
    this.runButton.disabled = this.stepButton.disabled = this.info === null;
  }

  /** The hint beside the buttons: the target, or what the worker is doing and for how long. */
  private showHint(): void {
    const busy = this.info === null || this.last === null;
    this.panel.setAttribute("aria-busy", String(busy));
    clearInterval(this.ticker);
    if (!busy) {
      this.hint.textContent = targetText(this.info!);
      return;
    }
    const tick = () => {
      const s = (performance.now() - this.phaseStart) / 1000;
      this.hint.textContent = `${this.phase}… ${s.toFixed(0)} s`;
    };
    tick();
    this.ticker = window.setInterval(tick, 500);
  }

  private setPhase(what: string): void {
    this.phase = what;
    this.phaseStart = performance.now();
    this.showHint();
  }

  render(ctx: Ctx): void {
    this.ctx = ctx;
    if (!ctx.compiled) {
      this.stop();
      clearInterval(this.ticker);
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
    this.worker.postMessage({ type: "speed", speed: this.speed } satisfies ToyRequest);
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
    this.phase = "starting the worker";
    this.phaseStart = performance.now();
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
      clearInterval(this.ticker);
      this.panel.setAttribute("aria-busy", "false");
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
    if (m.type === "phase") this.setPhase(m.what);
    else if (m.type === "ready") {
      this.info = m.info;
      this.lr = m.info.lr;
      this.layout();
    } else if (m.type === "steps") this.stepText.textContent = `step ${m.step}`;
    else {
      const first = this.last === null;
      this.show(m.report);
      if (first) this.showHint();
    }
  }

  private show(r: ToyReport): void {
    const info = this.info;
    if (!info) return;
    this.last = r;
    this.chart.add(r.step, r.train.loss, r.test.loss);
    const shown = this.showTest ? info.test : [];
    paint(this.canvas, r.regions, info.cells, info.bounds, info.train, shown);
    this.stepText.textContent = `step ${r.step}`;
    const some = info.evaluated < info.train.length / 3 ? ` (first ${info.evaluated} points)` : "";
    this.stats.replaceChildren(
      this.stepText,
      h("span", {}, `epoch ${r.epoch.toFixed(1)}`),
      h("span", { "data-stat": "train-loss" }, `train loss ${r.train.loss.toFixed(4)}`),
      h("span", { "data-stat": "train-accuracy" }, `train accuracy ${percent(r.train.accuracy)}`),
      h("span", { "data-stat": "test-loss" }, `test loss ${r.test.loss.toFixed(4)}`),
      h("span", { "data-stat": "test-accuracy" }, `test accuracy ${percent(r.test.accuracy)}`),
      some && h("span", { class: "hint" }, some),
    );
    this.norms.replaceChildren(h("h3", {}, "Gradient norm per layer"), normBars(r.gradNorms));
    this.showButtons();
  }

  private layout(): void {
    const info = this.info;
    const ctx = this.ctx!;
    const reset = h("button", {}, "reset");
    reset.addEventListener("click", () => this.setup());
    this.panel.replaceChildren(
      this.dataControls(),
      this.trainingControls(ctx),
      h(
        "div",
        { class: "controls" },
        this.runButton,
        this.stepButton,
        reset,
        this.speedControl(),
        this.hint,
      ),
      this.stats,
      h(
        "div",
        { class: "train-layout" },
        h("div", {}, this.canvas),
        h("div", {}, h("h3", {}, "Loss ", this.logToggle()), this.chartBox, this.norms),
      ),
      lessons(ctx),
    );
    this.chart.resize(this.chartWidth());
    this.showButtons();
    this.showHint();
    if (this.last && info) this.show(this.last);
  }

  /** The chart beside the regions where there is room, else the panel's width. */
  private chartWidth(): number {
    const w = this.panel.clientWidth - 24;
    return w >= 640 ? Math.min(360, w - 400) : Math.min(360, Math.max(200, w));
  }

  private speedControl(): HTMLLabelElement {
    const options = speeds.map((v) => [String(v), v === "max" ? "max" : `${v} / frame`] as const);
    const e = select(options, String(this.speed), {
      "aria-label": "speed",
      title: "steps of the optimizer per frame, 20 frames a second",
    });
    e.addEventListener("change", () => {
      this.speed = e.value === "max" ? "max" : Number(e.value);
      this.send({ type: "speed", speed: this.speed });
    });
    return labelled("speed", e);
  }

  private logToggle(): HTMLLabelElement {
    return checkbox("log scale", this.logLoss, (on) => {
      this.logLoss = on;
      this.chart = this.chart.remake(on);
    });
  }

  private dataControls(): HTMLElement {
    const kind = select(kinds, this.kind, { "aria-label": "data set" });
    kind.addEventListener("change", () => {
      this.setKind(kind.value as ToyKind);
      this.setup();
    });
    const sizes = ["50", "100", "200", "300", "500", "1000"].map((v) => [v, v] as const);
    const size = select(sizes, String(this.n), { "aria-label": "points" });
    size.addEventListener("change", () => this.restart(() => (this.n = Number(size.value))));
    const again = h("button", { title: "the same kind of data from another seed" }, "new points");
    again.addEventListener("click", () => this.restart(() => this.dataSeed++));
    const test = checkbox("test points", this.showTest, (on) => {
      this.showTest = on;
      if (this.last) this.show(this.last);
    });
    return h(
      "div",
      { class: "controls" },
      labelled("data", kind),
      ...noiseSlider(this.kind, this.noise, (v) => this.restart(() => (this.noise = v))),
      labelled("points", size),
      again,
      test,
    );
  }

  private trainingControls(ctx: Ctx): HTMLElement {
    const lr = numberField(
      "learning rate",
      this.lr,
      { min: 0, step: "any", size: 6 },
      (v) => v > 0,
      (v) => {
        this.lr = v;
        this.send({ type: "lr", lr: v });
      },
    );
    const batch = numberField(
      "batch",
      this.batch,
      { min: 2, step: 1, size: 4, integer: true },
      (v) => v >= 2,
      (v) => this.restart(() => (this.batch = v)),
    );
    return h(
      "div",
      { class: "controls" },
      optimizerChoice(ctx, () => this.lr),
      lr,
      batch,
    );
  }

  /** Changes a knob, then starts over. */
  private restart(change: () => void): void {
    change();
    this.setup();
  }
}
