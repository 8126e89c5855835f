// nnc's optimizer in torch: torch.optim where its update is nnc's (checked formula by formula
// against torch 1.13), and a small Optimizer of its own where torch's differs, so that training
// matches nnc. Weight decay goes through param groups: the params `decayParams` names carry the
// decay, the others 0. And `lr_at`, the generated module's `learningRate` in Python.
import type { ModelIR, OptimizerSpec, ScheduleSpec } from "../ir/model.ts";
import { scheduleText } from "../codegen/js/optim.ts";
import { decays } from "./optimizer.ts";
import { indent, pyFloat } from "./python.ts";
import { pyString } from "../codegen/text.ts";

export interface OptimizerCode {
  /** module-level classes (a custom optimizer), if any */
  classes: string[];
  /** Model's constants and methods: make_optimizer, param_groups, lr_at */
  methods: string[];
}

const nncMomentum = `class NncMomentum(torch.optim.Optimizer):
    """nnc's momentum: v = momentum v - lr (g + weight_decay p), then p = p + v. torch.optim.SGD
    keeps b = -v / lr instead (b = momentum b + g, p = p - lr b), which is the same while lr is
    constant but rescales the whole velocity whenever lr changes (a schedule, lr_at,
    set_learning_rate, a torch lr_scheduler); this keeps nnc's update under any rates."""

    def __init__(self, params, lr, momentum, weight_decay=0.0):
        super().__init__(params, dict(lr=lr, momentum=momentum, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad.add(p, alpha=group["weight_decay"]) if group["weight_decay"] else p.grad
                v = self.state[p].setdefault("velocity", torch.zeros_like(p))
                v.mul_(group["momentum"]).sub_(g, alpha=group["lr"])
                p.add_(v)
`;

interface Construction {
  doc: string[];
  /** the constructor, of `params` */
  call: (params: string) => string;
  custom: boolean;
}

const betas = (o: OptimizerSpec) =>
  `betas=(${pyFloat(o.beta1)}, ${pyFloat(o.beta2)}), eps=${pyFloat(o.eps)}`;

const adamDoc = [
  "p = p - lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps), eps outside the square root:",
  "torch's update, which writes it lr / (1 - b1^t) m / (sqrt(v) / sqrt(1 - b2^t) + eps)",
];

const plainSgd: Construction = {
  doc: ["sgd: p = p - lr g, as torch.optim.SGD."],
  call: (ps) => `torch.optim.SGD(${ps}, lr=lr)`,
  custom: false,
};

/**
 * torch.optim.SGD's momentum is nnc's only while the rate is constant: every change of the rate
 * (lr_at, set_learning_rate, a torch lr_scheduler) would rescale its velocity.
 */
const momentum = (o: OptimizerSpec): Construction => ({
  doc: ["sgd with momentum: NncMomentum (see there why not torch.optim.SGD)."],
  call: (ps) => `NncMomentum(${ps}, lr=lr, momentum=${pyFloat(o.momentum)})`,
  custom: true,
});

/** Each optimizer's torch constructor, and why its update is nnc's. */
const constructions: Record<OptimizerSpec["kind"], (o: OptimizerSpec) => Construction> = {
  sgd: (o) => (o.momentum === 0 ? plainSgd : momentum(o)),
  rmsprop: (o) => ({
    doc: [
      "rmsprop: s = rho s + (1 - rho) g^2, p = p - lr g / (sqrt(s) + eps), eps outside the",
      "square root: torch.optim.RMSprop's update with alpha = rho.",
    ],
    call: (ps) =>
      `torch.optim.RMSprop(${ps}, lr=lr, alpha=${pyFloat(o.rho)}, eps=${pyFloat(o.eps)})`,
    custom: false,
  }),
  adam: (o) => ({
    doc: [`adam: ${adamDoc[0]}`, `${adamDoc[1]}.`],
    call: (ps) => `torch.optim.Adam(${ps}, lr=lr, ${betas(o)})`,
    custom: false,
  }),
  // torch's AdamW decays by 0.01 unless told: the groups, or weight_decay=0.0, always tell it
  adamw: (o) => ({
    doc: [
      "adamw: p = p - lr wd p (decoupled weight decay), then Adam's step on the loss's gradient,",
      adamDoc[0]!,
      `${adamDoc[1]}.`,
      "torch.optim.AdamW decays first too, writing it p = p (1 - lr wd): the same up to rounding.",
    ],
    call: (ps) => `torch.optim.AdamW(${ps}, lr=lr, ${betas(o)}, weight_decay=0.0)`,
    custom: false,
  }),
};

/** How the optimizer's weight decay reaches torch, for the docstring. */
function decayDoc(o: OptimizerSpec): string[] {
  if (!decays(o)) return [];
  const how =
    o.kind === "adamw"
      ? "decoupled, as above"
      : "coupled: g + wd p in place of g, torch's weight_decay";
  return ["", `Weight decay ${pyFloat(o.weightDecay!)} on DECAY_PARAMS (param_groups), ${how}.`];
}

