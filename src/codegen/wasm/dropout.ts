// Dropout's keep-mask from the model's seeded generator, the same numbers as the JS target's
// `random()` (mulberry32, src/codegen/runtime.ts), so that both targets drop the same units:
//
//   state += 0x6d2b79f5; t = imul(state ^ state >>> 15, 1 | state);
//   t = (t + imul(t ^ t >>> 7, 61 | t)) ^ t; r = t ^ t >>> 14        (r / 2^32 is random())
//   mask = random() < rate ? 0 : 1 / (1 - rate)
//
// The state only ever advances by the constant, so element k (from 0) hashes state + (k+1) c:
// four lanes hash four consecutive states at once. random() < rate is r < ceil(rate 2^32) as
// unsigned integers (exact, since r / 2^32 and rate 2^32 are exact in f64). The kernel takes the
// state and returns it advanced by n steps, as n calls of random() would leave it.
import { f32, get, i32, i32x4, set, v, type Code } from "./code.ts";
import { flatLoop, kernelBuilder, paramOf, type KernelParam } from "./kernel.ts";
import type { Func } from "./module.ts";
import { sizeCode, type Size } from "./sizes.ts";

const STEP = 0x6d2b79f5;

export interface DropoutSpec {
  name: string;
  params: readonly KernelParam[];
  /** the pointer param of the mask, n f32s */
  out: number;
  n: Size;
  /** the i32 param holding the generator's state */
  state: number;
  rate: number;
  comments?: readonly string[];
}

/** mulberry32's output for each lane's state, as u32 lanes */
function hash(fb: ReturnType<typeof kernelBuilder>, s: Code): Code {
  const t = fb.local("t", "v128");
  const sh = (x: Code, bits: number) => i32x4.shr_u(x, i32.const(bits));
  return [
    set(t, i32x4.mul(v.xor(s, sh(s, 15)), v.or(s, fb.i32x4(1)))),
    set(
      t,
      v.xor(
        i32x4.add(get(t), i32x4.mul(v.xor(get(t), sh(get(t), 7)), v.or(get(t), fb.i32x4(61)))),
        get(t),
      ),
    ),
    v.xor(get(t), sh(get(t), 14)),
  ];
}

export function dropoutKernel(spec: DropoutSpec): Func {
  if (!(spec.rate >= 0 && spec.rate < 1)) throw new Error(`internal: dropout rate ${spec.rate}`);
  const fb = kernelBuilder(spec.name, spec.params, ["i32"]);
  const out = paramOf(fb, spec.params, spec.out, "ptr");
  const state = paramOf(fb, spec.params, spec.state, "i32");
  const threshold = Math.ceil(spec.rate * 2 ** 32);
  const keep = Math.fround(1 / (1 - spec.rate));
  const states = fb.local("states", "v128");
  const mask = fb.local("mask", "v128");
  // lanes: state + c, + 2c, + 3c, + 4c (wrapping as JS's `| 0` does)
  const steps = [1, 2, 3, 4].map((k) => Math.imul(k, STEP)) as [number, number, number, number];
  const first = i32x4.add(i32x4.splat(get(state)), fb.i32x4Lanes(steps, "steps"));
  const dropped = (r: Code): Code =>
    threshold >= 2 ** 32 ? fb.i32x4(-1) : i32x4.lt_u(r, fb.i32x4(threshold | 0));
  fb.emit(
    set(states, first),
    flatLoop(fb, spec.n, (offset, lanes) => [
      set(mask, v.select(fb.f32x4(0), fb.f32x4(keep), dropped(hash(fb, get(states))))),
      lanes === 4
        ? v.store(i32.add(get(out), offset), get(mask))
        : f32.store(i32.add(get(out), offset), v.lane(get(mask), 0)),
      set(states, i32x4.add(get(states), fb.i32x4(Math.imul(lanes, STEP)))),
    ]),
    // the state after n steps
    i32.add(get(state), i32.mul(sizeCode(fb, spec.n), i32.const(STEP))),
  );
  return fb.finish({ comments: spec.comments ?? [] });
}
