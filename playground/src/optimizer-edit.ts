// The Train tab's optimizer control writes the choice into the source: the `optimizer = ...`
// statement of the model being trained, so that what trains is what the editor shows.

export type OptimizerChoice = "sgd" | "momentum" | "rmsprop" | "adam" | "adamw";

/** `sgd(lr: 0.5, momentum: 0.9)` for a choice and a learning rate. */
export function optimizerText(choice: OptimizerChoice, lr: number): string {
  return choice === "momentum" ? `sgd(lr: ${lr}, momentum: 0.9)` : `${choice}(lr: ${lr})`;
}

/** The choice an optimizer statement's text makes (`sgd(lr: 0.5, momentum: 0.9)`: momentum). */
export function choiceOf(text: string): OptimizerChoice | undefined {
  const kind = /^\s*(sgd|rmsprop|adamw|adam)\b/.exec(text)?.[1];
  if (kind === "sgd") {
    const momentum = /momentum\s*:\s*([-+0-9.eE]+)/.exec(text)?.[1];
    return momentum !== undefined && Number(momentum) !== 0 ? "momentum" : "sgd";
  }
  return kind as OptimizerChoice | undefined;
}

/** The lines [open, close] of `model NAME { ... }` (the first model if no name), 0-based. */
function modelLines(lines: string[], name: string | undefined): [number, number] | null {
  const open = lines.findIndex((l) =>
    name ? new RegExp(`^\\s*model\\s+${name}\\b`).test(l) : /^\s*model\s+\w/.test(l),
  );
  if (open < 0) return null;
  let depth = 0;
  for (let i = open; i < lines.length; i++) {
    const code = lines[i]!.replace(/(#|\/\/).*$/, "");
    for (const ch of code) depth += ch === "{" ? 1 : ch === "}" ? -1 : 0;
    if (depth === 0 && code.includes("}")) return [open, i];
  }
  return null;
}

/** The text of the model's optimizer statement (after `=`), if it has one. */
export function optimizerOf(source: string, model: string | undefined): string | undefined {
  const lines = source.split("\n");
  const range = modelLines(lines, model);
  if (!range) return undefined;
  for (let i = range[0]; i <= range[1]; i++) {
    const m = /^\s*optimizer\s*=\s*(.*?)\s*(#.*|\/\/.*)?$/.exec(lines[i]!);
    if (m) return m[1];
  }
  return undefined;
}

/** The source with the model's optimizer statement replaced (or added before its `}`). */
export function withOptimizer(source: string, model: string | undefined, text: string): string {
  const lines = source.split("\n");
  const range = modelLines(lines, model);
  if (!range) return source;
  for (let i = range[0]; i <= range[1]; i++) {
    const m = /^(\s*)optimizer\s*=/.exec(lines[i]!);
    if (m) {
      lines[i] = `${m[1]}optimizer = ${text}`;
      return lines.join("\n");
    }
  }
  const close = lines[range[1]]!;
  const at = close.lastIndexOf("}");
  lines.splice(
    range[1],
    1,
    ...(close.slice(0, at).trim() ? [close.slice(0, at)] : []),
    `  optimizer = ${text}`,
    close.slice(at),
  );
  return lines.join("\n");
}