/** `param_groups`: the params weight decay applies to, with it, and the others without. */
function groups(o: OptimizerSpec): string[] {
  return [
    `WEIGHT_DECAY = ${pyFloat(o.weightDecay ?? 0)}`,
    `DECAY_PARAMS = (${(o.decayParams ?? []).map((n) => `${pyString(n)},`).join(" ")})`,
    "",
    "def param_groups(self):",
    ...indent([
      `"""The params as torch.optim's groups: those weight decay applies to (DECAY_PARAMS), with`,
      'weight_decay=WEIGHT_DECAY, and the others with 0."""',
      "params = self.nn_params()",
      "decayed = [p for n, p in params.items() if n in self.DECAY_PARAMS]",
      "rest = [p for n, p in params.items() if n not in self.DECAY_PARAMS]",
      "groups = [dict(params=decayed, weight_decay=self.WEIGHT_DECAY), dict(params=rest, weight_decay=0.0)]",
      'return [g for g in groups if g["params"]]',
    ]),
    "",
  ];
}

export function optimizerMethods(model: ModelIR): OptimizerCode {
  const o = model.optimizer;
  const c = constructions[o.kind](o);
  const params = decays(o) ? "self.param_groups()" : "self.parameters()";
  const methods = [
    `LR = ${pyFloat(o.lr)}`,
    ...(decays(o) ? groups(o) : [""]),
    "def make_optimizer(self, lr=None):",
    ...indent([
      `"""The model's optimizer over its params (lr: the model's unless given).`,
      "",
      ...c.doc,
      ...decayDoc(o),
      '"""',
      "lr = self.LR if lr is None else lr",
      `return ${c.call(params)}`,
    ]),
    "",
    ...lrAt(o),
    "",
  ];
  return { classes: c.custom ? [nncMomentum] : [], methods };
}

/** What the rate is over a run, in words, for the docstring. */
function describe(o: OptimizerSpec): string {
  const warmup = o.warmup ?? 0;
  const decay = o.decay ?? 1;
  return (
    (warmup > 0 ? `linear warmup over ${warmup} steps, then ` : "") +
    scheduleText(o.schedule ?? { kind: "constant" }) +
    (decay !== 1 ? `, times ${decay} per epoch` : "")
  );
}

/**
 * lr_at(step, steps, steps_per_epoch): the generated module's learningRate(step, { steps,
 * stepsPerEpoch }) line for line: the schedule at u = step - warmup, times (step + 1) / warmup
 * during the warmup, times decay per epoch.
 */
function lrAt(o: OptimizerSpec): string[] {
  const s = o.schedule ?? { kind: "constant" };
  const warmup = o.warmup ?? 0;
  const decay = o.decay ?? 1;
  const horizon = (s.kind === "linear" || s.kind === "cosine") && s.steps === undefined;
  const need = (arg: string, why: string) => [
    `if not isinstance(${arg}, int) or ${arg} < 1:`,
    `    raise ValueError(f"lr_at(step, ${arg}) needs ${why}, a positive integer; got {${arg}!r}")`,
  ];
  return [
    "def lr_at(self, step, steps=None, steps_per_epoch=None):",
    ...indent([
      `"""The learning rate of step \`step\` (0, 1, 2, ...: one per optimizer step) of a run of`,
      "`steps` steps, `steps_per_epoch` to an epoch, as nnc train sets it before every step (the",
      `generated module's learningRate): ${describe(o)}."""`,
      "if not isinstance(step, int) or step < 0:",
      '    raise ValueError(f"lr_at expects a step number 0, 1, 2, ..., got {step!r}")',
      ...(horizon ? need("steps", `the length of the run in steps for ${scheduleText(s)}`) : []),
      ...(decay !== 1 ? need("steps_per_epoch", `the steps of an epoch for decay: ${decay}`) : []),
      "base = self.LR",
      ...(s.kind === "constant" ? [] : [`u = ${warmup > 0 ? `max(0, step - ${warmup})` : "step"}`]),
      `rate = ${rateExpr(s, warmup)}`,
      ...(warmup > 0 ? [`if step < ${warmup}:`, `    rate *= (step + 1) / ${warmup}`] : []),
      ...(decay !== 1 ? [`rate *= ${pyFloat(decay)} ** (step // steps_per_epoch)`] : []),
      "return rate",
    ]),
  ];
}

/** The schedule's rate at step `u` after the warmup, of the base rate `base`. */
function rateExpr(s: ScheduleSpec, warmup: number): string {
  const steps = (declared?: number) =>
    declared !== undefined
      ? String(Math.max(1, declared - warmup))
      : warmup > 0
        ? `max(1, steps - ${warmup})`
        : "max(1, steps)";
  switch (s.kind) {
    case "constant":
      return "base";
    case "linear":
      return `base + (${pyFloat(s.to)} - base) * min(1, u / ${steps(s.steps)})`;
    case "cosine":
      return `${pyFloat(s.to)} + ((base - ${pyFloat(s.to)}) * (1 + math.cos(math.pi * min(1, u / ${steps(s.steps)})))) / 2`;
    case "step":
      return `base * ${pyFloat(s.factor)} ** (u // ${s.every})`;
    case "exponential":
      return `base * ${pyFloat(s.rate)} ** (u / ${s.every})`;
  }
}
