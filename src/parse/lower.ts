// Lowering a parsed file to the IR of one of its models: checks of the file's declarations, then
// the model's statements for the training graph (and again for the inference graph where a layer
// differs by mode), then checks of the whole model.
import { beginCompilation } from "../ir/node.ts";
import { didYouMean, Diagnostics } from "../diagnostics.ts";
import type { ModeGraph, ModelIR } from "../ir/model.ts";
import { toposort } from "../ir/toposort.ts";
import type { BlockDecl, ModelDecl, Pos, Program } from "./ast.ts";
import {
  GraphTooLarge,
  MAX_BLOCK_CALLS,
  MAX_BLOCK_NODES,
  MAX_NODES,
  report,
  type Leaves,
  type Mode,
  type ModelCx,
} from "./context.ts";
import { builtins } from "./builtins.ts";
import { resolveDecay } from "./optimizer.ts";
import { definitions, lowerBody, type ModelOut } from "./statements.ts";
import { LineMap, prepareSource } from "./source.ts";

export interface LowerOptions {
  file: string;
  model?: string;
}

export function lowerProgram(program: Program, opts: LowerOptions): ModelIR {
  beginCompilation();
  const diag = new Diagnostics(program.source);
  const file = opts.file;
  const lines = new LineMap(program.source);
  lines.markContinuations(prepareSource(program.source));
  const at = (p: Pos) => ({ file, line: p.line, col: p.col });
  const blocks = collectBlocks(program, diag, at);
  const model = pickModel(program, diag, at, opts.model);
  checkStatements(model, [...blocks.values()], diag, at);
  const leaves: Leaves = {
    inputs: new Map(),
    targets: new Map(),
    params: new Map(),
    state: new Map(),
    dims: [],
    labels: new Map(),
  };
  const inlined = { calls: 0, nodes: 0, since: 0 };
  const lowerMode = (mode: Mode) => {
    const m: ModelCx = {
      file,
      lines,
      diag,
      mode,
      modeRead: false,
      blocks,
      leaves,
      stateUpdates: [],
      touched: [],
      calls: [],
      statements: [],
      root: new Map(),
      inlined,
    };
    const out: ModelOut = {
      outputs: [],
      loss: null,
      sawLoss: false,
      optimizer: null,
      sawOptimizer: false,
      metric: null,
      sawMetric: false,
    };
    lowerBody(
      model.body,
      { scope: m.root, prefix: null, block: null, later: definitions(model.body) },
      m,
      out,
    );
    return { m, out };
  };
  // the inference graph is lowered again only where a layer differs by mode (batchnorm,
  // dropout); elsewhere it is the training graph, node for node
  const [train, infer] = withinLimit(diag, at, () => {
    const t = lowerMode("train");
    return [t, t.m.modeRead ? lowerMode("infer") : t];
  });
  checkModel(model, infer.out, leaves, train.m);
  const optimizer = resolveDecay(train.m, train.out, [...leaves.params.values()]);
  diag.throwIfAny();
  const graph = (r: typeof train, stateUpdates: ModeGraph["stateUpdates"]): ModeGraph => ({
    outputs: r.out.outputs.map(({ name, node }) => ({ name, node })),
    loss: r.out.loss,
    stateUpdates,
  });
  return {
    name: model.name.name,
    file,
    at: at(model.name.at),
    inputs: [...leaves.inputs.values()],
    targets: [...leaves.targets.values()],
    params: [...leaves.params.values()],
    state: [...leaves.state.values()],
    dims: leaves.dims,
    infer: graph(infer, []),
    train: graph(train, train.m.stateUpdates),
    optimizer: train.out.sawOptimizer ? optimizer : { ...optimizer, isDefault: true },
    ...(infer.out.metric ? { metric: infer.out.metric } : {}),
    ...(leaves.labels.size > 0 ? { labels: [...leaves.labels.values()] } : {}),
    source: program.source,
  };
}

type At = (p: Pos) => { file: string; line: number; col: number };

/** Runs the lowering; a graph past a limit of checkWork is one error, where it passed it. */
function withinLimit<T>(diag: Diagnostics, at: At, lowering: () => T): T {
  try {
    return lowering();
  } catch (e) {
    if (!(e instanceof GraphTooLarge)) throw e;
    const count = (n: number) => n.toLocaleString("en-US");
    const what = {
      nodes: `builds more than ${count(MAX_NODES)} graph nodes`,
      calls: `inlines more than ${count(MAX_BLOCK_CALLS)} block calls`,
      "block nodes": `builds more than ${count(MAX_BLOCK_NODES)} graph nodes in block calls`,
    }[e.limit];
    diag.error(
      "NN3009",
      at(e.at),
      e.block !== null
        ? `calling the block \`${e.block}\` here ${what}, nnc's limit: a block is inlined at ` +
            "every call, so blocks that call a block twice double the graph at each level; " +
            "compute a call once and use its result twice"
        : `the model ${what} by this statement, nnc's limit; split it into smaller models`,
    );
    diag.throwIfAny();
    throw e;
  }
}

