// The statements of each generated function, apart from any target: in topological order, what
// each computes (a kernel call, a scalar, a param's value), the `.nn` line it comes from, its math
// in `.nn` notation, and whether it belongs to the backward pass. Emitters turn each step into a
// line of code; `nnc grad --math` prints the backward steps' math.
import { differentiates, isScalar, originOf, type Node, type Origin } from "../../ir/node.ts";
import { toposort } from "../../ir/toposort.ts";
import { registry } from "../../ops/index.ts";
import type { KernelCall, KernelSet } from "./kernels.ts";
import { MathPrinter } from "./math.ts";
import { oneLine, sourceLine } from "../text.ts";
import type { FnPlan, Plan } from "./plan.ts";

export type StepKind =
  /** a tensor (or a reduction to a number) computed by a kernel */
  | { kind: "kernel"; call: KernelCall }
  /** a number computed from numbers, as one expression */
  | { kind: "scalar" }
  /** the value of a scalar param or state */
  | { kind: "leaf" }
  /** a one-element tensor read as a number, or a number stored as a one-element tensor */
  | { kind: "reshape" };

export type Step = StepKind & {
  node: Node;
  /** where the source writes it: for a backward value, the forward operation it differentiates */
  origin: Origin | undefined;
  /** `d_h.W = transpose(x) @ d_h_pre` */
  math: string;
  /** what the gradient rule that built it is (a fused rule says so), if it says anything */
  note: string | undefined;
  backward: boolean;
};

export interface FnSteps {
  fn: FnPlan;
  steps: Step[];
}

/** The steps of every function of the plan. */
export function scheduleSteps(plan: Plan, kernels: KernelSet): Record<FnPlan["name"], FnSteps> {
  const math = new MathPrinter(plan);
  // the forward pass: what the loss and the new state need; the rest serves the gradients
  const train = plan.model.train;
  const forward =
    train.stateUpdates.length === 0
      ? plan.fns.loss.nodes
      : new Set(
          toposort([...(train.loss ? [train.loss] : []), ...train.stateUpdates.map((u) => u.node)]),
        );
  // a node's step is the same in every function that computes it, but for `backward`
  const made = [new Map<Node, Step | null>(), new Map<Node, Step | null>()];
  const step = (n: Node, backward: boolean): Step | null => {
    // most nodes are computed inside another's loop: no step, nothing to keep
    if (plan.fused.has(n)) return null;
    const cache = made[backward ? 1 : 0]!;
    let s = cache.get(n);
    if (s === undefined) {
      const kind = stepKind(n, plan, kernels);
      s = kind ? annotate(kind, n, math, backward) : null;
      cache.set(n, s);
    }
    return s;
  };
  // training functions of the same order (trainStep and grad, without state) have the same steps
  const lists = new Map<readonly Node[], Step[]>();
  const of = (fn: FnPlan): FnSteps => {
    const training = fn.name !== "forward";
    let steps = training ? lists.get(fn.order) : undefined;
    if (steps) return { fn, steps };
    steps = [];
    for (const n of fn.order) {
      const s = step(n, training && !forward.has(n));
      if (s) steps.push(s);
    }
    if (training) lists.set(fn.order, steps);
    return { fn, steps };
  };
  const f = plan.fns;
  return { forward: of(f.forward), loss: of(f.loss), grad: of(f.grad), trainStep: of(f.trainStep) };
}

function stepKind(node: Node, plan: Plan, kernels: KernelSet): StepKind | null {
  if (node.op === "const" || node.op === "dimsize" || node.op === "input") return null;
  if (plan.fused.has(node) || plan.inlined.has(node) || plan.alias.has(node)) return null;
  const scalar = isScalar(node.shape);
  if (node.op === "param" || node.op === "state") return scalar ? { kind: "leaf" } : null;
  if (node.op === "reshape") return { kind: "reshape" };
  if (scalar && registry[node.op].kind === "elementwise") return { kind: "scalar" };
  return { kind: "kernel", call: kernels.call(node) };
}

function annotate(kind: StepKind, node: Node, math: MathPrinter, backward: boolean): Step {
  const from = differentiates(node);
  // an op that only gradient rules build (it has no rule of its own) carries its note itself
  const own = registry[node.op];
  const note = (own.grad ? undefined : own.gradNote) ?? (from && registry[from.op].gradNote);
  return {
    ...kind,
    node,
    origin: originOf(node),
    math: kind.kind === "leaf" ? "" : math.equation(node),
    note,
    backward,
  };
}
