// The module's type declarations: createModel's options, the params and state by their exact
// names, and the feed and result types of each entry point.
import { isScalar, type Shape } from "../ir/node.ts";
import type { Leaf } from "../ir/model.ts";
import { jsComment, jsString } from "./text.ts";
import type { Plan } from "./schedule/plan.ts";
import { slotNames } from "./js/optim.ts";

const field = (name: string, type: string, optional = false) =>
  `  ${jsString(name)}${optional ? "?" : ""}: ${type};`;

export function emitDts(plan: Plan): string {
  const arr = plan.array;
  const m = plan.model;
  const training = m.train.loss !== null;
  const feedType = (l: Leaf) => (isScalar(l.shape) ? "number" : `${arr} | ArrayLike<number>`);
  const valueType = (s: Shape) => (isScalar(s) ? "number" : arr);
  // object types, not interfaces: an object type of the model's names is also the generic
  // form's (a Record by any name), so that the module is a GeneratedModule (src/types.ts)
  const iface = (name: string, fields: string[], base = "") =>
    [`export type ${name} = ${base}{`, ...fields, "};"].join("\n");
  return [
    `// ${jsComment(m.name)}: the interface of the generated module.`,
    iface(
      "Params",
      m.params.map((p) => field(p.name, arr)),
    ),
    iface(
      "State",
      m.state.map((s) => field(s.name, arr)),
    ),
    ...(training
      ? [
          iface(
            "OptimizerSlots",
            slotNames(plan).map((k) => field(k, arr)),
          ),
        ]
      : []),
    iface(
      "Feed",
      m.inputs.map((l) => field(l.name, feedType(l))),
    ),
    iface(
      "TrainFeed",
      m.targets.map((l) => field(l.name, feedType(l))),
      "Feed & ",
    ),
    iface(
      "Outputs",
      m.infer.outputs.map((o) => field(o.name, valueType(o.node.shape))),
    ),
    iface(
      "Grads",
      plan.opts.grads.map((g) => field(g.name, arr)),
    ),
    iface("CreateOptions", [
      "  /** seed of the initializers and of dropout (default 1, as nnc train's) */",
      "  seed?: number;",
      "  /** initial values by param name, row-major */",
      "  params?: { [K in keyof Params]?: ArrayLike<number> };",
      "  /** every param and state array by name, as loadWeights returns them (a model's saved weights) */",
      "  weights?:",
      "    | ReadonlyMap<string, ArrayLike<number>>",
      "    | Readonly<Record<keyof Params | keyof State, ArrayLike<number>>>;",
      "  /** size the buffers of the named dim up front */",
      "  batch?: number;",
      "  /** the optimizer's learning rate */",
      "  lr?: number;",
    ]),
    iface("Model", [
      "  readonly params: Params;",
      "  readonly state: State;",
      "  /** inference mode; a Map also works as the feed */",
      "  forward(feed: Feed | Map<string, unknown>): Outputs;",
      ...(training
        ? [
            "  loss(feed: TrainFeed | Map<string, unknown>): number;",
            "  grad(feed: TrainFeed | Map<string, unknown>): { loss: number; grads: Grads };",
            "  trainStep(feed: TrainFeed | Map<string, unknown>): number;",
            "  /** sets the learning rate of the steps that follow */",
            "  setLearningRate(lr: number): void;",
            "  /**",
            "   * the schedule's learning rate for step `step` (0, 1, 2, ...: one per trainStep) of a run of",
            "   * `run.steps` steps, `run.stepsPerEpoch` per epoch (each needed only where the schedule uses it)",
            "   */",
            "  learningRate(step: number, run?: { steps?: number; stepsPerEpoch?: number }): number;",
            "  /** the optimizer's state: the steps taken, and its arrays by `<param>.<role>` */",
            "  readonly optimizer: { step: number; readonly slots: OptimizerSlots };",
          ]
        : ["  // inference only: the model has no `loss`, so no loss, grad or trainStep"]),
      "  /** restarts the random numbers (dropout masks) from `seed` */",
      "  reseed(seed: number): void;",
      "  /** where the random numbers are: `reseed(randomState())` later makes the same masks again */",
      "  randomState(): number;",
      "  readonly meta: typeof meta;",
    ]),
    iface("Meta", [
      "  name: string;",
      '  inputs: { name: string; shape: (number | string)[]; role: "input" | "target" }[];',
      "  params: { name: string; shape: (number | string)[] }[];",
      "  state: { name: string; shape: (number | string)[] }[];",
      "  outputs: { name: string; shape: (number | string)[] }[];",
      '  grads: { name: string; kind: "param" | "input" | "target" }[];',
      "  dims: string[];",
      '  dtype: "f32" | "f64";',
      "  /** where the kernels run; `targetNote` says why not the target asked for (wasm cannot run a kernel, f64, ...) */",
      '  target: "js" | "wasm";',
      "  targetNote?: string;",
      "  training: boolean;",
      "  optimizer: {",
      '    kind: "sgd" | "rmsprop" | "adam" | "adamw";',
      "    lr: number;",
      "    weight_decay: number;",
      "    /** the params weight decay applies to */",
      "    decay_params: string[];",
      "    /** steps: linear and cosine's horizon, when the file gives it */",
      "    schedule: {",
      '      kind: "constant" | "linear" | "cosine" | "step" | "exponential";',
      "      [arg: string]: number | string;",
      "    };",
      "    warmup: number;",
      "    /** the learning rate's factor per epoch */",
      "    decay: number;",
      "    [hyper: string]: unknown;",
      "  };",
    ]),
    "export declare function createModel(options?: CreateOptions): Model;",
    "export declare const meta: Meta;",
    "",
  ].join("\n\n");
}
