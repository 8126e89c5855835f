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

const CALL = /^(\s+)((?:\$rng\[0\] = )?(?:\$k\.)?\$?\w+\(.*\);)$/;

/** CPU time of the process in ms (the instrumented module calls it as `globalThis.$nncClock`). */
export function clock(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
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
    const call = m?.[2]!.replace(/\(.*$/, "").replace(/^\$rng\[0\] = /, "");
    if (!m || call === undefined || HELPERS.includes(call)) continue;
    lines[i] =
      `${m[1]}{ const $t0 = globalThis.$nncClock(); ${m[2]} ` +
      `globalThis.$nncProfile[${sites.length}] = globalThis.$nncClock() - $t0; }`;
    sites.push({ call, what });
  }
  return { js: lines.join("\n"), sites };
}
