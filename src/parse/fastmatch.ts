// A fast matcher for an Ohm grammar, compiled at load time from the grammar's own parsing
// expressions into closures: the same PEG, evaluated as Ohm evaluates it (a syntactic rule, one
// with a capitalized name, skips `spaces` before each application and terminal; an application
// builds a node of Ohm's shape), but without Ohm's rule-application machinery, memo keys and
// failure records. It only says whether a text matches and gives the tree; for why a text does not
// match, ask Ohm. Whatever it does not implement (a case-insensitive terminal, left recursion, a
// nullable iteration, a match far longer than the text warrants) throws Unsupported, so that the
// caller asks Ohm instead.
import * as ohm from "ohm-js";
import { Cst, Unsupported } from "./fastcst.ts";
import { reader } from "./fastread.ts";
import { allRules, firstUnits, isSyntactic, leftRecursive, memoized } from "./fastplan.ts";
import { skipsBefore, startsWith } from "./fastplan.ts";
import type { First, PExpr } from "./fastplan.ts";

const { pexprs } = ohm;

/** Matches the input from `pos`: the end of the match, or -1 (with the node stack as it was). */
type Fn = (pos: number) => number;

/** How an expression is compiled: inside a syntactic rule (outside `#(...)`), and with nodes. */
interface Mode {
  syntactic: boolean;
  build: boolean;
}

/** A compiled rule application; `fn` is set once its body is compiled (rules may recurse). */
interface Rule {
  fn: Fn;
}

/** The children of a terminal (shared: no action changes them). */
const NONE: Cst[] = [];

/** A memoized rule's last application: where, its end (-1 if it failed) and node. */
interface Memo {
  pos: number;
  end: number;
  node: Cst | null;
}

/** Rule applications per character of input past which a match is taken to be going wrong. */
const WORK_PER_CHAR = 400;

export class FastMatcher {
  private text = "";
  private matching = false;
  private stack: Cst[] = [];
  /** the memo of each memoized rule, for the current match */
  private readonly memos: Memo[] = [];
  /** set when compiling met something unsupported: then every match is Unsupported */
  private broken = false;
  private work = 0;
  private budget = 0;
  private readonly rules = new Map<string, Rule>();
  private readonly memoRules: Set<string>;
  private readonly skipSpaces: Fn;
  private readonly starts = new Map<string, Rule>();

  constructor(
    private readonly grammar: ohm.Grammar,
    private readonly Node: typeof Cst,
  ) {
    const names = Object.keys(allRules(grammar));
    this.memoRules = memoized(grammar, names);
    this.broken = leftRecursive(grammar, names) !== null;
    try {
      this.skipSpaces = this.spaceSkipper();
    } catch (e) {
      if (!(e instanceof Unsupported)) throw e;
      this.skipSpaces = () => -1;
    }
  }

  /** Skips `spaces`; when that is `space*`, a unit no space starts with ends it at once. */
  private spaceSkipper(): Fn {
    const spaces = this.apply(apply("spaces"), false);
    const body = this.grammar.rules["spaces"]?.body as PExpr | undefined;
    const step = body instanceof pexprs.Star ? body.expr! : null;
    const first = step ? firstUnits(this.grammar, step) : null;
    return (pos) => {
      if (first && !startsWith(first, this.text.charCodeAt(pos))) return pos;
      const end = spaces.fn(pos);
      if (end < 0) throw new Unsupported("`spaces` failed");
      return end;
    };
  }

  /** Matches all of `text` with the rule `start` (no parameters); null if it does not match. */
  match(text: string, start: string): Cst | null {
    if (this.broken) throw new Unsupported("the grammar");
    const rule = this.starts.get(start) ?? this.apply(apply(start), true);
    this.starts.set(start, rule);
    this.begin(text);
    try {
      let pos = isSyntactic(start) ? this.skipSpaces(0) : 0;
      pos = rule.fn(pos);
      if (pos < 0) return null;
      if (isSyntactic(start)) pos = this.skipSpaces(pos);
      // (as in Ohm, the tree's root reaches the end of the text, blanks after the match included)
      return pos === text.length ? this.stack[0]!.reaching(pos) : null;
    } finally {
      this.end();
    }
  }

