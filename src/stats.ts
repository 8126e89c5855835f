// Counts for `nnc stats`: per graph (the training forward graph, the backward graph, and what
// inference adds), nodes per op, the loops and buffers emitted for them and the buffers' bytes;
// the rewrites that fired and the fusions that could not, with the reason.
import type { Compiled } from "./compile.ts";
import type { Node } from "./ir/node.ts";
import { toposort } from "./ir/toposort.ts";
import type { Missed } from "./passes/index.ts";
import { record } from "./ir/keys.ts";

export interface GraphStats {
  nodes: number;
  ops: Record<string, number>;
  loops: number;
  buffers: number;
  /** bytes of the buffers, with named dims at `Stats.dims` */
  bytes: number;
}

export interface Stats {
  model: string;
  fused: boolean;
  /** the sizes of named dims used for byte counts (bound ones, else 64) */
  dims: Record<string, number>;
  forward: GraphStats;
  backward: GraphStats;
  /** nodes only the inference graph (`forward()`) computes */
  inference: GraphStats;
  code: {
    loops: number;
    buffers: number;
    lines: number;
    /** bytes of every intermediate buffer, before and after sharing memory by liveness */
    bufferBytes: { before: number; after: number };
  };
  /** every rewrite that fired, with its count */
  rewrites: Record<string, number>;
  /** fusions that were possible in part but did not fire, and why */
  missed: Missed[];
}

/** The default size of a named dim in byte counts. */
export const STATS_DIM = 64;

function count(nodes: Node[], compiled: Compiled, dims: Record<string, number>): GraphStats {
  const ops: Record<string, number> = {};
  for (const n of nodes) ops[n.op] = (ops[n.op] ?? 0) + 1;
  const sorted = Object.fromEntries(Object.entries(ops).sort(([a], [b]) => a.localeCompare(b)));
  const set = new Set(nodes);
  const { schedule } = compiled;
  const loops = schedule.kernels.filter((k) => set.has(k.node)).reduce((a, k) => a + k.loops, 0);
  const buffers = schedule.buffers.filter((b) => set.has(b));
  const bytes = buffers.reduce((a, b) => a + bytesOf(b, compiled, dims), 0);
  return { nodes: nodes.length, ops: sorted, loops, buffers: buffers.length, bytes };
}

export function bytesOf(node: Node, compiled: Compiled, dims: Record<string, number>): number {
  const elements = node.shape.reduce<number>(
    (a, d) => a * (typeof d === "number" ? d : (dims[d] ?? STATS_DIM)),
    1,
  );
  return elements * compiled.schedule.bytesPerElement;
}

export function statsOf(compiled: Compiled): Stats {
  const { model, grads, js, schedule } = compiled;
  const dims = record(model.dims.map((d) => [d, schedule.bind[d] ?? STATS_DIM]));
  const roots = [
    ...model.train.outputs.map((o) => o.node),
    ...(model.train.loss ? [model.train.loss] : []),
    ...model.train.stateUpdates.map((s) => s.node),
  ];
  const forward = toposort(roots);
  const seen = new Set(forward);
  const backward = toposort(grads.map((g) => g.node)).filter((n) => !seen.has(n));
  for (const n of backward) seen.add(n);
  const inference = toposort(model.infer.outputs.map((o) => o.node)).filter((n) => !seen.has(n));
  const total = schedule.buffers.reduce((a, b) => a + bytesOf(b, compiled, dims), 0);
  const shared = schedule.groups.reduce(
    (a, g) => a + g.reduce((m, b) => Math.max(m, bytesOf(b, compiled, dims)), -Infinity),
    0,
  );
  return {
    model: model.name,
    fused: compiled.fused,
    dims,
    forward: count(forward, compiled, dims),
    backward: count(backward, compiled, dims),
    inference: count(inference, compiled, dims),
    code: {
      loops: (js.match(/\bfor \(/g) ?? []).length,
      buffers: (js.match(/new Float(32|64)Array\(/g) ?? []).length,
      lines: js.split("\n").length,
      bufferBytes: { before: total, after: shared },
    },
    rewrites: compiled.passes.fired,
    missed: compiled.passes.missed,
  };
}
