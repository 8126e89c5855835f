// The 2-D convolution (NCHW) and its two gradients, image by image and group by group:
//   conv2d     y = W x: a direct convolution, the register tile of conv-tiles.ts with output
//              pixels as rows and taps as the inner index (B = W^T, made once per call), bias
//              and activation in the store
//   conv2d_dw  dW = sum over images of dy x^T: the same tile with taps as rows and output
//              pixels as the inner index (B = dy^T, made per image), added into dW
//   conv2d_dx  dx = W^T dy, scattered back: the columns W^T dy of one image, then each column
//              added into the image at its tap's offset (col2im; conv-dx.ts)
// The workspace (conv-work.ts) holds one image, the tables and one panel; its size does not
// depend on the batch.
import { comment, get, i32, ifThen, set, type Code, type Local } from "./code.ts";
import {
  convSizes,
  convWork,
  copyPlanes,
  offsetTables,
  transposeInto,
  zeroFloats,
  type ConvKind,
  type ConvShape,
  type ConvSizes,
  type ConvWork,
} from "./conv-work.ts";
import { indirectTile, tileLoops } from "./conv-tiles.ts";
import { columnsProduct, inputGrad } from "./conv-dx.ts";
import type { FuncBuilder } from "./func.ts";
import { kernelBuilder, type KernelParam } from "./kernel.ts";
import type { Activation } from "./matmul.ts";
import type { Func } from "./module.ts";

export interface ConvSpec {
  name: string;
  kind: ConvKind;
  geo: ConvShape;
  /** conv2d: y = act(W x + bias[o]) */
  bias?: boolean;
  activation?: Activation;
  comments?: readonly string[];
}

/**
 * The kernel's params: conv2d x, w, [bias], out; conv2d_dx dy, w, dx; conv2d_dw x, dy, dw; then
 * the workspace (`convWork(geo, kind).floats` floats) and the batch if it is read at run time.
 */
export function convParams(spec: ConvSpec): KernelParam[] {
  const names = {
    conv2d: ["x", "w", ...(spec.bias ? ["bias"] : []), "out"],
    conv2d_dx: ["dy", "w", "dx"],
    conv2d_dw: ["x", "dy", "dw"],
  }[spec.kind];
  const params: KernelParam[] = [...names, "work"].map((name) => ({ name, type: "ptr" }));
  if (spec.geo.N === "param") params.push({ name: "N", type: "size" });
  return params;
}

/** The kernel's functions: the kernel first, then (conv2d_dx) the product it calls. */
export function convKernel(spec: ConvSpec): Func[] {
  const fb = kernelBuilder(spec.name, convParams(spec));
  const k = new ConvGen(fb, spec);
  if (spec.kind === "conv2d") fb.emit(k.forward());
  if (spec.kind === "conv2d_dw") fb.emit(k.weightGrad());
  const funcs = spec.kind === "conv2d_dx" ? (fb.emit(inputGrad(k)), [columnsProduct(k)]) : [];
  return [fb.finish({ comments: spec.comments ?? [] }), ...funcs];
}

/** What the three kernels share: the geometry, the workspace, the loops over images and groups. */
export class ConvGen {
  readonly g: ConvShape;
  readonly s: ConvSizes;
  readonly w: ConvWork;
  readonly work: Local;
  /** the image being computed, and the byte offset of its first element in NCHW arrays */
  readonly n: Local;
  readonly group: Local;

  constructor(
    readonly fb: FuncBuilder,
    readonly spec: ConvSpec,
  ) {
    this.g = spec.geo;
    this.s = convSizes(spec.geo);
    this.w = convWork(spec.geo, spec.kind);
    this.work = fb.param("work");
    this.n = fb.local("n", "i32");
    this.group = fb.local("g", "i32");
  }

  /** work + a region's offset + more bytes */
  at(region: number, more: Code = i32.const(0)): Code {
    return i32.add(i32.add(get(this.work), i32.const(region)), more);
  }

  /** `param + (index * bytes)`, the start of an image's or a group's slice of an array */
  slice(base: Local, index: Code, bytes: number): Code {
    return i32.add(get(base), i32.mul(index, i32.const(bytes)));
  }

  /** for each image: `body` */
  images(body: Code): Code {
    const N = this.g.N === "param" ? get(this.fb.param("N")) : i32.const(this.g.N);
    return [comment("image by image"), this.fb.forUp(this.n, i32.const(0), N, 1, body)];
  }

