// The wasm target's side of the generated module: the kernels compiled into one WebAssembly
// module (embedded in the JS module, compiled once when it loads), and every tensor of a model in
// one memory: a fixed part (params, state, optimizer state, buffers of fixed size) at offsets
// known here, then the buffers sized by named dims, laid out by `$ensure` for the largest size seen.
// The entry points are the JS target's, calling the wasm kernels with byte offsets.
//
// The memory is shared (a SharedArrayBuffer's) where the engine allows it: growing a shared
// memory leaves every view of it valid, so `m.params["h.W"]`, held by a user, stays valid after a
// call with a larger batch. Where it cannot be shared (a browser page that is not cross-origin
// isolated), `m.params` hands out fresh views after growth.
import { isScalar, type Node, type Shape } from "../../ir/node.ts";
import type { BufferAccess } from "../js/entry.ts";
import type { Backend } from "../js/module.ts";
import { optimizer, type Copy, type UpdateTarget } from "../js/optim.ts";
import {
  bufferNodes,
  params as jsParams,
  stateDecls as jsState,
  weightsOption,
} from "../js/storage.ts";
import type { KernelSet } from "../schedule/kernels.ts";
import type { MemoryPlan } from "../schedule/memory.ts";
import { jsComment, jsString, sourceLine } from "../text.ts";
import type { FnName, Plan } from "../schedule/plan.ts";
import type { FnSteps } from "../schedule/steps.ts";
import { base64, encode } from "./encode.ts";
import { checkBytes } from "./limits.ts";
import type { Func, Module } from "./module.ts";
import { wasmKernel, wasmUpdate, type ArgRef, type WasmKernel } from "./target.ts";
import { printWat } from "./wat.ts";

/** 2 GiB: the kernels' byte offsets are signed i32s. */
const MAX_PAGES = 32768;

export interface WasmModule {
  backend: Backend;
  /** the WebAssembly text of the module, for `--emit wat` */
  wat: () => string;
  bytes: Uint8Array;
}

/** The wasm target for a plan, or why its kernels cannot all be wasm ones. */
export function wasmBackend(
  plan: Plan,
  kernels: KernelSet,
  memory: MemoryPlan,
  steps: Record<FnName, FnSteps>,
): WasmModule | string {
  if (plan.opts.dtype !== "f32") return "the wasm target computes in f32 only";
  const built = new Map<string, WasmKernel>();
  const uses = kernelUses(steps);
  for (const k of kernels.all()) {
    const w = wasmKernel(k, exportName(k.name));
    if (typeof w === "string") return `${k.name.slice(1)}: ${w}`;
    const comments = uses.get(k.name) ?? [];
    built.set(k.name, {
      ...w,
      funcs: w.funcs.map((f) => ({ ...f, comments: [...comments, ...(f.comments ?? [])] })),
    });
  }
  const layout = new Layout(plan, memory, scratchOf(plan, built));
  const updates = wasmUpdates(plan, layout);
  const funcs = (): Func[] => [...[...built.values()].flatMap((w) => w.funcs), ...updates.funcs];
  const module = (): Module => ({
    memory: { min: 1, max: MAX_PAGES, shared: true, import: { module: "env", field: "memory" } },
    imports: [],
    funcs: funcs().map((f) => ({ ...f, export: f.name })),
  });
  let bytes: Uint8Array | null = null;
  const encoded = () => (bytes ??= encode(module()));
  const backend: Backend = {
    label: "f32, WebAssembly SIMD",
    access: access(plan, built, layout),
    moduleScope: () => moduleScope(encoded()),
    storage: () => layout.storage(),
    kernelText: new Map(),
    optimizer: (scalar) => optimizer(plan, scalar, copy, updates.target),
  };
  return {
    backend,
    wat: () => printWat(module()),
    get bytes() {
      return encoded();
    },
  };
}

/** For each kernel, what it computes where: `line 7: z = h |> dense(10): d_h = d_z @ ...`. */
function kernelUses(steps: Record<FnName, FnSteps>): Map<string, string[]> {
  // sets: a kernel may serve thousands of steps (a block's layer inlined at every call)
  const uses = new Map<string, Set<string>>();
  for (const f of Object.values(steps))
    for (const s of f.steps) {
      if (s.kind !== "kernel") continue;
      const where = s.origin ? `line ${s.origin.line}: ${sourceLine(s.origin.text)}: ` : "";
      const text = `${where}${s.math}`;
      const set = uses.get(s.call.kernel.name) ?? new Set();
      uses.set(s.call.kernel.name, set.add(text));
    }
  return new Map([...uses].map(([k, set]) => [k, [...set]]));
}

