// Every optimizer's update of one element, written out by hand: the optimizer statement, and the
// new value from the value p, its gradient g, whether weight decay applies to it (d), its state
// (st, updated in place) and the step number t (from 1).
export type Update = (p: number, g: number, d: boolean, st: number[], t: number) => number;

const adamStep = (p: number, g: number, st: number[], t: number, lr: number) => {
  st[0] = 0.9 * st[0]! + 0.1 * g;
  st[1] = 0.999 * st[1]! + 0.001 * g * g;
  return p - (lr * (st[0] / (1 - 0.9 ** t))) / (Math.sqrt(st[1] / (1 - 0.999 ** t)) + 1e-8);
};

const wd = 0.3;

export const updates: [string, Update][] = [
  [`sgd(lr: 0.1, weight_decay: ${wd})`, (p, g, d) => p - 0.1 * (g + (d ? wd : 0) * p)],
  [
    `sgd(lr: 0.1, momentum: 0.9, weight_decay: ${wd})`,
    (p, g, d, st) => {
      st[0] = 0.9 * st[0]! - 0.1 * (g + (d ? wd : 0) * p);
      return p + st[0];
    },
  ],
  [
    `rmsprop(lr: 0.01, weight_decay: ${wd})`,
    (p, g, d, st) => {
      const gd = g + (d ? wd : 0) * p;
      st[0] = 0.9 * st[0]! + 0.1 * gd * gd;
      return p - (0.01 * gd) / (Math.sqrt(st[0]) + 1e-7);
    },
  ],
  // coupled: Adam's moments see g + wd p
  [
    `adam(lr: 0.01, weight_decay: ${wd})`,
    (p, g, d, st, t) => adamStep(p, g + (d ? wd : 0) * p, st, t, 0.01),
  ],
  // decoupled, as PyTorch's AdamW: p -= lr wd p, then Adam's step on the loss's gradient
  [
    `adamw(lr: 0.01, weight_decay: ${wd})`,
    (p, g, d, st, t) => adamStep(p - 0.01 * (d ? wd : 0) * p, g, st, t, 0.01),
  ],
];