  /** for each group: `body` (the group in `this.group`; no loop for one) */
  groups(body: Code): Code {
    const { groups } = this.g;
    if (groups === 1) return [set(this.group, i32.const(0)), body];
    return this.fb.forUp(this.group, i32.const(0), i32.const(groups), 1, body);
  }

  /** input image n copied into the padded image (whose borders are zero), if there is padding */
  padImage(x: Local): Code {
    const { g, s } = this;
    if (!s.padded) return [];
    const inner = (g.pad[0] * s.Wp + g.pad[1]) * 4;
    return [
      comment("the image, into the padded copy's interior"),
      copyPlanes(
        this.fb,
        { at: this.slice(x, get(this.n), g.C * g.H * g.W * 4), row: g.W * 4, plane: g.H * g.W * 4 },
        { at: this.at(this.w.image!, i32.const(inner)), row: s.Wp * 4, plane: s.Hp * s.Wp * 4 },
        { planes: g.C, rows: g.H, width: g.W },
      ),
    ];
  }

  /** the image the tables index: the padded copy, or image n of `x` */
  imageOf(x: Local): Code {
    const { g, s } = this;
    return s.padded ? this.at(this.w.image!) : this.slice(x, get(this.n), g.C * g.H * g.W * 4);
  }

  /** the group's first channel in the image the tables index */
  groupImage(image: Local): Code {
    return this.slice(image, get(this.group), this.s.Cg * this.s.Hp * this.s.Wp * 4);
  }

  /** zeros over a region of the workspace */
  zero(region: number | undefined, floats: number): Code {
    if (region === undefined) return [];
    const p = this.fb.local("zero_at", "i32");
    return [set(p, this.at(region)), zeroFloats(this.fb, p, floats)];
  }

  forward(): Code {
    const { fb, g, s, w } = this;
    const [x, W, out] = [fb.param("x"), fb.param("w"), fb.param("out")];
    const bias = this.spec.bias ? fb.param("bias") : null;
    const image = fb.local("image", "i32");
    const t = this.tile("pixels");
    const tiles = tileLoops(fb, s.P, s.Og, t.row, t.oc, (R, V, channels) => [
      set(t.rows, this.at(w.pix, i32.shl(get(t.row), i32.const(2)))),
      set(t.b, i32.add(get(t.panel), i32.shl(get(t.oc), i32.const(2)))),
      set(t.out, i32.add(get(t.base), i32.shl(this.cell(t.oc, s.P, t.row), i32.const(2)))),
      bias ? set(t.bias!, i32.add(get(t.biasBase!), i32.shl(get(t.oc), i32.const(2)))) : [],
      this.pixelTile(t, bias ? t.bias : null, R, V, channels),
    ]);
    return [
      offsetTables(fb, g, this.work, w),
      this.zero(w.image, g.C * s.Hp * s.Wp),
      this.weightPanel(W),
      this.images([
        this.padImage(x),
        set(image, this.imageOf(x)),
        this.groups([
          comment(
            "out[o, pixel] = bias[o] + sum over taps of W^T[tap, o] x[taps[tap] + pix[pixel]]",
          ),
          set(t.image, this.groupImage(image)),
          set(t.panel, this.at(w.panel!, i32.mul(get(this.group), i32.const(s.Kg * s.Ogp * 4)))),
          set(t.inner, this.at(w.taps)),
          set(t.base, this.slice(out, this.channel(), s.P * 4)),
          bias ? set(t.biasBase!, this.slice(bias, get(this.group), s.Og * 4)) : [],
          tiles,
        ]),
      ]),
    ];
  }

  /** W^T of each group into the panel, [groups, Kg, Ogp], its columns past Og zero */
  weightPanel(W: Local): Code {
    const { fb, g, s, w } = this;
    return [
      comment("W^T of each group [groups, Kg, Ogp], the columns past Og zero"),
      this.zero(w.panel, g.groups * s.Kg * s.Ogp),
      this.groups(
        transposeInto(
          fb,
          this.slice(W, get(this.group), s.Og * s.Kg * 4),
          this.at(w.panel!, i32.mul(get(this.group), i32.const(s.Kg * s.Ogp * 4))),
          { rows: s.Og, cols: s.Kg, stride: s.Ogp },
        ),
      ),
    ];
  }

