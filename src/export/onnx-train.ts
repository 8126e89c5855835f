// The optimizer's update as ONNX nodes, with the formulas of the generated trainStep, where g is
// the loss's gradient plus wd p for a param that weight decay applies to (coupled decay):
//   sgd       p' = p - lr g
//   momentum  v' = mu v - lr g;  p' = p + v'
//   rmsprop   s' = rho s + (1 - rho) g^2;  p' = p - lr g / (sqrt(s') + eps)
//   adam      t' = t + 1;  m' = b1 m + (1 - b1) g;  v' = b2 v + (1 - b2) g^2;
//             p' = p - lr (m' / (1 - b1^t')) / (sqrt(v' / (1 - b2^t')) + eps)
//   adamw     adam's step on the loss's gradient, from p - lr wd p (decoupled decay, as
//             PyTorch's AdamW) instead of p
// Its state enters as graph inputs `optimizer:NAME:SLOT` (zeros at the start) and `optimizer:step`
// (adam's count of steps taken, 0 at the start), the learning rate as `optimizer:lr`: the caller
// computes the schedule's rate of each step, as `nnc train` sets the module's rate before each
// trainStep (the rate depends on the run's length, which the step cannot know).
import type { ModelIR, OptimizerSpec } from "../ir/model.ts";
import type { Shape } from "../ir/node.ts";
import type { OnnxGraph } from "./onnx-graph.ts";
import { decayOf, isAdam, optimizerSlots } from "./optimizer.ts";

/** One new value of the step: a param, or a piece of optimizer state. */
export interface Updated {
  name: string;
  value: string;
  shape: Shape;
}

/** The step's values every param's update reads. */
interface Shared {
  lr: string;
  /** adam's bias corrections 1 - b1^t', 1 - b2^t' */
  corrections: [string, string] | null;
}

/**
 * Declares the optimizer's inputs and returns the new params and optimizer state; `gradOf` gives
 * the ONNX value of a param's gradient, `param` the value of the param itself.
 */
export function optimizerUpdate(
  g: OnnxGraph,
  model: ModelIR,
  param: (name: string) => string,
  gradOf: (name: string) => string,
): Updated[] {
  const o = model.optimizer;
  const shared: Shared = { lr: g.input("optimizer:lr", []), corrections: null };
  const out: Updated[] = [];
  if (isAdam(o)) {
    const t = g.op("Add", [g.input("optimizer:step", []), g.scalar(1)], {}, "step");
    out.push({ name: "optimizer:step", value: t, shape: [] });
    const correction = (beta: number) =>
      g.op("Sub", [g.scalar(1), g.op("Pow", [g.scalar(beta), t])], {}, "correction");
    shared.corrections = [correction(o.beta1), correction(o.beta2)];
  }
  const roles = optimizerSlots(o);
  for (const p of model.params) {
    const shape = p.shape as number[];
    const slots = roles.map((s) => g.input(`optimizer:${p.name}:${s}`, shape));
    const next = paramUpdate(g, o, shared, decayOf(o, p.name), param(p.name), gradOf(p.name));
    const step = next.step(slots);
    out.push({ name: p.name, value: g.op("Sub", [next.from, step.delta], {}, p.name), shape });
    step.slots.forEach((value, i) =>
      out.push({ name: `optimizer:${p.name}:${roles[i]!}`, value, shape }),
    );
  }
  return out;
}

/**
 * Weight decay, as the param's update sees it: the gradient the step reads (g + wd p, coupled),
 * the value the step moves from (p - lr wd p, adamw's decoupled decay), and the step itself.
 */
function paramUpdate(
  g: OnnxGraph,
  o: OptimizerSpec,
  shared: Shared,
  wd: number,
  value: string,
  grad: string,
) {
  const mul = (a: string, b: string) => g.op("Mul", [a, b]);
  const decoupled = o.kind === "adamw";
  const decayed = wd > 0 && !decoupled ? g.op("Add", [grad, mul(g.scalar(wd), value)]) : grad;
  const from =
    wd > 0 && decoupled
      ? g.op("Sub", [value, mul(mul(shared.lr, g.scalar(wd)), value)], {}, "decayed")
      : value;
  return { from, step: (slots: string[]) => paramStep(g, o, shared, decayed, slots) };
}

/** How much a param moves down (p' = p - delta), and its new optimizer state. */
function paramStep(
  g: OnnxGraph,
  o: OptimizerSpec,
  { lr, corrections }: Shared,
  grad: string,
  slots: string[],
): { delta: string; slots: string[] } {
  const op = (type: string, ...xs: string[]) => g.op(type, xs);
  const k = (v: number) => g.scalar(v);
  const lrg = () => op("Mul", lr, grad);
  if (o.kind === "sgd" && o.momentum === 0) return { delta: lrg(), slots: [] };
  if (o.kind === "sgd") {
    const v = op("Sub", op("Mul", k(o.momentum), slots[0]!), lrg());
    return { delta: op("Neg", v), slots: [v] };
  }
  const square = op("Mul", grad, grad);
  if (o.kind === "rmsprop") {
    const s = op("Add", op("Mul", k(o.rho), slots[0]!), op("Mul", k(1 - o.rho), square));
    return { delta: op("Div", lrg(), op("Add", op("Sqrt", s), k(o.eps))), slots: [s] };
  }
  const [c1, c2] = corrections!;
  const m = op("Add", op("Mul", k(o.beta1), slots[0]!), op("Mul", k(1 - o.beta1), grad));
  const v = op("Add", op("Mul", k(o.beta2), slots[1]!), op("Mul", k(1 - o.beta2), square));
  const denom = op("Add", op("Sqrt", op("Div", v, c2)), k(o.eps));
  return { delta: op("Div", op("Mul", lr, op("Div", m, c1)), denom), slots: [m, v] };
}
