// nnc's optimizer in torch: torch.optim where its update is nnc's (checked formula by formula),
// and a small Optimizer of its own where torch's differs, so that training matches nnc.
import type { ModelIR } from "../ir/model.ts";
import { indent, pyFloat } from "./python.ts";

export interface OptimizerCode {
  /** module-level classes (a custom optimizer), if any */
  classes: string[];
  /** Model's methods: make_optimizer, lr_at */
  methods: string[];
}

const nncMomentum = `class NncMomentum(torch.optim.Optimizer):
    """nnc's momentum: v = momentum v - lr g, then p = p + v. torch.optim.SGD keeps b = -v / lr
    instead, which is the same while lr is constant but rescales the whole velocity when a
    schedule changes lr; this keeps nnc's update under any schedule."""

    def __init__(self, params, lr, momentum):
        super().__init__(params, dict(lr=lr, momentum=momentum))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                v = self.state[p].setdefault("velocity", torch.zeros_like(p))
                v.mul_(group["momentum"]).sub_(p.grad, alpha=group["lr"])
                p.add_(v)
`;

/** The torch optimizer's constructor call, and why its update is nnc's. */
function construct(model: ModelIR): { doc: string[]; call: string; custom: boolean } {
  const o = model.optimizer;
  const scheduled = (o.decay ?? 1) !== 1 || o.schedule !== undefined;
  if (o.kind === "sgd" && o.momentum === 0)
    return {
      doc: ["sgd: p = p - lr g, as torch.optim.SGD."],
      call: "torch.optim.SGD(self.parameters(), lr=lr)",
      custom: false,
    };
  if (o.kind === "sgd" && scheduled)
    return {
      doc: ["sgd with momentum and a schedule: NncMomentum (see there why not torch.optim.SGD)."],
      call: `NncMomentum(self.parameters(), lr=lr, momentum=${pyFloat(o.momentum)})`,
      custom: true,
    };
  if (o.kind === "sgd")
    return {
      doc: [
        "sgd with momentum: nnc's v = m v - lr g, p = p + v is torch.optim.SGD's b = m b + g,",
        "p = p - lr b with b = -v / lr (the same while lr is constant).",
      ],
      call: `torch.optim.SGD(self.parameters(), lr=lr, momentum=${pyFloat(o.momentum)})`,
      custom: false,
    };
  if (o.kind === "rmsprop")
    return {
      doc: [
        "rmsprop: s = rho s + (1 - rho) g^2, p = p - lr g / (sqrt(s) + eps), eps outside the",
        "square root: torch.optim.RMSprop's update with alpha = rho.",
      ],
      call: `torch.optim.RMSprop(self.parameters(), lr=lr, alpha=${pyFloat(o.rho)}, eps=${pyFloat(o.eps)})`,
      custom: false,
    };
  return {
    doc: [
      "adam: p = p - lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps), eps outside the square",
      "root: torch.optim.Adam's update, which writes it lr / (1 - b1^t) m / (sqrt(v) / sqrt(1 - b2^t) + eps).",
    ],
    call: `torch.optim.Adam(self.parameters(), lr=lr, betas=(${pyFloat(o.beta1)}, ${pyFloat(o.beta2)}), eps=${pyFloat(o.eps)})`,
    custom: false,
  };
}

export function optimizerMethods(model: ModelIR): OptimizerCode {
  const o = model.optimizer;
  const c = construct(model);
  const cosine =
    o.schedule?.kind === "cosine" ? " * (1 + math.cos(math.pi * (epoch - 1) / epochs)) / 2" : "";
  const methods = [
    `LR = ${pyFloat(o.lr)}`,
    "",
    "def make_optimizer(self, lr=None):",
    ...indent([
      `"""The model's optimizer over its params (lr: the model's unless given).`,
      "",
      ...c.doc,
      '"""',
      "lr = self.LR if lr is None else lr",
      `return ${c.call}`,
    ]),
    "",
    "def lr_at(self, epoch, epochs):",
    ...indent([
      `"""The learning rate of epoch 1..epochs, as nnc train schedules it."""`,
      `return self.LR * ${pyFloat(o.decay ?? 1)} ** (epoch - 1)${cosine}`,
    ]),
    "",
  ];
  return { classes: c.custom ? [nncMomentum] : [], methods };
}
