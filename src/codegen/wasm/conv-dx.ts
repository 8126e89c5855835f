// The input gradient of a convolution, image by image and group by group: the columns
//   cols[tap, pixel] = sum_o W[o, tap] dy[o, pixel]
// as the tn matrix product of matmul.ts (a function of its own, which the kernel calls), then
// each column added into dx at its tap's offset from each output pixel (col2im).
import { call, comment, f32, get, i32, set, v, type Code, type Local } from "./code.ts";
import type { ConvGen } from "./conv.ts";
import { copyPlanes, offsetTables, zeroFloats } from "./conv-work.ts";
import { flatLoop } from "./kernel.ts";
import { matmulKernel } from "./matmul.ts";
import type { Func } from "./module.ts";

export function inputGrad(k: ConvGen): Code {
  const { fb, g, s, w } = k;
  const [dy, W, dx] = [fb.param("dy"), fb.param("w"), fb.param("dx")];
  const target = fb.local("target", "i32");
  const inner = (g.pad[0] * s.Wp + g.pad[1]) * 4;
  const image = g.C * g.H * g.W * 4;
  return [
    offsetTables(fb, g, k.work, w),
    k.images([
      set(target, s.padded ? k.at(w.image!) : k.slice(dx, get(k.n), image)),
      zeroFloats(fb, target, g.C * s.Hp * s.Wp),
      k.groups([
        comment("cols[tap, pixel] = sum over o of W[o, tap] dy[o, pixel], then col2im"),
        call(
          columnsName(k),
          k.at(w.cols!),
          k.slice(W, get(k.group), s.Og * s.Kg * 4),
          k.slice(dy, k.channel(), s.P * 4),
        ),
        col2im(k, k.groupImage(target)),
      ]),
      s.padded
        ? copyPlanes(
            fb,
            { at: k.at(w.image!, i32.const(inner)), row: s.Wp * 4, plane: s.Hp * s.Wp * 4 },
            { at: k.slice(dx, get(k.n), image), row: g.W * 4, plane: g.H * g.W * 4 },
            { planes: g.C, rows: g.H, width: g.W },
          )
        : [],
    ]),
  ];
}

const columnsName = (k: ConvGen) => `${k.spec.name}_columns`;

/** cols [Kg, P] = W_g^T dy_g: the tn product, W_g stored [Og, Kg] and dy_g [Og, P] */
export function columnsProduct(k: ConvGen): Func {
  const { s } = k;
  return matmulKernel({
    name: columnsName(k),
    form: "tn",
    M: s.Kg,
    N: s.P,
    K: s.Og,
    comments: [`the columns W^T dy of one image and group of ${k.spec.name}`],
  });
}

/** Each column (tap) of cols added into the image at its tap's offset, row by output row. */
function col2im(k: ConvGen, image: Code): Code {
  const { fb, g, s, w } = k;
  const [base, src, dst, tap, i] = ["base", "src", "dst", "k", "i"].map((n) => fb.local(n, "i32"));
  const row = col2imRow(k, dst!, src!);
  return [
    set(base!, image),
    set(src!, k.at(w.cols!)),
    fb.forUp(tap!, i32.const(0), i32.const(s.Kg), 1, [
      set(dst!, i32.add(get(base!), i32.load(k.at(w.taps, i32.shl(get(tap!), i32.const(2)))))),
      fb.forUp(i!, i32.const(0), i32.const(g.OH), 1, [
        row,
        set(src!, i32.add(get(src!), i32.const(g.OW * 4))),
        set(dst!, i32.add(get(dst!), i32.const(g.stride[0] * s.Wp * 4))),
      ]),
    ]),
  ];
}

/**
 * One output row of a column added into the image's row: `OW` floats from `src` to `dst`, `s'`
 * apart there. A short row (up to 32) is straight-line code: its loops cost more than its adds.
 */
function col2imRow(k: ConvGen, dst: Local, src: Local): Code {
  const { fb, g } = k;
  const sw = g.stride[1];
  const add = (lanes: 4 | 1, to: Code, toOff: number, from: Code, fromOff: number) =>
    lanes === 4
      ? v.store(to, v.add(v.load(to, toOff), v.load(from, fromOff)), toOff)
      : f32.store(to, f32.add(f32.load(to, toOff), f32.load(from, fromOff)), toOff);
  if (g.OW <= 32) {
    const vectors = sw === 1 ? Math.floor(g.OW / 4) : 0;
    return [
      Array.from({ length: vectors }, (_, q) => add(4, get(dst), 16 * q, get(src), 16 * q)),
      Array.from({ length: g.OW - 4 * vectors }, (_, e) => {
        const j = 4 * vectors + e;
        return add(1, get(dst), 4 * j * sw, get(src), 4 * j);
      }),
    ];
  }
  if (sw === 1)
    return flatLoop(fb, g.OW, (off, lanes) =>
      add(lanes, i32.add(get(dst), off), 0, i32.add(get(src), off), 0),
    );
  const j = fb.local("j", "i32");
  const at = (l: Local, bytes: number) => i32.add(get(l), i32.mul(get(j), i32.const(bytes)));
  return fb.forUp(j, i32.const(0), i32.const(g.OW), 1, add(1, at(dst, 4 * sw), 0, at(src, 4), 0));
}
