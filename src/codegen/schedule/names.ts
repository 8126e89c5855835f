// Identifiers for generated code, in two namespaces that cannot meet, by construction:
//
// - Source names: every name taken from the `.nn` source, and every name derived from one (`d_h`,
//   `h_pre`, `n_batch`, `h_W_velocity`), is a plain identifier `[A-Za-z_][A-Za-z0-9_]*`, kept
//   clear of JavaScript's reserved words and of the few globals generated code reads (`Math`,
//   `Float32Array`, ...: JS_GLOBALS, which a test checks is everything it reads), and unique.
// - The compiler's own names (helpers, kernels, the feed, result objects, entry points) all start
//   with `$`, a character no `.nn` identifier can contain.
//
// Kernels are emitted at module scope and see only their parameters, so their locals (`i`, `acc`,
// `c00`, ...) meet no source name at all. User names reach strings and comments only through
// src/codegen/text.ts.

const reservedWords = `break case catch class const continue debugger default delete do else enum
  export extends false finally for function if import in instanceof new null return super switch
  this throw true try typeof var void while with yield let static implements interface package
  private protected public await async of get set arguments eval undefined NaN Infinity`;

/** Every global that generated code reads; shadowing one would change what the code means. */
export const JS_GLOBALS = words(`Math Number Object Array ArrayBuffer DataView Float32Array
  Float64Array Int32Array Uint8Array String Error JSON Map WebAssembly atob Infinity NaN undefined`);

/** The compiler's own fixed names, claimed before any kernel is named. */
const FIXED = words(`$meta $createModel $options $params $state $given $key $value $ok $seed $rng
  $cell $scalars $lr $ensure $forwardResult $grads $gradResult $forward $evalLoss $grad $trainStep $step
  $lossOut $reseed $setLearningRate $feed $stepCount $correction1 $correction2 $g $hasOwn
  $describe $badInput $feedValue $isNumberArray $takeArray $takeIndices $takeNumber $bindDim
  $checkLength
  $random $gaussian $initUniform $initNormal $memory $instance $exports $stale $f32 $k $wasm
  $bytes $shared $result $views $makeViews $fixedBytes $align $top $more $names $all $into $lacking
  $n`);

function words(s: string): string[] {
  return s.split(/\s+/).filter((w) => w.length > 0);
}

/** Unique identifiers in one namespace: source-derived (plain) or the compiler's own (`$`). */
export class Namer {
  private readonly taken: Set<string>;
  /** for each root, the suffix below which every `root_k` is taken: a search starts there, so
   * naming n values alike is linear in n, not quadratic */
  private readonly next = new Map<string, number>();

  constructor(private readonly prefix: "" | "$") {
    this.taken = new Set(prefix === "" ? [...words(reservedWords), ...JS_GLOBALS] : FIXED);
  }

  /** A fresh identifier derived from `base` (any text). */
  fresh(base: string): string {
    const root = this.prefix + sanitize(base);
    let name = root;
    if (this.taken.has(root)) {
      let k = this.next.get(root) ?? 2;
      while (this.taken.has(`${root}_${k}`)) k++;
      name = `${root}_${k}`;
      this.next.set(root, k + 1);
    }
    this.taken.add(name);
    return name;
  }

  /** Claims `name` exactly (a fixed name of the compiler's own namespace). */
  claim(name: string): string {
    if (!name.startsWith(this.prefix) || this.taken.has(name))
      throw new Error(`internal: the name ${name} is taken or not of this namespace`);
    this.taken.add(name);
    return name;
  }
}

/** Reduces any text to a valid identifier shape (no uniqueness or reserved-word check). */
export function sanitize(text: string): string {
  const s = text.replace(/[^A-Za-z0-9_]/g, "_");
  if (s.length === 0) return "_";
  return /^[0-9]/.test(s) ? `_${s}` : s;
}
