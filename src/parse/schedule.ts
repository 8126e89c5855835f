// `schedule:` of an optimizer: the learning rate over the steps of a run. A name (`cosine`) or a
// call (`linear(to: 0.1)`), read here rather than as an expression: `step` is also a function.
//   constant                          lr
//   linear(to: 0.1, steps?)           lr + (to - lr) * t / steps, then `to`
//   cosine(to: 0, steps?)             to + (lr - to) * (1 + cos(pi * t / steps)) / 2, then `to`
//   step(every: 10, factor: 0.5)      lr * factor ^ floor(t / every)
//   exponential(0.97, every: 1)       lr * rate ^ (t / every)
import type { ScheduleSpec } from "../ir/model.ts";
import { didYouMean } from "../diagnostics.ts";
import type { Arg, Expr } from "./ast.ts";
import { report, type Cx } from "./context.ts";
import { evalArgs, number, type Args, type ParamSpec } from "./args.ts";

type CallExpr = Extract<Expr, { kind: "call" }>;

const optional = (name: string): ParamSpec => ({ name, kind: "number", optional: true });

interface Kind {
  specs: ParamSpec[];
  build(a: Args): ScheduleSpec;
  /** what is wrong with the values, or null */
  check(s: ScheduleSpec): string | null;
}

const positiveInt = (name: string, v: number | undefined) =>
  v === undefined || (Number.isInteger(v) && v >= 1)
    ? null
    : `\`${name}\` must be a positive whole number of steps, got ${v}`;
const rate = (name: string, v: number) =>
  v > 0 && v <= 1
    ? null
    : `\`${name}\` multiplies the learning rate: it must be in (0, 1], got ${v}`;
const target = (v: number) =>
  v >= 0 && Number.isFinite(v) ? null : `\`to\` is a learning rate: it must be 0 or more, got ${v}`;

/** `to` and an optional horizon, as `linear` and `cosine` take them. */
function annealing(kind: "linear" | "cosine", to?: number): Kind {
  return {
    specs:
      to === undefined ? [number("to"), optional("steps")] : [number("to", to), optional("steps")],
    build: (a) => {
      const steps = a.n("steps") as number | undefined;
      return { kind, to: a.n("to"), ...(steps !== undefined ? { steps } : {}) };
    },
    check: (s) => (s.kind === kind ? (target(s.to) ?? positiveInt("steps", s.steps)) : null),
  };
}

const kinds: Record<ScheduleSpec["kind"], Kind> = {
  constant: { specs: [], build: () => ({ kind: "constant" }), check: () => null },
  linear: annealing("linear"),
  cosine: annealing("cosine", 0),
  step: {
    specs: [number("every"), number("factor")],
    build: (a) => ({ kind: "step", every: a.n("every"), factor: a.n("factor") }),
    check: (s) =>
      s.kind === "step" ? (positiveInt("every", s.every) ?? rate("factor", s.factor)) : null,
  },
  exponential: {
    specs: [number("rate"), number("every", 1)],
    build: (a) => ({ kind: "exponential", rate: a.n("rate"), every: a.n("every") }),
    check: (s) =>
      s.kind === "exponential" ? (rate("rate", s.rate) ?? positiveInt("every", s.every)) : null,
  },
};

/** A call, or a bare name as the call without arguments (`cosine`, `sgd`); null otherwise. */
export function asCall(e: Expr): CallExpr | null {
  if (e.kind === "call") return e;
  if (e.kind === "name") return { kind: "call", callee: e.name, args: [], piped: false, at: e.at };
  return null;
}

const isKind = (name: string): name is ScheduleSpec["kind"] => Object.hasOwn(kinds, name);

/** The schedule an optimizer's `schedule:` argument names; null after reporting a bad one. */
export function lowerSchedule(cx: Cx, arg: Arg): ScheduleSpec | null {
  const call = asCall(arg.value);
  const names = Object.keys(kinds);
  if (!call || !isKind(call.callee)) {
    const hint = call ? didYouMean(call.callee, names) : "";
    report(
      cx.m,
      "NN2004",
      call?.at ?? arg.at,
      `\`schedule\` must be one of ${names.map((n) => `\`${n}\``).join(", ")}${hint}, ` +
        "e.g. `schedule: linear(to: 0.1)`",
    );
    return null;
  }
  const kind = kinds[call.callee];
  const args = evalArgs(cx, call.callee, kind.specs, call);
  if (!args) return null;
  const spec = kind.build(args);
  const problem = kind.check(spec);
  if (problem) {
    report(cx.m, "NN3005", call.at, `${problem} (in \`${call.callee}\`)`);
    return null;
  }
  return spec;
}
