// The body of a generated torch method: the nodes the roots need, one assignment per node in
// topological order, each statement under a comment with the `.nn` line it comes from.
import { Diagnostics } from "../diagnostics.ts";
import type { ModelIR } from "../ir/model.ts";
import { nameOf, originOf, type Dim, type Node } from "../ir/node.ts";
import { reachable, toposort } from "../ir/toposort.ts";
import { pyFloat, pyLocal } from "./python.ts";
import { pyComment, pyString, sourceLine } from "../codegen/text.ts";
import { numberOperands, torchOps } from "./torch-ops.ts";
import { torchReads } from "./torch-sequence.ts";

export interface Body {
  lines: string[];
  /** the Python expression of each node */
  exprs: Map<Node, string>;
}

/** `(dims["batch"], 2)`: a shape as a Python tuple, named dims read from the `dims` dict. */
export function pyShape(shape: readonly Dim[]): string {
  const parts = shape.map((d) => (typeof d === "number" ? String(d) : `dims[${pyString(d)}]`));
  return parts.length === 1 ? `(${parts[0]},)` : `(${parts.join(", ")})`;
}

/** A Python tuple of a declared shape, named dims as strings (what `_take` checks). */
export function pyDeclared(shape: readonly Dim[]): string {
  const parts = shape.map((d) => (typeof d === "number" ? String(d) : pyString(d)));
  return parts.length === 1 ? `(${parts[0]},)` : `(${parts.join(", ")})`;
}

/** The expression of a leaf, or null for a computed node. */
function leafExpr(node: Node): string | null {
  switch (node.op) {
    case "const": {
      const v = node.attrs["value"] as number;
      return v < 0 ? `(${pyFloat(v)})` : pyFloat(v);
    }
    case "param":
      return `params[${pyString(node.attrs["name"] as string)}]`;
    case "state":
      return `state[${pyString(node.attrs["name"] as string)}]`;
    case "dimsize": {
      const dims = node.attrs["dims"] as Dim[];
      return `(${dims.map((d) => (typeof d === "number" ? String(d) : `dims[${pyString(d)}]`)).join(" * ")})`;
    }
    case "dropout_mask":
      return `self._dropout_mask(${pyShape(node.shape)}, ${pyFloat(node.attrs["rate"] as number)})`;
    default:
      return null;
  }
}

/** Statements computing `roots`; `known` has the expressions of the inputs already taken. */
export function body(
  model: ModelIR,
  roots: Node[],
  known: Map<Node, string>,
  /** locals numbered before (each local's number is its own, so no two are equal) */
  counter: number,
): Body {
  const exprs = new Map(known);
  const lines: string[] = [];
  const diags = new Diagnostics(model.source);
  let line = -1;
  const isNumber = (n: Node) => n.op === "const" || n.op === "dimsize";
  // F.layer_norm computes its statistics itself: their nodes are not written
  const used = reachable(roots, (n) => (exprs.has(n) ? [] : torchReads(n)));
  for (const node of toposort(roots)) {
    if (exprs.has(node) || !used.has(node)) continue;
    const leaf = leafExpr(node);
    if (leaf !== null && node.op !== "dropout_mask") {
      exprs.set(node, leaf);
      continue;
    }
    const origin = originOf(node);
    if (origin && origin.line !== line) {
      line = origin.line;
      lines.push(`# line ${origin.line}: ${pyComment(sourceLine(origin.text))}`);
    }
    const local = pyLocal(nameOf(node) ?? node.op, ++counter);
    const row = torchOps[node.op];
    if (leaf !== null) lines.push(`${local} = ${leaf}`);
    else if ("unsupported" in row) {
      const at = origin ?? { file: model.file, line: 1, col: 1 };
      diags.error(
        "NN8001",
        at,
        `PyTorch export cannot write the op \`${node.op}\` (${row.unsupported})`,
      );
      continue;
    } else {
      // plain numbers work as operands of arithmetic; elsewhere (and if both are) they become tensors
      const allNumbers = node.inputs.every(isNumber);
      const args = node.inputs.map((i, k) =>
        isNumber(i) && (!numberOperands.has(node.op) || (allNumbers && k === 0))
          ? `self._tensor(${exprs.get(i)!})`
          : exprs.get(i)!,
      );
      lines.push(`${local} = ${row(args, node, (n) => pyShape(n.shape))}`);
    }
    exprs.set(node, local);
  }
  diags.throwIfAny();
  return { lines, exprs };
}

/** The expression of `node` as a tensor (a plain number is wrapped). */
export function asTensor(node: Node, exprs: Map<Node, string>): string {
  const e = exprs.get(node)!;
  return node.op === "const" || node.op === "dimsize" ? `self._tensor(${e})` : e;
}
