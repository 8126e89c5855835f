// The binary encoder and the WAT printer against an independent assembler: wabt's wat2wasm must
// turn the text we print into exactly the bytes we encode, for every instruction of the table
// and for every kind of kernel; and the engine must accept and name what we encode.
import { describe, expect, it } from "vitest";
import wabtInit from "wabt";
import { base64, Bytes, encode } from "../src/codegen/wasm/encode.ts";
import { formatF32, printWat } from "../src/codegen/wasm/wat.ts";
import { ISA, opInfo, type Mnemonic } from "../src/codegen/wasm/isa.ts";
import { flatten, get, set, type Instr } from "../src/codegen/wasm/code.ts";
import { FuncBuilder } from "../src/codegen/wasm/func.ts";
import type { Func, Module } from "../src/codegen/wasm/module.ts";
import { hasRelaxedSimd, relaxedProbe } from "../src/codegen/wasm/features.ts";
import { WASM_LIMITS, WasmTooLarge } from "../src/codegen/wasm/limits.ts";
import { allKernels } from "./wasm-fixtures.ts";
import { moduleOf, SLOW } from "./wasm-helpers.ts";

const wabt = await wabtInit();

/** wabt's bytes for our text */
function assemble(wat: string): Uint8Array {
  const m = wabt.parseWat("kernel.wat", wat, { simd: true, relaxed_simd: true });
  try {
    m.resolveNames();
    return m.toBinary({ write_debug_names: true }).buffer;
  } finally {
    m.destroy();
  }
}

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("base64, as the module embeds its binary", () => {
  it("is what Node's encoder gives, for every length of a random byte string up to 300", () => {
    let seed = 7;
    const byte = () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
    for (let n = 0; n <= 300; n++) {
      const bytes = Uint8Array.from({ length: n }, byte);
      expect(base64(bytes), `${n} bytes`).toBe(Buffer.from(bytes).toString("base64"));
    }
  });
});

describe("LEB128", () => {
  it.each([
    [0, "00"],
    [1, "01"],
    [127, "7f"],
    [128, "8001"],
    [624485, "e58e26"],
    [2 ** 32 - 1, "ffffffff0f"],
  ])("unsigned %d is %s", (n, bytes) => {
    expect(hex(new Bytes().u32(n).done())).toBe(bytes);
  });
  it.each([
    [0, "00"],
    [-1, "7f"],
    [63, "3f"],
    [64, "c000"],
    [-64, "40"],
    [-65, "bf7f"],
    [-123456, "c0bb78"],
    [2 ** 31 - 1, "ffffffff07"],
    [-(2 ** 31), "8080808078"],
  ])("signed %d is %s", (n, bytes) => {
    expect(hex(new Bytes().s32(n).done())).toBe(bytes);
  });
  it("signed 32-bit numbers are written as the 64-bit encoder writes them", () => {
    let seed = 11;
    const next = () => (seed = (seed * 1103515245 + 12345) >>> 0);
    const values = [0, -1, 1, 63, 64, -64, -65, 2 ** 31 - 1, -(2 ** 31)];
    for (let i = 0; i < 2000; i++) values.push((next() ^ (next() << 16)) >> (next() % 32));
    for (const n of values)
      expect(hex(new Bytes().s32(n).done()), String(n)).toBe(
        hex(new Bytes().s64(BigInt(n)).done()),
      );
  });
});

