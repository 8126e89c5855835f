// What a row of the generator works with: the values defined so far (leaves and statements), and
// new leaves made to measure when no value fits. A row asks for operands by shape and domain; the
// builder picks a value (recent ones likelier, the same one twice sometimes) or declares a leaf.
import { choose, Draw } from "./draw.ts";
import { adapters, type Domain } from "./domains.ts";
import {
  anyShape,
  broadcast,
  fits,
  partner,
  randomShape,
  shapeText,
  type Shape,
  type ShapeSpec,
} from "./shapes.ts";

/**
 * What a target's or an int input's data holds (the feed is drawn accordingly): `classes N` and
 * `indices N` are integers from 0 to N - 1, declared `int`.
 */
export type TargetDomain =
  "real" | "unit" | "bits" | "signs" | "onehot" | `classes ${number}` | `indices ${number}`;

/** The number of integers an int domain ranges over, or null for a domain of floats. */
export function intBound(domain: TargetDomain): number | null {
  const m = /^(?:classes|indices) (\d+)$/.exec(domain);
  return m ? Number(m[1]) : null;
}

/** An operand as a row writes it: a name, or an adapted value in parentheses. */
export interface Operand {
  text: string;
  shape: Shape;
}

interface Value {
  name: string;
  shape: Shape;
  /** depends on a target, so `forward` cannot output it */
  target: boolean;
  used: boolean;
}

/** A param's initializer as declared (the checks give params their values, so any will do). */
const initializers: readonly { name: string; text: (shape: Shape) => string }[] = [
  { name: "default", text: () => "" },
  ...["zeros", "ones", "0.5", "normal(std: 0.5)", "uniform(-1, 1)", "glorot", "he"].map((i) => ({
    name: i,
    text: () => ` = ${i}`,
  })),
  {
    name: "values",
    text: (shape: Shape) => {
      const n = shape.reduce<number>((a, d) => a * (d as number), 1);
      return ` = [${Array.from({ length: n }, (_, i) => (i % 3) - 1).join(", ")}]`;
    },
  },
];

export class Builder {
  readonly decls: string[] = [];
  readonly blocks = new Map<string, string>();
  readonly targets = new Map<string, TargetDomain>();
  readonly values: Value[] = [];
  private readonly targetValues: Value[] = [];
  private readonly intInputs: Value[] = [];
  private readonly rowsUsed = new Set<string>();
  private counter = 0;
  /** the current slot's stream, and whether its operands read a target */
  draw: Draw;
  private touchesTarget = false;
  private place = "";

  constructor(readonly seed: number) {
    this.draw = new Draw(seed, "start");
  }

  /** Starts a slot (a statement): its own stream of choices. */
  begin(place: string): void {
    this.place = place;
    this.draw = new Draw(this.seed, place);
    this.touchesTarget = false;
  }

  /** Ends a slot: its expression becomes a value named `name` of `shape`. */
  end(name: string, shape: Shape, row: string): void {
    this.values.push({ name, shape, target: this.touchesTarget, used: false });
    this.rowsUsed.add(row);
  }

  used(row: string): boolean {
    return this.rowsUsed.has(row);
  }

  /** A value of the pool that fits `spec` (or a new leaf), through an adapter into `domain`. */
  value(spec: ShapeSpec = anyShape, domain: Domain = "any"): Operand {
    const fitting = this.values.filter((v) => fits(v.shape, spec));
    const d = this.draw;
    const v =
      fitting.length === 0 || d.chance(0.2)
        ? this.leaf(randomShape(d, spec, true))
        : fitting[d.recent(fitting.length)]!;
    return this.adapt(this.take(v), domain);
  }

  /** A value that broadcasts with `shape`: the same one as the row's first operand sometimes. */
  like(first: Operand, domain: Domain = "any"): Operand {
    const d = this.draw;
    if (domain === "any" && d.chance(0.15)) return first;
    const fitting = this.values.filter((v) => broadcast(v.shape, first.shape) !== null);
    const v =
      fitting.length === 0 || d.chance(0.3)
        ? this.leaf(partner(d, first.shape, true))
        : fitting[d.recent(fitting.length)]!;
    return this.adapt(this.take(v), domain);
  }

  /** A value of exactly `shape` (a pool value, or a new leaf). */
  exact(shape: Shape, domain: Domain = "any"): Operand {
    const same = this.values.filter((v) => shapeText(v.shape) === shapeText(shape));
    const d = this.draw;
    const v = same.length === 0 || d.chance(0.3) ? this.leaf(shape) : same[d.recent(same.length)]!;
    return this.adapt(this.take(v), domain);
  }

  /** A target of `shape` whose data is in `domain` (one already declared, sometimes). */
  target(shape: Shape, domain: TargetDomain): Operand {
    const same = this.targetValues.filter(
      (v) => shapeText(v.shape) === shapeText(shape) && this.targets.get(v.name) === domain,
    );
    let v = same.length > 0 && this.draw.chance(0.5) ? this.draw.pick(same) : undefined;
    if (!v) {
      v = { name: `y${++this.counter}`, shape, target: true, used: true };
      const int = intBound(domain) === null ? "" : " int";
      this.decls.push(`target ${v.name}: ${shapeText(shape)}${int}`);
      this.targets.set(v.name, domain);
      this.targetValues.push(v);
    }
    this.touchesTarget = true;
    return { text: v.name, shape };
  }

  /**
   * An int input of `shape` holding indices from 0 to `bound` - 1 (one already declared with the
   * same bound, sometimes). It is not a value of the pool: only the rows that index read it.
   */
  indices(shape: Shape, bound: number): Operand {
    const domain: TargetDomain = `indices ${bound}`;
    const same = this.intInputs.filter((v) => this.targets.get(v.name) === domain);
    if (same.length > 0 && this.draw.chance(0.4)) return this.take(this.draw.pick(same));
    const v = { name: `i${++this.counter}`, shape, target: false, used: true };
    this.decls.push(`input ${v.name}: ${shapeText(shape)} int`);
    this.targets.set(v.name, domain);
    this.intInputs.push(v);
    return { text: v.name, shape };
  }

  /** Declares a block (its text once, however many calls). */
  block(name: string, text: string): void {
    this.blocks.set(name, text);
  }

  /** A new input (which may have `batch` dims) or param (fixed sizes only) of about `shape`. */
  private leaf(shape: Shape): Value {
    const named = shape.some((dim) => typeof dim === "string");
    const param = !named && this.draw.chance(0.6);
    const name = `${param ? "w" : "x"}${++this.counter}`;
    const init = param ? choose(initializers, this.seed, name).text(shape) : "";
    this.decls.push(`${param ? "param" : "input"} ${name}: ${shapeText(shape)}${init}`);
    const v = { name, shape, target: false, used: false };
    this.values.push(v);
    return v;
  }

  private take(v: Value): Operand {
    v.used = true;
    this.touchesTarget ||= v.target;
    return { text: v.name, shape: v.shape };
  }

  private adapt(x: Operand, domain: Domain): Operand {
    if (domain === "any") return x;
    const a = choose(adapters[domain], this.seed, `${this.place} ${domain} ${x.text}`);
    return { text: `(${a.apply(x.text)})`, shape: x.shape };
  }
}
