// Printing graphs: one line per node as text, or Graphviz dot.
import { nameOf, originOf, shapeToString, type Node } from "./node.ts";
import { toposort } from "./toposort.ts";

export interface Labeled {
  label: string;
  node: Node;
}

function attrsText(node: Node): string {
  const shown = Object.entries(node.attrs).filter(
    ([k]) =>
      !(["name", "shape", "role"].includes(k) && node.inputs.length === 0 && node.op !== "dimsize"),
  );
  return shown.length === 0
    ? ""
    : ` {${shown.map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join(", ")}}`;
}

/** `%7 = matmul(%3, %5) {ta: false, tb: false} : [batch, 4]   # h  (line 4)` */
export function nodeLine(node: Node): string {
  const head =
    node.op === "const"
      ? `const ${node.attrs["value"]}`
      : node.inputs.length === 0 && typeof node.attrs["name"] === "string"
        ? `${node.attrs["role"] ?? node.op} ${JSON.stringify(node.attrs["name"])}`
        : `${node.op}(${node.inputs.map((x) => `%${x.id}`).join(", ")})${attrsText(node)}`;
  const origin = originOf(node);
  const name = nameOf(node);
  const note = [name, origin ? `line ${origin.line}` : ""].filter(Boolean).join(", ");
  return `%${node.id} = ${head} : ${shapeToString(node.shape)}${note ? `   # ${note}` : ""}`;
}

export function printText(title: string, roots: Labeled[]): string {
  const lines = [`${title}:`];
  for (const node of toposort(roots.map((r) => r.node))) lines.push(`  ${nodeLine(node)}`);
  for (const r of roots) lines.push(`  ${r.label} = %${r.node.id}`);
  return lines.join("\n");
}

export function printDot(title: string, roots: Labeled[]): string {
  const esc = (s: string) => JSON.stringify(s);
  const lines = [
    `digraph ${esc(title)} {`,
    "  rankdir=LR;",
    "  node [shape=box, fontname=monospace];",
  ];
  for (const node of toposort(roots.map((r) => r.node))) {
    const label = nodeLine(node).replace(/^%\d+ = /, "");
    lines.push(`  n${node.id} [label=${esc(`%${node.id} ${label}`)}];`);
    for (const x of node.inputs) lines.push(`  n${x.id} -> n${node.id};`);
  }
  roots.forEach((r, i) => {
    lines.push(`  out${i} [label=${esc(r.label)}, shape=ellipse];`, `  n${r.node.id} -> out${i};`);
  });
  lines.push("}");
  return lines.join("\n");
}