/** One instruction with sample immediates (the stack is not typed: wabt assembles it as is). */
function sample(op: Mnemonic): Instr[] {
  const info = opInfo(op);
  const mem = { offset: 48, align: Math.min(4, info.natural ?? 4) };
  switch (info.imm) {
    case "none":
      return op === "end" || op === "else" ? [] : [{ op }];
    case "block":
      return [
        { op, label: "l", result: "f32" },
        ...(op === "if" ? [{ op: "else" } as Instr, { op: "nop" } as Instr] : []),
        { op: "end" },
      ];
    case "i32":
      return [{ op, value: -123456 }];
    case "i64":
      return [{ op, value: -(2n ** 40n) }];
    case "f32":
      return [{ op, value: Math.fround(-1.0e-3) }];
    case "f64":
      return [{ op, value: 1 / 3 }];
    case "local":
      return [{ op, ref: "y" }];
    case "global":
      return [];
    case "func":
      return [{ op, ref: "f" }];
    case "label":
      return [{ op: "block", label: "out" }, { op, ref: "out" }, { op: "end" }];
    case "labels":
      return [
        { op: "block", label: "a" },
        { op: "block", label: "b" },
        { op, targets: ["a", "b", "a"] },
        { op: "end" },
        { op: "end" },
      ];
    case "mem":
      return [{ op, mem }];
    case "memlane":
      return [{ op, mem, value: 3 }];
    case "lane":
      return [{ op, value: 2 }];
    case "bytes16":
      return [
        {
          op,
          bytes: Array.from({ length: 16 }, (_, k) => (op === "v128.const" ? k * 17 : 31 - k)),
        },
      ];
    case "memidx":
      return [{ op }];
  }
}

function oneFunc(body: Instr[]): Module {
  const f: Func = {
    name: "f",
    params: [{ name: "x", type: "i32" }],
    results: [],
    locals: [{ name: "y", type: "f32" }],
    body,
  };
  return { memory: { min: 1 }, imports: [], funcs: [f] };
}

describe("every instruction of the table encodes as wabt assembles it", () => {
  const ops = Object.keys(ISA) as Mnemonic[];
  it.each(ops.filter((op) => sample(op).length > 0))("%s", (op) => {
    const m = oneFunc(sample(op));
    expect(hex(encode(m))).toBe(hex(assemble(printWat(m))));
  });
});

describe(
  "every kind of kernel: our bytes are wabt's bytes for our text, and they validate",
  { timeout: SLOW },
  () => {
    const all = allKernels();
    /** the kernel and the functions it calls (conv2d_dx's product) */
    const withCallees = (f: Func) => [
      f,
      ...flatten(f.body)
        .filter((i) => i.op === "call")
        .map((i) => all.find((g) => g.name === i.ref)!),
    ];
    it.each(all.map((f) => [f.name, f] as const))("%s", (_, f) => {
      const m = moduleOf(withCallees(f));
      const bytes = encode(m);
      const relaxed = flatten(f.body).some((i) => i.op.includes("relaxed"));
      expect(WebAssembly.validate(bytes)).toBe(!relaxed || hasRelaxedSimd());
      expect(hex(bytes)).toBe(hex(assemble(printWat(m))));
      expect(hex(bytes)).toBe(hex(assemble(printWat(m, { folded: false }))));
    });

    it("a whole module of them, memory imported or exported, with function imports", () => {
      const funcs = allKernels();
      const variants: Module[] = [
        moduleOf(funcs),
        {
          memory: { min: 2, max: 100, export: "memory" },
          imports: [{ name: "log", module: "env", field: "log", params: ["f32"], results: [] }],
          funcs: funcs.map((f) => ({ ...f, export: f.name })),
        },
      ];
      for (const m of variants) expect(hex(encode(m))).toBe(hex(assemble(printWat(m))));
    });
  },
);

