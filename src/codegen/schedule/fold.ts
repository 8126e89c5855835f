// A derivation that repeats with other names is printed once, as a person writes it on a board:
// the backward pass of the 4 layers of a transformer, `x8 = x7 + mlp(layernorm(x7))` and the
// three like it, is one derivation over placeholders,
//
//   for (X, H, Y) in (x6, x7, x8), (x4, x5, x6), (x2, x3, x4), (x0, x1, x2):
//     d_Y.mlp.dense1.b = sum(d_Y, axis: [0, 1])
//     ...
//
// and reads, for each tuple in turn, as the equations with the placeholders replaced by its names.
// A run of rows folds only when each repetition is the first one's text exactly, with each name
// that differs renamed the same way everywhere in it: expanding the loop gives back every row.
//
// The names that may differ are the leading part of a name, up to its first `.` or `_` (`x8` in
// `x8.mlp.dense1.W`, `d_x8_ln`), and the part after `_from_` (`x8` in `d_x7_from_x8_ln`).

/** A name's slot that a repetition may rename: its text and where it sits in the equation. */
interface Slot {
  at: number;
  text: string;
}

/** The placeholders of one fold, and the names each repetition gives them, in order. */
export interface Fold {
  start: number;
  period: number;
  placeholders: string[];
  /** per repetition, the name each placeholder stands for */
  names: string[][];
}

/** The most rows a derivation may have for repetitions to be looked for (the search is quadratic). */
const MAX_ROWS = 20000;
/** The longest repetition looked for, in rows. */
const MAX_PERIOD = 400;

/** The names an equation reads or defines: identifiers that are not calls or argument names. */
export function namesIn(text: string): { at: number; text: string }[] {
  const out: { at: number; text: string }[] = [];
  for (const m of text.matchAll(/[A-Za-z_][\w.]*/g)) {
    const after = text.slice(m.index + m[0].length).trimStart();
    if (after.startsWith("(") || after.startsWith(":")) continue;
    out.push({ at: m.index, text: m[0] });
  }
  return out;
}

/** The slots of an equation's names that a repetition may rename. */
export function slotsOf(math: string): Slot[] {
  const out: Slot[] = [];
  for (const n of namesIn(math)) {
    const skip = n.text.startsWith("d_") ? 2 : 0;
    const lead = /^[A-Za-z0-9]+/.exec(n.text.slice(skip));
    if (lead) out.push({ at: n.at + skip, text: lead[0] });
    const from = n.text.indexOf("_from_", skip);
    const via = from < 0 ? null : /^[A-Za-z0-9]+/.exec(n.text.slice(from + 6));
    if (via) out.push({ at: n.at + from + 6, text: via[0] });
  }
  return out;
}

/** The equation with its slots renamed by `rename`. */
export function renamed(math: string, rename: (name: string) => string): string {
  let out = "";
  let last = 0;
  for (const s of slotsOf(math)) {
    out += math.slice(last, s.at) + rename(s.text);
    last = s.at + s.text.length;
  }
  return out + math.slice(last);
}

/**
 * The runs of `maths` that repeat with other names, largest saving first, none overlapping. `taken`
 * holds the names placeholders must not take (every name the printout shows).
 */
export function findFolds(maths: readonly string[], taken: ReadonlySet<string>): Fold[] {
  if (maths.length > MAX_ROWS) return [];
  const slots = maths.map(slotsOf);
  // each row's text with its slots blanked, as a number: rows that may be renamings of each other
  const ids = new Map<string, number>();
  const shape = maths.map((m, i) => {
    const key = renamed(m, () => "\0") + "\0" + slots[i]!.length;
    if (!ids.has(key)) ids.set(key, ids.size);
    return ids.get(key)!;
  });
  const folds: Fold[] = [];
  const search = (from: number, to: number): void => {
    const best = bestRun(shape, slots, from, to);
    // (rows that repeat with no name changed would define their names twice: never folded)
    if (best === null || best.renames.every((r) => [...r].every(([x, y]) => x === y))) return;
    search(from, best.start);
    folds.push(placeholders(best, slots, taken));
    search(best.start + best.period * best.renames.length, to);
  };
  search(0, maths.length);
  return folds;
}

interface Run {
  start: number;
  period: number;
  /** per repetition, its renaming of the first repetition's slots */
  renames: Map<string, string>[];
}

/** The run of repetitions in [from, to) that saves the most lines, if any saves one. */
function bestRun(shape: number[], slots: Slot[][], from: number, to: number): Run | null {
  let best: Run | null = null;
  let saved = 0;
  for (let period = 1; period <= Math.min(MAX_PERIOD, (to - from) >> 1); period++) {
    // no run of a longer period can save more than the rows but one repetition and the header
    if (to - from - period - 1 <= saved) break;
    for (let i = from; i + 2 * period <= to;) {
      // most rows start no repetition at this period: one comparison says so
      if (shape[i] !== shape[i + period]) {
        i++;
        continue;
      }
      const run = repetitions(shape, slots, i, period, to);
      if (run.length < 2) {
        i++;
        continue;
      }
      // the loop's header costs a line
      const gain = (run.length - 1) * period - 1;
      if (gain > saved) [best, saved] = [{ start: i, period, renames: run }, gain];
      i += period * run.length;
    }
  }
  return best;
}

/** The repetitions of rows [i, i + period) from i on, each as its renaming of the first. */
function repetitions(
  shape: number[],
  slots: Slot[][],
  i: number,
  period: number,
  to: number,
): Map<string, string>[] {
  const out: Map<string, string>[] = [new Map()];
  for (let k = 1; i + (k + 1) * period <= to; k++) {
    const rename = new Map<string, string>();
    const image = new Map<string, string>();
    for (let j = 0; j < period; j++) {
      const [a, b] = [i + j, i + k * period + j];
      if (shape[a] !== shape[b]) return out;
      const [sa, sb] = [slots[a]!, slots[b]!];
      for (let s = 0; s < sa.length; s++) {
        const [x, y] = [sa[s]!.text, sb[s]!.text];
        // one name for each name, both ways
        if ((rename.get(x) ?? y) !== y || (image.get(y) ?? x) !== x) return out;
        rename.set(x, y);
        image.set(y, x);
      }
    }
    out.push(rename);
  }
  return out;
}

/** The fold of a run: a placeholder for each name that some repetition renames. */
function placeholders(run: Run, slots: Slot[][], taken: ReadonlySet<string>): Fold {
  const first: string[] = [];
  for (let j = 0; j < run.period; j++)
    for (const s of slots[run.start + j]!) if (!first.includes(s.text)) first.push(s.text);
  // a backward pass meets the last value first: the names in the order the source defines them
  const varying = first.filter((x) => run.renames.some((r) => r.has(x) && r.get(x) !== x));
  varying.reverse();
  const n = varying.length;
  const bases = varying.map((_, i) =>
    i === 0 ? "X" : i === n - 1 ? "Y" : n === 3 ? "H" : `H${i}`,
  );
  const used = new Set(taken);
  const chosen = bases.map((base) => {
    let name = base;
    for (let k = 2; used.has(name); k++) name = `${base}${k}`;
    used.add(name);
    return name;
  });
  return {
    start: run.start,
    period: run.period,
    placeholders: chosen,
    names: run.renames.map((r) => varying.map((x) => r.get(x) ?? x)),
  };
}