/** `$matmul_nn_64x784x128` is exported as `matmul_nn_64x784x128`. */
const exportName = (name: string) => name.replace(/^\$/, "");

/** The scratch buffer each kernel computed through two calls needs, by kernel name. */
function scratchOf(
  plan: Plan,
  built: Map<string, WasmKernel>,
): Map<string, { name: string; shape: Shape }> {
  const out = new Map<string, { name: string; shape: Shape }>();
  for (const [k, w] of built)
    if (w.scratch)
      out.set(k, { name: plan.sys.fresh(`scratch_${exportName(k)}`), shape: w.scratch });
  return out;
}

const copy: Copy = (to, from, size) =>
  `$f32.copyWithin(${to} >> 2, ${from} >> 2, (${from} >> 2) + ${size});`;

function access(plan: Plan, built: Map<string, WasmKernel>, layout: Layout): BufferAccess {
  return {
    call(step, scalar) {
      const w = built.get(step.call.kernel.name)!;
      const { tensors, scalars } = step.call;
      const arg = (a: ArgRef) => {
        switch (a.kind) {
          case "tensor":
            return a.index < tensors.length ? plan.nameOf(tensors[a.index]!) : "$result";
          case "scalar":
            return scalar(scalars[a.index]!);
          case "size":
            return plan.size(a.dims);
          case "dim":
            return plan.dim(a.name);
          case "rng":
            return "$rng[0]";
          case "scratch":
            return layout.scratch.get(step.call.kernel.name)!.name;
        }
      };
      return w.calls.map((c) => {
        const call = `$k.${c.func}(${c.args.map(arg).join(", ")})`;
        return c.args.some((a) => a.kind === "rng") ? `$rng[0] = ${call};` : `${call};`;
      });
    },
    result: "$f32[$result >> 2]",
    copyIn: (buffer, source) => `$f32.set(${source}, ${buffer} >> 2);`,
    first: (buffer) => `$f32[${buffer} >> 2]`,
    stale: (view, buffer, size) => `$stale(${view}, $f32, ${buffer}, ${size})`,
    view: (buffer, size) => `new Float32Array($f32.buffer, ${buffer}, ${size})`,
    copy,
    viewsPerCall: true,
    initialView: () => "$f32.subarray(0, 0)",
  };
}

/** The optimizer's updates as wasm functions, one per optimizer, decay and size. */
function wasmUpdates(plan: Plan, layout: Layout): { target: UpdateTarget; funcs: Func[] } {
  const funcs: Func[] = [];
  const names = new Map<string, string>();
  const target: UpdateTarget = {
    stateBuffer: (name, size) => layout.fixed(name, Number(size), "optimizer state"),
    slot: (slots, key, name, size) => layout.slotView(slots, key, name, Number(size)),
    update(key, args) {
      const id = `${key.o.kind}${key.wd > 0 ? "_decayed" : ""}_${key.size}`;
      if (!names.has(id)) {
        const name = exportName(plan.sys.fresh(id));
        names.set(id, name);
        funcs.push(wasmUpdate(key.o, key.wd, Number(key.size), name));
      }
      const corrections =
        key.o.kind === "adam" || key.o.kind === "adamw" ? ["$correction1", "$correction2"] : [];
      return `$k.${names.get(id)!}(${[...args, ...corrections].join(", ")});`;
    },
    kernels: () => [],
  };
  return { target, funcs };
}

/** The module scope: the wasm binary, compiled once when the module loads. */
function moduleScope(bytes: Uint8Array): string[] {
  const flag = sharedFlagOffset(bytes);
  return [
    "// the kernels, as a WebAssembly module (`nnc compile --emit wat` prints its text)",
    // base64 in lines of 100 (atob skips the line breaks): no line for the layout to break
    "const $bytes = Uint8Array.from(",
    `  atob(\`\n${base64Lines(bytes)}\n\`),`,
    "  (c) => c.charCodeAt(0),",
    ");",
    "/** A shared memory keeps views valid as it grows; pages that are not cross-origin isolated",
    " * cannot have one, and then the memory is not shared. */",
    "const $shared = (() => {",
    "  try {",
    "    new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });",
    "    return true;",
    "  } catch {",
    "    return false;",
    "  }",
    "})();",
    `if (!$shared) $bytes[${flag}] = 1; // the memory import's limits: a maximum, not shared`,
    "const $wasm = await WebAssembly.compile($bytes);",
    "",
    "/** Whether `view` no longer shows the `size` numbers at byte `offset` of the memory `f32` views. */",
    "function $stale(view, f32, offset, size) {",
    "  return view.buffer !== f32.buffer || view.byteOffset !== offset || view.length !== size;",
    "}",
    "",
  ];
}

