// The optimizer's update as ONNX nodes, with the formulas of the generated trainStep:
//   sgd       p' = p - lr g
//   momentum  v' = mu v - lr g;  p' = p + v'
//   rmsprop   s' = rho s + (1 - rho) g^2;  p' = p - lr g / (sqrt(s') + eps)
//   adam      t' = t + 1;  m' = b1 m + (1 - b1) g;  v' = b2 v + (1 - b2) g^2;
//             p' = p - lr (m' / (1 - b1^t')) / (sqrt(v' / (1 - b2^t')) + eps)
// Its state enters as graph inputs `optimizer:NAME:SLOT` (zeros at the start) and `optimizer:step`
// (adam's count of steps taken, 0 at the start), the learning rate as `optimizer:lr`.
import type { ModelIR, OptimizerSpec } from "../ir/model.ts";
import type { Shape } from "../ir/node.ts";
import type { OnnxGraph } from "./onnx-graph.ts";

/** The per-param state of each optimizer, by slot name. */
export function optimizerSlots(o: OptimizerSpec): string[] {
  if (o.kind === "sgd") return o.momentum === 0 ? [] : ["velocity"];
  return o.kind === "rmsprop" ? ["meansquare"] : ["m", "v"];
}

/** One new value of the step: a param, or a piece of optimizer state. */
export interface Updated {
  name: string;
  value: string;
  shape: Shape;
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
  const input = (name: string, shape: number[]): string => g.input(name, shape);
  const lr = input("optimizer:lr", []);
  const out: Updated[] = [];
  let corrections: [string, string] | null = null;
  if (o.kind === "adam") {
    const t = g.op("Add", [input("optimizer:step", []), g.scalar(1)], {}, "step");
    out.push({ name: "optimizer:step", value: t, shape: [] });
    const correction = (beta: number) =>
      g.op("Sub", [g.scalar(1), g.op("Pow", [g.scalar(beta), t])], {}, "correction");
    corrections = [correction(o.beta1), correction(o.beta2)];
  }
  for (const p of model.params) {
    const shape = p.shape as number[];
    const slots = optimizerSlots(o).map((s) => input(`optimizer:${p.name}:${s}`, shape));
    const step = paramStep(g, o, lr, gradOf(p.name), slots, corrections);
    out.push({ name: p.name, value: g.op("Sub", [param(p.name), step.delta], {}, p.name), shape });
    step.slots.forEach((value, i) =>
      out.push({ name: `optimizer:${p.name}:${optimizerSlots(o)[i]!}`, value, shape }),
    );
  }
  return out;
}

/** How much a param moves down (p' = p - delta), and its new optimizer state. */
function paramStep(
  g: OnnxGraph,
  o: OptimizerSpec,
  lr: string,
  grad: string,
  slots: string[],
  corrections: [string, string] | null,
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
