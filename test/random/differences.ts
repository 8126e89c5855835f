// Central differences of a module's f64 loss against the reference gradient, on the coordinates
// where they are well conditioned. How conditioning is judged: with L0 = L(v), L+ = L(v + h) and
// L- = L(v - h), the one-sided slopes (L+ - L0) / h and (L0 - L-) / h differ by about h L'' where
// the loss is smooth, and by the jump of the slope where a kink of relu, abs, step or a tie of max
// lies within h of v. A coordinate whose one-sided slopes differ by more than 1e-4 of its scale
// (plus the rounding of the loss, 1e-8 |L0| / h) is skipped; the others must agree with the
// reference to 1e-5 of their scale. Leaves upstream of `step` are skipped: its gradient passes
// straight through by design (SPEC section 2), so it is not the derivative.
import type { Model } from "../../src/types.ts";
import type { Draw } from "./draw.ts";
import type { Reference } from "./reference.ts";

export interface Differences {
  compared: number;
  /** coordinates skipped as ill-conditioned */
  skipped: number;
  problems: string[];
}

const H = 1e-6;

/** Up to `per` coordinates of every leaf the loss is smooth in (`rough` leaves are skipped). */
export function differences(
  m: Model,
  ref: Reference,
  rough: ReadonlySet<string>,
  d: Draw,
  per = 3,
): Differences {
  const out: Differences = { compared: 0, skipped: 0, problems: [] };
  const lossAt = () => {
    m.reseed(ref.maskSeed);
    return m.loss(ref.feed);
  };
  const base = lossAt();
  if (!Number.isFinite(base)) return out;
  const noise = (1e-8 * Math.max(1, Math.abs(base))) / H;
  for (const [name, grad] of ref.grads) {
    if (rough.has(name)) continue;
    const cell = cellOf(m, ref, name);
    for (let k = 0; k < Math.min(per, grad.length); k++) {
      const i = d.int(0, grad.length - 1);
      const keep = cell.get(i);
      cell.set(i, keep + H);
      const up = lossAt();
      cell.set(i, keep - H);
      const down = lossAt();
      cell.set(i, keep);
      const central = (up - down) / (2 * H);
      const scale = 1 + Math.abs(central);
      if (Math.abs((up - base) / H - (base - down) / H) > 1e-4 * scale + noise) {
        out.skipped++;
        continue;
      }
      out.compared++;
      if (Math.abs(central - grad[i]!) > 1e-5 * scale + noise)
        out.problems.push(
          `d loss / d ${name}[${i}]: the reference gives ${grad[i]}, central differences ${central}`,
        );
    }
  }
  return out;
}

/** Reads and writes one element of a param (in the module) or a feed (in the reference). */
function cellOf(m: Model, ref: Reference, name: string) {
  const param = m.params[name];
  if (param)
    return { get: (i: number) => param[i]!, set: (i: number, v: number) => (param[i] = v) };
  const value = ref.feed[name]!;
  if (typeof value === "number")
    return {
      get: () => ref.feed[name] as number,
      set: (_: number, v: number) => (ref.feed[name] = v),
    };
  return { get: (i: number) => value[i]!, set: (i: number, v: number) => (value[i] = v) };
}