/** Where the memory import's limits flag (0x03: shared, with a maximum) is in the binary. */
function sharedFlagOffset(bytes: Uint8Array): number {
  const plain = encodeFlagProbe(bytes);
  if (plain < 0) throw new Error("internal: no shared memory import in the wasm module");
  return plain;
}

function encodeFlagProbe(bytes: Uint8Array): number {
  // the import section (id 2) holds one import, the memory: module name, field, kind 2, limits
  let i = 8;
  while (i < bytes.length) {
    const id = bytes[i]!;
    const [size, len] = leb(bytes, i + 1);
    const start = i + 1 + len;
    if (id === 2) {
      let j = start + leb(bytes, start)[1]; // the count
      for (let name = 0; name < 2; name++) {
        const [n, l] = leb(bytes, j);
        j += l + n;
      }
      return bytes[j] === 2 && bytes[j + 1] === 3 ? j + 1 : -1;
    }
    i = start + size;
  }
  return -1;
}

function leb(bytes: Uint8Array, at: number): [number, number] {
  let value = 0;
  let shift = 0;
  let i = at;
  for (;;) {
    const b = bytes[i++]!;
    value |= (b & 0x7f) << shift;
    if ((b & 0x80) === 0) return [value >>> 0, i - at];
    shift += 7;
  }
}

function base64Lines(bytes: Uint8Array): string {
  const text = base64(bytes);
  const lines: string[] = [];
  for (let i = 0; i < text.length; i += 100) lines.push(text.slice(i, i + 100));
  return lines.join("\n");
}

/**
 * Where each tensor lives in the memory: its byte offset, a `const` for the fixed part, a `let`
 * that `$ensure` sets for the buffers sized by named dims. Offsets are multiples of 16 (a v128).
 */
class Layout {
  private top = 16; // bytes 0..15: `$result`, the number a reduction to a scalar gives
  private readonly decls: string[] = [];
  /** what `m.params`, `m.state` and `m.optimizer.slots` show (`slot`: the last one's) */
  private readonly views: { name: string; pointer: string; size: number; slot?: true }[] = [];
  /** the byte offset of each buffer in the fixed part */
  private readonly offsets = new Map<string, number>();

  constructor(
    readonly plan: Plan,
    readonly memory: MemoryPlan,
    /** kernel name -> its scratch buffer */
    readonly scratch: Map<string, { name: string; shape: Shape }>,
  ) {}

  /** A slot of `size` elements in the fixed part, named `name`. */
  fixed(name: string, size: number, what: string): string[] {
    const at = this.top;
    this.offsets.set(name, at);
    this.top += align(size * 4);
    return [`const ${name} = ${at}; // ${jsComment(what)}, ${size} numbers`];
  }

  /**
   * The optimizer's buffer `name` as `slots[key]`: a view, made again after growth. The views are
   * made before the optimizer's declarations, so a view is at the buffer's offset, not its name.
   */
  slotView(slots: string, key: string, name: string, size: number): string {
    this.views.push({ name: key, pointer: String(this.offsets.get(name)!), size, slot: true });
    return this.define(slots, this.views.length - 1);
  }

  /** `obj[name]` of view `i`: a getter, so that it reads the view made after any growth. */
  private define(obj: string, i: number): string {
    return `Object.defineProperty(${obj}, ${jsString(this.views[i]!.name)}, { enumerable: true, get: () => $views[${i}] });`;
  }

  storage(): string[] {
    const p = this.plan;
    const tensorParams = p.model.params.filter((l) => !isScalar(l.shape));
    const tensorState = p.model.state.filter((l) => !isScalar(l.shape));
    const lines: string[] = [];
    for (const l of [...tensorParams, ...tensorState]) {
      const size = Number(p.size(l.shape));
      lines.push(...this.fixed(p.nameOf(l.node), size, l.name));
      this.views.push({ name: l.name, pointer: p.nameOf(l.node), size });
    }
    const { fixedBuffers, dynamic } = this.buffers();
    // a memory this large cannot be made: the model runs on the JS target, in arrays of its own
    checkBytes("the params, state and buffers of fixed size", this.top, MAX_PAGES * 65536);
    const memory = [
      "// the memory: params, state, optimizer state and buffers of fixed size at fixed offsets,",
      "// then the buffers sized by named dims, laid out by $ensure",
      `const $fixedBytes = ${this.top};`,
      `const $memory = new WebAssembly.Memory({ initial: ${pages(this.top)}, maximum: ${MAX_PAGES}, shared: $shared });`,
      "let $f32 = new Float32Array($memory.buffer);",
      "const $k = new WebAssembly.Instance($wasm, { env: { memory: $memory } }).exports;",
      "const $result = 0;",
    ];
    return [
      ...lines,
      ...fixedBuffers,
      ...memory,
      ...this.viewCode(tensorParams.length),
      ...dynamic,
    ];
  }

