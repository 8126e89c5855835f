// Identifiers for generated code. A name from the source is never pasted unchecked: it is reduced
// to [A-Za-z0-9_], kept clear of JS reserved words, of every global the generated code reads and
// of every internal name, and made unique. User names reach strings only through JSON.stringify.

const reservedWords = `break case catch class const continue debugger default delete do else enum
  export extends false finally for function if import in instanceof new null return super switch
  this throw true try typeof var void while with yield let static implements interface package
  private protected public await async of get set arguments eval undefined NaN Infinity`;

/** Globals that generated code reads (shadowing any of them would break it). */
const globals = `Math Number Object Array ArrayBuffer Float32Array Float64Array Int32Array Uint32Array
  Error TypeError RangeError JSON String Boolean Symbol Function globalThis console isNaN isFinite
  parseInt parseFloat Reflect Proxy Map Set WeakMap WeakSet Promise Date RegExp BigInt DataView
  constructor prototype __proto__ toString valueOf hasOwnProperty`;

/** Names of the module's own helpers, closure variables and kernel temporaries. */
export const internalNames = `nncModule createModel meta options params state model forward
  evalLoss grad trainStep ensure lr stepCount random gaussian rngState initUniform initNormal hasOwn
  takeArray takeNumber bindDim checkLength copyIn describe badInput batchnormCheck seed given
  forwardResult gradResult lossResult grads feed acc mx total base ex aik scale paramIndex
  stateIndex nncDims reseed setLearningRate gi correction1 correction2 lse sumG sumGX`;

const words = (s: string) => s.split(/\s+/).filter((w) => w.length > 0);

/** Loop counters: i, j, k, i0, i1, ... */
const temporary = /^[ijk][0-9]*$/;

export class Namer {
  private readonly taken = new Set<string>([
    ...words(reservedWords),
    ...words(globals),
    ...words(internalNames),
  ]);

  /** A fresh identifier derived from `base` (any text). */
  fresh(base: string): string {
    const root = sanitize(base);
    let name = this.free(root) ? root : `${root}_`;
    for (let k = 2; !this.free(name); k++) name = `${root}_${k}`;
    this.taken.add(name);
    return name;
  }

  private free(name: string): boolean {
    return !this.taken.has(name) && !temporary.test(name);
  }
}

/** Reduces any text to a valid identifier shape (no uniqueness or reserved-word check). */
export function sanitize(text: string): string {
  const s = text.replace(/[^A-Za-z0-9_]/g, "_");
  if (s.length === 0) return "_";
  return /^[0-9]/.test(s) ? `_${s}` : s;
}

/** Text safe inside a `//` comment: no line terminators (and no block-comment end). */
export function commentText(text: string): string {
  return text
    .replace(/[\n\r\u2028\u2029]/g, " ")
    .replace(/\*\//g, "* /")
    .trim();
}

/** A JS string literal for any text (user names go into code only this way). */
export function str(text: string): string {
  return JSON.stringify(text)
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}