  private begin(text: string): void {
    this.matching = true;
    this.text = text;
    this.stack = [];
    this.forget();
    this.work = 0;
    this.budget = WORK_PER_CHAR * (text.length + 16);
  }

  private end(): void {
    this.matching = false;
    this.text = "";
    this.stack = [];
    this.forget();
  }

  private forget(): void {
    for (const m of this.memos) [m.pos, m.node] = [-1, null];
  }

  /** The compiled application of a rule (arguments substituted), compiled on first use. */
  private apply(app: PExpr, build: boolean): Rule {
    const key = `${build ? "+" : "-"}${app.toMemoKey!()}`;
    const known = this.rules.get(key);
    if (known) return known;
    const name = app.ruleName!;
    const info = this.grammar.rules[name];
    // (Ohm skips blanks after the body of `applySyntactic`, a special case not done here)
    if (!info || info.formals.length !== (app.args ?? []).length || name === "applySyntactic")
      throw new Unsupported(`rule ${name}`);
    const rule: Rule = { fn: () => -1 };
    this.rules.set(key, rule);
    try {
      const body = (info.body as PExpr).substituteParams(app.args ?? []);
      if (build && !isSyntactic(name)) rule.fn = this.lazy(name, this.apply(app, false), body);
      else {
        const fn = this.compile(body, { syntactic: isSyntactic(name), build });
        rule.fn = this.application(name, fn, firstUnits(this.grammar, body), build);
      }
    } catch (e) {
      this.broken = true;
      throw e;
    }
    return rule;
  }

  /**
   * An application of a lexical rule: matched without building its nodes, which are built (by
   * matching it again) only if an action asks for its children; most read only its source.
   */
  private lazy(name: string, recognize: Rule, body: PExpr): Fn {
    let build: Fn | null = null;
    const expand = (node: Cst): Cst[] => {
      build ??= this.compile(body, { syntactic: false, build: true });
      return this.rematch(build, node);
    };
    return (pos) => {
      const end = recognize.fn(pos);
      if (end >= 0) this.stack.push(new this.Node(name, null, pos, end, this.text, false, expand));
      return end;
    };
  }

  /** The children of `node`, from its rule's body matched again where it matched. */
  private rematch(body: Fn, node: Cst): Cst[] {
    if (this.matching) throw new Unsupported("a node expanded during a match");
    this.begin(node.input);
    try {
      const end = body(node.startIdx);
      if (end !== node.endIdx) throw new Unsupported(`${node.ctorName} matched differently`);
      return this.stack;
    } finally {
      this.end();
    }
  }

  /**
   * A rule's body wrapped as an application: first-unit test, memo, node, work count. A memoized
   * rule keeps its last match (where Ohm keeps all): `Power = Primary "^" Unary | Primary` asks
   * again for the `Primary` just matched, never for an older one.
   */
  private application(name: string, body: Fn, first: First | null, build: boolean): Fn {
    const memo: Memo | null = this.memoRules.has(name) ? { pos: -1, end: -1, node: null } : null;
    if (memo) this.memos.push(memo);
    return (pos) => {
      if (first && !startsWith(first, this.text.charCodeAt(pos))) return -1;
      if (memo && memo.pos === pos) {
        if (memo.node && build) this.stack.push(memo.node);
        return memo.end;
      }
      if (++this.work > this.budget) throw new Unsupported("too much work");
      const mark = this.stack.length;
      const end = body(pos);
      let node: Cst | null = null;
      if (end >= 0 && build) {
        node = new this.Node(name, this.take(mark), pos, end, this.text);
        this.stack.push(node);
      }
      if (memo) [memo.pos, memo.end, memo.node] = [pos, end, node];
      return end;
    };
  }

  /** An expression as a closure; in a syntactic rule, blanks are skipped first where Ohm does. */
  private compile(e: PExpr, mode: Mode): Fn {
    const skip = mode.syntactic && skipsBefore(e) ? this.skipSpaces : null;
    if (e instanceof pexprs.Apply) {
      const rule = this.apply(e, mode.build);
      return skip ? (pos) => rule.fn(skip(pos)) : (pos) => rule.fn(pos);
    }
    const fn = this.compileBare(e, mode);
    return skip ? (pos) => fn(skip(pos)) : fn;
  }

