// The pass pipeline. Before differentiation the forward graphs (training and inference together)
// are simplified and fused, so that fused nodes bring their closed-form gradients; after it, the
// forward and backward graphs are simplified together, so the backward graph reuses forward values.
// Dead code needs no pass of its own: code generation walks the graph back from its roots, so a
// node nothing uses is never emitted.
import type { Node } from "../ir/node.ts";
import type { ModelIR, ModeGraph } from "../ir/model.ts";
import { fuseBatchnorm, foldBatchnormIntoDense } from "./batchnorm.ts";
import { fuseActivations } from "./fuse.ts";
import { rewriteGraph, RewriteLog, type Rule } from "./rewrite.ts";
import { simplify } from "./simplify.ts";

export { RewriteLog, type Missed } from "./rewrite.ts";
export { simplify } from "./simplify.ts";
export { fuseActivations } from "./fuse.ts";
export { fuseBatchnorm, foldBatchnormIntoDense } from "./batchnorm.ts";

export interface PassOptions {
  fuse: boolean;
}

/**
 * The roots of a mode, in a fixed order, and a way to put rewritten ones back. The inference
 * graph's loss is left as lowered: nothing computes it (`loss()` runs in training mode).
 */
function modeRoots(g: ModeGraph, withLoss: boolean): Node[] {
  return [
    ...g.outputs.map((o) => o.node),
    ...(withLoss && g.loss ? [g.loss] : []),
    ...g.stateUpdates.map((s) => s.node),
  ];
}

function withRoots(g: ModeGraph, withLoss: boolean, next: () => Node): ModeGraph {
  return {
    outputs: g.outputs.map((o) => ({ name: o.name, node: next() })),
    loss: withLoss && g.loss ? next() : g.loss,
    stateUpdates: g.stateUpdates.map((s) => ({ name: s.name, node: next() })),
  };
}

/** Rewrites every root of the model (and `extra` roots after them) with each rule set in turn. */
export function rewriteModel(
  model: ModelIR,
  phases: Rule[][],
  log: RewriteLog,
  extra: Node[] = [],
): { model: ModelIR; extra: Node[] } {
  const metric = model.metric ? [model.metric.prediction] : [];
  let roots = [
    ...modeRoots(model.train, true),
    ...modeRoots(model.infer, false),
    ...metric,
    ...extra,
  ];
  for (const phase of phases) roots = rewriteGraph(roots, phase, log);
  let i = 0;
  const next = () => roots[i++]!;
  const train = withRoots(model.train, true, next);
  const infer = withRoots(model.infer, false, next);
  const rewritten = model.metric ? { metric: { ...model.metric, prediction: next() } } : {};
  return { model: { ...model, train, infer, ...rewritten }, extra: roots.slice(i) };
}

/** Simplification and (unless turned off) fusion of the forward graphs, before differentiation. */
export function optimizeForward(model: ModelIR, opts: PassOptions, log: RewriteLog): ModelIR {
  const phases = opts.fuse
    ? [
        [...simplify, ...fuseActivations, ...fuseBatchnorm],
        [...simplify, ...foldBatchnormIntoDense],
      ]
    : [simplify];
  return rewriteModel(model, phases, log).model;
}

/** Simplification of the forward and backward graphs together, after differentiation. */
export function optimizeAll(
  model: ModelIR,
  grads: Node[],
  log: RewriteLog,
): { model: ModelIR; grads: Node[] } {
  const r = rewriteModel(model, [simplify], log, grads);
  return { model: r.model, grads: r.extra };
}
