// Counts for `nnc stats`: nodes per op of the forward and backward graphs, and what codegen emitted.
import type { Compiled } from "./compile.ts";
import type { Node } from "./ir/node.ts";
import { toposort } from "./ir/toposort.ts";

export interface GraphStats {
  nodes: number;
  ops: Record<string, number>;
}

export interface Stats {
  model: string;
  forward: GraphStats;
  backward: GraphStats;
  code: { loops: number; buffers: number; lines: number };
}

function count(nodes: Node[]): GraphStats {
  const ops: Record<string, number> = {};
  for (const n of nodes) ops[n.op] = (ops[n.op] ?? 0) + 1;
  const sorted = Object.fromEntries(Object.entries(ops).sort(([a], [b]) => a.localeCompare(b)));
  return { nodes: nodes.length, ops: sorted };
}

export function statsOf(compiled: Compiled): Stats {
  const { model, grads, js } = compiled;
  const roots = [
    ...model.train.outputs.map((o) => o.node),
    ...(model.train.loss ? [model.train.loss] : []),
    ...model.train.stateUpdates.map((s) => s.node),
  ];
  const forward = toposort(roots);
  const seen = new Set(forward);
  const backward = toposort(grads.map((g) => g.node)).filter((n) => !seen.has(n));
  return {
    model: model.name,
    forward: count(forward),
    backward: count(backward),
    code: {
      loops: (js.match(/\bfor \(/g) ?? []).length,
      buffers: (js.match(/new Float(32|64)Array\(/g) ?? []).length,
      lines: js.split("\n").length,
    },
  };
}