  private compileBare(e: PExpr, mode: Mode): Fn {
    if (e instanceof pexprs.Alt) return this.alt(e, mode);
    if (e instanceof pexprs.Seq)
      return this.seq(e.factors.map((f) => this.compile(f as PExpr, mode)));
    if (e instanceof pexprs.Iter) return this.iter(e, mode);
    if (e instanceof pexprs.Lex) return this.compile(e.expr!, { ...mode, syntactic: false });
    if (e instanceof pexprs.Not) {
      const fn = this.compile(e.expr!, { ...mode, build: false });
      return (pos) => (fn(pos) < 0 ? pos : -1);
    }
    if (e instanceof pexprs.Lookahead) {
      const fn = this.compile(e.expr!, mode);
      return (pos) => (fn(pos) < 0 ? -1 : pos);
    }
    return this.consume(e, mode.build);
  }

  /** An expression that reads the input itself: a terminal, a range, a character class. */
  private consume(e: PExpr, build: boolean): Fn {
    const read = reader(e);
    if (!build) return (pos) => read(this.text, pos);
    return (pos) => {
      const end = read(this.text, pos);
      if (end >= 0) this.stack.push(new this.Node("_terminal", NONE, pos, end, this.text));
      return end;
    };
  }

  /** A choice; an alternative that cannot start with the next unit (after blanks) is not tried. */
  private alt(e: PExpr, mode: Mode): Fn {
    const terms = e.terms!.map((t) => this.compile(t, mode));
    const firsts = e.terms!.map((t) => firstUnits(this.grammar, t));
    const skip = mode.syntactic ? this.skipSpaces : (pos: number) => pos;
    return (pos) => {
      const c = this.text.charCodeAt(skip(pos));
      for (let i = 0; i < terms.length; i++) {
        const first = firsts[i];
        if (first && !startsWith(first, c)) continue;
        const end = terms[i]!(pos);
        if (end >= 0) return end;
      }
      return -1;
    };
  }

  private seq(factors: Fn[]): Fn {
    if (factors.length === 1) return factors[0]!;
    return (pos) => {
      const mark = this.stack.length;
      for (const factor of factors) {
        pos = factor(pos);
        if (pos < 0) {
          this.stack.length = mark;
          return -1;
        }
      }
      return pos;
    };
  }

  /** `e*`, `e+`, `e?`: one iteration node per binding of `e`, each a column of the rows. */
  private iter(e: PExpr, mode: Mode): Fn {
    const fn = this.compile(e.expr!, mode);
    const first = mode.syntactic ? null : firstUnits(this.grammar, e.expr!);
    const [min, max] = [e.minNumMatches!, e.maxNumMatches!];
    const arity = e.getArity();
    const optional = e instanceof pexprs.Opt;
    return (pos) => {
      const mark = this.stack.length;
      let count = 0;
      let at = pos;
      for (; count < max; count++) {
        if (first && !startsWith(first, this.text.charCodeAt(at))) break;
        const end = fn(at);
        if (end < 0) break;
        if (end === at) throw new Unsupported("an iteration that matched nothing");
        at = end;
      }
      if (count < min) {
        this.stack.length = mark;
        return -1;
      }
      if (mode.build) this.columns(mark, pos, arity, optional);
      return at;
    };
  }

  /** The nodes on the stack above `mark`, taken off it. */
  private take(mark: number): Cst[] {
    return this.stack.length === mark ? NONE : this.stack.splice(mark);
  }

  /** Replaces the rows on the stack above `mark` by `arity` iteration nodes. */
  private columns(mark: number, pos: number, arity: number, optional: boolean): void {
    const rows = this.take(mark);
    const start = rows.length > 0 ? rows[0]!.startIdx : pos;
    const end = rows.length > 0 ? rows[rows.length - 1]!.endIdx : pos;
    for (let k = 0; k < arity; k++) {
      const column = arity === 1 ? rows : rows.filter((_, i) => i % arity === k);
      this.stack.push(new this.Node("_iter", column, start, end, this.text, optional));
    }
  }
}

/** An application of a rule without parameters. */
const apply = (rule: string) => new (pexprs.Apply as unknown as new (rule: string) => PExpr)(rule);
