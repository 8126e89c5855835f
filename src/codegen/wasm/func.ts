// Building one function: its params, fresh locals and labels, the v128 constants it uses (set once
// in the prologue, so that a loop reads a register or a stack slot instead of rebuilding the
// constant at every iteration), and counted loops.
import {
  get,
  i32,
  set,
  tee,
  lanesBytes,
  brIf,
  loop,
  ifThen,
  type Code,
  type Local,
} from "./code.ts";
import type { ValType } from "./isa.ts";
import type { Func } from "./module.ts";
import { watId } from "../text.ts";

export class FuncBuilder {
  readonly params: Local[];
  /** each param by the name it was asked for (its own name is that name made a WAT identifier) */
  private readonly paramsByName = new Map<string, Local>();
  private readonly locals: Local[] = [];
  private readonly taken = new Set<string>();
  /** the last suffix given to each base name */
  private readonly suffixes = new Map<string, number>();
  private readonly constants = new Map<string, Local>();
  private readonly prologue: Code[] = [];
  private readonly body: Code[] = [];

  constructor(
    readonly name: string,
    params: readonly { name: string; type: ValType }[],
    readonly results: ValType[] = [],
  ) {
    this.params = params.map((p) => {
      const local = { name: this.fresh(p.name), type: p.type };
      this.paramsByName.set(p.name, local);
      return local;
    });
  }

  /**
   * A name not yet used in this function, and a WAT identifier whatever `base` holds (a named dim
   * `n_bätch` gives `n_b_tch`): `base`, else `base_1`, `base_2`...
   */
  fresh(text: string): string {
    const base = watId(text);
    let name = base;
    let k = this.suffixes.get(base) ?? 0;
    while (this.taken.has(name)) name = `${base}_${++k}`;
    this.suffixes.set(base, k);
    this.taken.add(name);
    return name;
  }

  param(name: string): Local {
    const p = this.paramsByName.get(name);
    if (!p) throw new Error(`internal: ${this.name} has no param ${name}`);
    return p;
  }

  local(name: string, type: ValType): Local {
    const l = { name: this.fresh(name), type };
    this.locals.push(l);
    return l;
  }

  /** A fresh label name. */
  label(name: string): string {
    return this.fresh(name);
  }

  /** An f32x4 constant (every lane `x`), read from a local set in the prologue. */
  f32x4(x: number, name = "c"): Code {
    const key = `f${Object.is(Math.fround(x), -0) ? "-0" : Math.fround(x)}`;
    return this.constant(key, () => lanesBytes([x, x, x, x]), "f32x4", name);
  }

  /** An i32x4 constant (every lane `x`). */
  i32x4(x: number, name = "k"): Code {
    return this.i32x4Lanes([x, x, x, x], name);
  }

  /** An i32x4 constant of four given lanes. */
  i32x4Lanes(lanes: [number, number, number, number], name = "k"): Code {
    const key = `i${lanes.map((l) => l | 0).join(",")}`;
    return this.constant(key, () => lanesBytes(lanes, true), "i32x4", name);
  }

  /** The local holding a constant (by `key`; its bytes made only the first time). */
  private constant(
    key: string,
    bytes: () => number[],
    lanes: "f32x4" | "i32x4",
    name: string,
  ): Code {
    let l = this.constants.get(key);
    if (!l) {
      l = this.local(name, "v128");
      this.constants.set(key, l);
      this.prologue.push(set(l, { op: "v128.const", bytes: bytes(), lanes }));
    }
    return get(l);
  }

  emit(...code: Code[]): void {
    this.body.push(...code);
  }

  /**
   * `for (i = from; i < to; i += step) body` as a guarded do-while: one compare and branch per
   * iteration at the bottom. `to` is evaluated at every iteration (pass a local or a constant);
   * `from` null continues from the value `i` has.
   */
  forUp(i: Local, from: Code | null, to: Code, step: number, body: Code): Code {
    const top = this.label(`${i.name}_loop`);
    return [
      from === null ? [] : set(i, from),
      ifThen(i32.lt_s(get(i), to), [
        loop(top, [body, brIf(top, i32.lt_s(tee(i, i32.add(get(i), i32.const(step))), to))]),
      ]),
    ];
  }

  finish(extra: Partial<Pick<Func, "export" | "comments">> = {}): Func {
    return {
      name: this.name,
      params: this.params,
      results: this.results,
      locals: this.locals,
      body: [...this.prologue, ...this.body],
      ...extra,
    };
  }
}