  /** The views of the tensor params and state, which `m.params` and `m.state` hand out. */
  private viewCode(paramCount: number): string[] {
    const p = this.plan;
    const make = this.views.map(
      (v, i) => `  $views[${i}] = new Float32Array($memory.buffer, ${v.pointer}, ${v.size});`,
    );
    // the first view of each param and state (a map: a model may have tens of thousands)
    const viewOf = new Map<string, number>();
    this.views.forEach((v, i) => {
      if (!v.slot && !viewOf.has(v.name)) viewOf.set(v.name, i);
    });
    const placed = (obj: string) => (l: { name: string }) => {
      const i = viewOf.get(l.name);
      return i === undefined ? null : { store: `$views[${i}]`, define: this.define(obj, i) };
    };
    const paramLines = jsParams(p, placed("$params"));
    const stateLines = jsState(p, placed("$state"));
    void paramCount;
    return [
      "const $views = [];",
      "/** (Re)makes the views of the params, state and optimizer state (after growth, for a memory not shared). */",
      "function $makeViews() {",
      ...make,
      "}",
      "$makeViews();",
      ...paramLines,
      ...stateLines,
      ...weightsOption(p),
    ];
  }

  /** The buffers: owners of fixed size in the fixed part, the others laid out by `$ensure`. */
  private buffers(): { fixedBuffers: string[]; dynamic: string[] } {
    const p = this.plan;
    const nodes = bufferNodes(p);
    const owner = (n: Node) => this.memory.owner.get(n);
    const fixedBuffers: string[] = [];
    const lets: string[] = [];
    const grow: string[] = [];
    for (const n of nodes.filter((x) => !owner(x))) {
      if (p.isStatic(n.shape))
        fixedBuffers.push(...this.fixed(p.nameOf(n), Number(p.size(n.shape)), "buffer"));
      else {
        lets.push(`let ${p.nameOf(n)} = 0;`);
        grow.push(`  ${p.nameOf(n)} = $top;`, `  $top += $align(${p.size(n.shape, true)} * 4);`);
      }
    }
    for (const n of nodes.filter((x) => owner(x))) {
      const o = p.nameOf(owner(n)!);
      if (p.isStatic(n.shape))
        fixedBuffers.push(`const ${p.nameOf(n)} = ${o}; // shares memory with ${o}`);
      else {
        lets.push(`let ${p.nameOf(n)} = 0; // shares memory with ${o}`);
        grow.push(`  ${p.nameOf(n)} = ${o};`);
      }
    }
    for (const { name, shape } of this.scratch.values()) {
      if (p.isStatic(shape))
        fixedBuffers.push(...this.fixed(name, Number(p.size(shape)), "scratch"));
      else {
        lets.push(`let ${name} = 0; // scratch`);
        grow.push(`  ${name} = $top;`, `  $top += $align(${p.size(shape, true)} * 4);`);
      }
    }
    if (p.dimVars.size === 0) return { fixedBuffers, dynamic: lets };
    const fits = [...p.dimVars].map(([d, v]) => `${v} <= ${p.capVars.get(d)}`).join(" && ");
    const dynamic = [
      ...lets,
      "const $align = (bytes) => Math.ceil(bytes / 16) * 16;",
      "/** Lays out the buffers sized by named dims for a larger size, growing the memory. */",
      "function $ensure() {",
      `  if (${fits}) return;`,
      ...[...p.dimVars].map(([d, v]) => {
        const cap = p.capVars.get(d)!;
        return `  ${cap} = Math.max(${cap}, ${v});`;
      }),
      "  let $top = $fixedBytes;",
      ...grow,
      "  const $more = Math.ceil($top / 65536) - $memory.buffer.byteLength / 65536;",
      `  if ($top > ${MAX_PAGES * 65536}) throw new Error("the buffers for this size need " + $top + " bytes, more than a wasm memory holds (2 GiB); use a smaller batch");`,
      "  if ($more > 0) {",
      "    $memory.grow($more);",
      "    $f32 = new Float32Array($memory.buffer);",
      "    if (!$shared) $makeViews();",
      "  }",
      "}",
    ];
    return { fixedBuffers, dynamic };
  }
}

const align = (bytes: number) => Math.ceil(bytes / 16) * 16;
const pages = (bytes: number) => Math.max(1, Math.ceil(bytes / 65536));
