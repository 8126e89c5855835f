// The Train tab's controls and texts: the data sets, each classic model's recipe, the noise
// slider, the optimizer choice (written into the source) and the lessons.
import { toyNoise, type ToyKind } from "nnc";
import type { Ctx } from "./app.ts";
import { h, labelled, select } from "./dom.ts";
import {
  choiceOf,
  optimizerOf,
  optimizerText,
  withOptimizer,
  type OptimizerChoice,
} from "./optimizer-edit.ts";
import type { ToyInfo } from "./toy-session.ts";

export const kinds: [ToyKind, string][] = [
  ["xor", "XOR"],
  ["circles", "circles"],
  ["blobs", "Gaussian blobs"],
  ["spirals", "spirals"],
  ["moons", "moons"],
];

/** The data (and batch) each classic model of models/ trains on, as its recipe says. */
export const recipes: Record<string, [ToyKind, number]> = {
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

/** The noise slider of a data set (0 to three times its usual noise) and its value's text. */
export function noiseSlider(kind: ToyKind, value: number, set: (v: number) => void): HTMLElement[] {
  const noise = h("input", {
    type: "range",
    min: 0,
    max: 3 * toyNoise[kind],
    step: toyNoise[kind] / 10,
    "aria-label": "noise",
  });
  noise.value = String(value);
  const text = h("span", {}, value.toFixed(2));
  noise.addEventListener("input", () => (text.textContent = Number(noise.value).toFixed(2)));
  noise.addEventListener("change", () => set(Number(noise.value)));
  return [labelled("noise", noise), text];
}

const optimizers: [OptimizerChoice, string][] = [
  ["sgd", "sgd"],
  ["momentum", "sgd + momentum"],
  ["rmsprop", "rmsprop"],
  ["adam", "adam"],
  ["adamw", "adamw"],
];

/** The optimizer of the model, as a choice that rewrites the source's optimizer statement. */
export function optimizerChoice(ctx: Ctx, lr: () => number | undefined): HTMLLabelElement {
  const current = optimizerOf(ctx.source, ctx.model);
  const opt = select(optimizers, (current && choiceOf(current)) ?? "sgd", {
    "aria-label": "optimizer",
    title: "writes the optimizer into the source",
  });
  opt.addEventListener("change", () => {
    const text = optimizerText(opt.value as OptimizerChoice, lr() ?? 0.1);
    ctx.edit(withOptimizer(ctx.source, ctx.model, text));
  });
  return labelled("optimizer", opt);
}

export function targetText(info: ToyInfo): string {
  const note = info.targetNote ? ` (${info.targetNote})` : "";
  return `${info.model}: ${info.optimizer}, ${info.classes} classes, the ${info.target} target${note}, in a Web Worker`;
}

/** Buttons for the classic lessons: the vanishing gradient in eight layers. */
export function lessons(ctx: Ctx): HTMLElement {
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