function collectBlocks(program: Program, diag: Diagnostics, at: At): Map<string, BlockDecl> {
  const blocks = new Map<string, BlockDecl>();
  for (const d of program.decls) {
    if (d.kind !== "block") continue;
    const name = d.name.name;
    if (builtins.has(name))
      diag.error(
        "NN2002",
        at(d.name.at),
        `\`${name}\` is a built-in function; give the block another name`,
      );
    else if (blocks.has(name))
      diag.error(
        "NN2002",
        at(d.name.at),
        `the block \`${name}\` is already defined on line ${blocks.get(name)!.name.at.line}`,
      );
    else blocks.set(name, d);
    const seen = new Set<string>();
    for (const p of d.params) {
      if (seen.has(p.name))
        diag.error("NN2002", at(p.at), `the block argument \`${p.name}\` is listed twice`);
      seen.add(p.name);
    }
    if (d.params.length === 0)
      diag.error(
        "NN2004",
        at(d.name.at),
        `the block \`${name}\` needs at least one argument, the input tensor`,
      );
    const returns = d.body.filter((s) => s.kind === "return");
    if (returns.length === 0)
      diag.error(
        "NN2005",
        at(d.name.at),
        `the block \`${name}\` has no \`return\`; end it with \`return EXPR\``,
      );
    for (const r of returns.slice(1))
      diag.error("NN2002", at(r.at), `the block \`${name}\` already has a \`return\``);
  }
  return blocks;
}

function pickModel(
  program: Program,
  diag: Diagnostics,
  at: At,
  wanted: string | undefined,
): ModelDecl {
  const models = program.decls.filter((d): d is ModelDecl => d.kind === "model");
  const names = models.map((m) => m.name.name);
  models.forEach((m, i) => {
    const first = names.indexOf(m.name.name);
    if (first !== i)
      diag.error(
        "NN2002",
        at(m.name.at),
        `the model \`${m.name.name}\` is already defined on line ${models[first]!.name.at.line}`,
      );
  });
  const model = wanted === undefined ? models[0] : models.find((m) => m.name.name === wanted);
  if (!model) {
    const where = models[0]?.name.at ?? { line: 1, col: 1 };
    const message =
      models.length === 0
        ? "the file defines no model; add `model NAME { ... }`"
        : `unknown model \`${wanted}\`${didYouMean(wanted ?? "", names)}; the file defines ${names.map((n) => `\`${n}\``).join(", ")}`;
    diag.error(models.length === 0 ? "NN2005" : "NN2007", at(where), message);
    diag.throwIfAny();
  }
  return model!;
}

/** Statements in the wrong place: `return` in a model; `input`, `output`, `loss`... in a block. */
function checkStatements(model: ModelDecl, blocks: BlockDecl[], diag: Diagnostics, at: At): void {
  for (const s of model.body)
    if (s.kind === "return")
      diag.error(
        "NN2006",
        at(s.at),
        "`return` belongs in a block; a model lists its results with `output`",
      );
  for (const b of blocks)
    for (const s of b.body)
      if (s.kind !== "param" && s.kind !== "assign" && s.kind !== "return")
        diag.error(
          "NN2006",
          at(s.at),
          `\`${s.kind}\` belongs in a model, not in the block \`${b.name.name}\``,
        );
}

function checkModel(model: ModelDecl, out: ModelOut, leaves: Leaves, m: ModelCx): void {
  if (!model.body.some((s) => s.kind === "output" || s.kind === "loss"))
    report(
      m,
      "NN2005",
      model.name.at,
      `the model \`${model.name.name}\` has no \`output\` and no \`loss\``,
    );
  const targets = new Set([...leaves.targets.values()].map((t) => t.node));
  for (const o of out.outputs) {
    const target = toposort([o.node]).find((n) => targets.has(n));
    if (target)
      report(
        m,
        "NN4002",
        o.at,
        `the output \`${o.name}\` depends on the target \`${target.attrs["name"] as string}\`; ` +
          "targets are only available to `loss`",
      );
  }
}
