// The generated module with a clock around every kernel call of its training step: what
// `npm run bench:profile` runs. The clock and the array of times are globals the rewritten
// module reads (`globalThis.$nncClock`, `globalThis.$nncProfile`).

export interface Site {
  call: string;
  /** the math of the step, from the comment above the call */
  what: string;
}

/** calls of the step that are not kernels: checking the feed, sizing the buffers */
const HELPERS = ["$checkLength", "$ensure"];

/** a call statement's first line: its indent, the kernel (`$k.name` or `$name`) */
const CALL = /^(\s+)(?:\$rng\[0\] = )?((?:\$k\.)?\$?\w+)\(/;

/** CPU time of the process in ms (the instrumented module calls it as `globalThis.$nncClock`). */
export function clock(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** The index of the line that ends the statement starting at `i` (a long call spans lines). */
function statementEnd(lines: string[], i: number): number {
  let depth = 0;
  for (let j = i; j < lines.length; j++) {
    for (const ch of lines[j]!) depth += ch === "(" ? 1 : ch === ")" ? -1 : 0;
    if (depth === 0 && lines[j]!.trimEnd().endsWith(";")) return j;
  }
  throw new Error(`the statement at line ${i + 1} of the module does not end`);
}

/** The module with every kernel call of `$step` timed into `globalThis.$nncProfile[i]`. */
export function instrument(js: string): { js: string; sites: Site[] } {
  const lines = js.split("\n");
  const start = lines.findIndex((l) => l.trim().startsWith("function $step("));
  if (start < 0) throw new Error("the module has no $step function");
  const sites: Site[] = [];
  let what = "";
  for (let i = start + 1; i < lines.length && lines[i] !== "  }"; i++) {
    const line = lines[i]!;
    if (line.trim().startsWith("//")) what = line.trim().replace(/^\/\/\s*/, "");
    const m = CALL.exec(line);
    if (!m || HELPERS.includes(m[2]!)) continue;
    const end = statementEnd(lines, i);
    lines[i] = `${m[1]}{ const $t0 = globalThis.$nncClock();\n${line}`;
    lines[end] += ` globalThis.$nncProfile[${sites.length}] = globalThis.$nncClock() - $t0; }`;
    sites.push({ call: m[2]!, what });
    i = end;
  }
  return { js: lines.join("\n"), sites };
}