  /**
   * A forward tile of R output pixels: where 4 lie in one output row (pix[t + 3] - pix[t] is
   * 3 s' 4), the tile that reads them at static offsets; else the one with a pointer per row.
   */
  pixelTile(t: ReturnType<ConvGen["tile"]>, bias: Local | null, R: number, V: number, ch: number) {
    const activation = this.spec.activation;
    const ctx = { ...t.ctx, bias, ...(activation ? { activation } : {}) };
    const general = indirectTile(ctx, R, V, ch);
    const step = this.g.stride[1] * 4;
    if (R < 4) return general;
    const spread = i32.sub(i32.load(get(t.rows), 12), i32.load(get(t.rows), 0));
    return ifThen(i32.eq(spread, i32.const(3 * step)), indirectTile(ctx, R, V, ch, step), general);
  }

  weightGrad(): Code {
    const { fb, g, s, w } = this;
    const [x, dy, dw] = [fb.param("x"), fb.param("dy"), fb.param("dw")];
    const [image, dwAt] = [fb.local("image", "i32"), fb.local("dw_at", "i32")];
    const t = this.tile("taps");
    const tiles = tileLoops(fb, s.Kg, s.Og, t.row, t.oc, (R, V, channels) => [
      set(t.rows, this.at(w.taps, i32.shl(get(t.row), i32.const(2)))),
      set(t.b, this.at(w.panel!, i32.shl(get(t.oc), i32.const(2)))),
      set(t.out, i32.add(get(t.base), i32.shl(this.cell(t.oc, s.Kg, t.row), i32.const(2)))),
      indirectTile({ ...t.ctx, accumulate: true }, R, V, channels),
    ]);
    return [
      offsetTables(fb, g, this.work, w),
      this.zero(w.image, g.C * s.Hp * s.Wp),
      comment("dy^T of a group [P, Ogp] (its columns past Og stay zero), and dW = 0"),
      this.zero(w.panel, s.P * s.Ogp),
      set(dwAt, get(dw)),
      zeroFloats(fb, dwAt, g.O * s.Kg),
      this.images([
        this.padImage(x),
        set(image, this.imageOf(x)),
        this.groups([
          comment("dW[o, tap] += sum over pixels of dy^T[pixel, o] x[taps[tap] + pix[pixel]]"),
          transposeInto(fb, this.slice(dy, this.channel(), s.P * 4), this.at(w.panel!), {
            rows: s.Og,
            cols: s.P,
            stride: s.Ogp,
          }),
          set(t.image, this.groupImage(image)),
          set(t.inner, this.at(w.pix)),
          set(t.base, this.slice(dw, get(this.group), s.Og * s.Kg * 4)),
          tiles,
        ]),
      ]),
    ];
  }

  /** n O + g Og: the group's first output channel of image n, counted over the batch */
  channel(): Code {
    const { g, s } = this;
    return i32.add(i32.mul(get(this.n), i32.const(g.O)), i32.mul(get(this.group), i32.const(s.Og)));
  }

  /** oc * stride + row: a tile's first element in a channel-major output */
  cell(oc: Local, stride: number, row: Local): Code {
    return i32.add(i32.mul(get(oc), i32.const(stride)), get(row));
  }

  /** The locals of the tiles of one kernel, and the part of their context that is fixed. */
  tile(rows: string) {
    const { fb, s } = this;
    const l = (name: string) => fb.local(name, "i32");
    const [row, oc, rowsAt, inner, b, out] = [rows, "oc", "rows", "inner", "b_at", "out_at"].map(l);
    const [image, panel, base] = ["group_image", "panel", "out_base"].map(l);
    const bias = this.spec.bias ? l("bias_at") : null;
    const biasBase = this.spec.bias ? l("bias_base") : null;
    const ctx = {
      fb,
      image: image!,
      rows: rowsAt!,
      inner: inner!,
      innerCount: rows === "pixels" ? s.Kg : s.P,
      b: b!,
      bStride: s.Ogp * 4,
      out: out!,
      outStride: (rows === "pixels" ? s.P : s.Kg) * 4,
      bias: null,
    };
    return {
      ctx,
      row: row!,
      oc: oc!,
      rows: rowsAt!,
      inner: inner!,
      b: b!,
      out: out!,
      image: image!,
      panel: panel!,
      base: base!,
      bias,
      biasBase,
    };
  }
}