describe("the text", () => {
  it.each([0.1, -0, 1e-45, 3.4028234663852886e38, -Infinity, NaN, 1 / 3, 16777217])(
    "prints f32 %s so that it reads back to the same bits",
    (x) => {
      const m = oneFunc([{ op: "f32.const", value: Math.fround(x) }, { op: "drop" }]);
      expect(hex(assemble(printWat(m)))).toBe(hex(encode(m)));
    },
  );

  it("carries the comments attached to a function and inside it", () => {
    const f: Func = {
      name: "k",
      params: [],
      results: [],
      locals: [],
      body: [{ op: "comment", text: "the tile's epilogue" }, { op: "nop" }],
      comments: ["line 6: h = x |> dense(128) |> relu"],
    };
    const wat = printWat(moduleOf([f]));
    expect(wat).toContain(";; line 6: h = x |> dense(128) |> relu\n  (func $k");
    expect(wat).toContain("    ;; the tile's epilogue\n    nop");
  });

  it("spells every name a function builder gives: a named dim `bätch` makes `$n_b_tch`", () => {
    const fb = new FuncBuilder("k", [{ name: "n_bätch", type: "i32" }], ["i32"]);
    const l = fb.local("x·y", "i32");
    fb.emit(set(l, get(fb.param("n_bätch"))), get(l));
    const m = moduleOf([fb.finish()]);
    const wat = printWat(m);
    expect(wat).toContain("(param $n_b_tch i32)");
    expect(wat).toContain("(local $x_y i32)");
    // the name section holds the same names as the text
    expect(hex(encode(m))).toBe(hex(assemble(wat)));
  });

  it("refuses a name the text format cannot spell", () => {
    const f: Func = { name: "a b", params: [], results: [], locals: [], body: [] };
    expect(() => printWat(moduleOf([f]))).toThrow(/not a WAT identifier/);
  });
});

describe("the engine", () => {
  it("names functions in stack traces (the name section)", () => {
    const f: Func = {
      name: "matmul_nn",
      params: [],
      results: [],
      locals: [],
      body: [{ op: "unreachable" }],
    };
    const inst = new WebAssembly.Instance(
      new WebAssembly.Module(encode({ ...moduleOf([f]), memory: { min: 1 } })),
    );
    const run = inst.exports["matmul_nn"] as () => void;
    expect(run).toThrow(WebAssembly.RuntimeError);
    try {
      run();
    } catch (e) {
      expect((e as Error).stack).toMatch(/matmul_nn/);
    }
  });

  it("validates the relaxed SIMD probe exactly where the engine has relaxed SIMD", () => {
    const m = relaxedProbe();
    expect(hex(encode(m))).toBe(hex(assemble(printWat(m))));
    // V8 ships relaxed SIMD from 11.4 (Chrome 114); Node 20's 11.3 needs a flag
    const [major, minor] = process.versions.v8.split(".").map(Number) as [number, number];
    const shipped = major > 11 || (major === 11 && minor >= 4);
    const flag = process.execArgv.some((a) => a.includes("relaxed-simd"));
    expect(hasRelaxedSimd()).toBe(shipped || flag);
  });
});

describe("engine limits", () => {
  /** A module of one function with `params` i32 params and `locals` i32 locals. */
  const sized = (params: number, locals: number): Module => ({
    memory: { min: 1 },
    imports: [],
    funcs: [
      {
        name: "wide",
        params: Array.from({ length: params }, (_, i) => ({ name: `p${i}`, type: "i32" })),
        results: [],
        locals: Array.from({ length: locals }, (_, i) => ({ name: `l${i}`, type: "i32" })),
        body: [],
        export: "wide",
      },
    ],
  });

  // at each limit the engine compiles the module; one past it, the encoder refuses it, naming
  // the limit (the engine would: "param count of 1001 exceeds internal limit of 1000")
  it.each([
    ["params", WASM_LIMITS.params, 0, /params of wide: 1,001, more than 1,000/],
    ["locals", 0, WASM_LIMITS.locals, /locals of wide: 50,001, more than 50,000/],
  ])("%s", (_, params, locals, past) => {
    expect(() => new WebAssembly.Module(encode(sized(params, locals)))).not.toThrow();
    const more = params > 0 ? sized(params + 1, 0) : sized(0, locals + 1);
    expect(() => encode(more)).toThrow(WasmTooLarge);
    expect(() => encode(more)).toThrow(past);
  });
});
