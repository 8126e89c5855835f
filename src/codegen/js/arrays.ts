// The JS target's buffers: typed arrays allocated by createModel, and kernels that are JS
// functions of them at module scope (js/kernels.ts).
import { isScalar } from "../../ir/node.ts";
import type { KernelSet } from "../schedule/kernels.ts";
import type { MemoryPlan } from "../schedule/memory.ts";
import type { Plan } from "../schedule/plan.ts";
import type { BufferAccess } from "./entry.ts";
import { kernelFunction, type KernelOptions } from "./kernels.ts";
import type { Backend } from "./module.ts";
import { optimizer, type Copy } from "./optim.ts";
import { buffers, params, stateDecls, weightsOption } from "./storage.ts";

const copy: Copy = (to, from) => `${to}.set(${from});`;

const access = (plan: Plan): BufferAccess => ({
  call(step, scalar) {
    const { kernel, tensors, scalars } = step.call;
    const result = isScalar(step.node.shape) ? ["$cell"] : [];
    const rng = kernel.spec.kind === "dropout_mask" ? ["$rng"] : [];
    const args = [
      ...tensors.map((t) => plan.nameOf(t)),
      ...result,
      ...rng,
      ...(scalars.length > 0 ? ["$scalars"] : []),
      ...kernel.dims.map((d) => plan.dim(d)),
    ];
    // the kernel's scalars go through $scalars (js/kernels.ts says why)
    const set = scalars.map((s, i) => `$scalars[${i}] = ${scalar(s)};`);
    return [...set, `${kernel.name}(${args.join(", ")});`];
  },
  result: "$cell[0]",
  copyIn: (buffer, source) => `${buffer}.set(${source});`,
  first: (buffer) => `${buffer}[0]`,
  stale: (view, buffer, size) =>
    `${view}.buffer !== ${buffer}.buffer || ${view}.length !== ${size}`,
  view: (buffer, size) => `${buffer}.subarray(0, ${size})`,
  copy,
  viewsPerCall: false,
  initialView: (buffer) => buffer,
});

export function jsBackend(
  plan: Plan,
  kernels: KernelSet,
  memory: MemoryPlan,
  options: KernelOptions,
): Backend {
  const kernelText = new Map(kernels.all().map((k) => [k.name, kernelFunction(k, options)]));
  return {
    label: plan.opts.dtype,
    access: access(plan),
    moduleScope: () => [...kernelText.values()].flatMap((k) => [...k, ""]),
    storage: () => [
      `const $scalars = new Float64Array(${scalarSlots(kernels.all())});`,
      ...params(plan),
      ...stateDecls(plan),
      ...weightsOption(plan),
      ...buffers(plan, memory),
    ],
    kernelText,
    optimizer: (scalar) => optimizer(plan, scalar, copy),
  };
}

/** The slots of `$scalars`: the most scalars any kernel takes, at least one. */
function scalarSlots(kernels: readonly { scalars: number }[]): number {
  let slots = 1;
  for (const k of kernels) if (k.scalars > slots) slots = k.scalars;
  return slots;
}
