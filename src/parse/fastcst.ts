// The parse tree of the fast matcher (fastmatch.ts): Ohm's concrete syntax tree, node for node
// (a rule application, a terminal, an iteration column), with the part of Ohm's node API that
// semantic actions use, and operations run from the same action dictionaries as Ohm's semantics.

/** The matcher met something it does not implement; the caller falls back to Ohm. */
export class Unsupported extends Error {}

/**
 * One node: `ctorName` is the rule's name, "_terminal" or "_iter", as in Ohm. The children of an
 * application of a lexical rule (a name, a number) are found when first asked for, by `expand`.
 */
export class Cst {
  constructor(
    readonly ctorName: string,
    private kids: Cst[] | null,
    readonly startIdx: number,
    readonly endIdx: number,
    readonly input: string,
    private readonly optional = false,
    private readonly expand: ((node: Cst) => Cst[]) | null = null,
  ) {}

  /** the child nodes (none for a terminal) */
  get children(): Cst[] {
    return (this.kids ??= this.expand!(this));
  }

  /** This node, ending at `end`. */
  reaching(end: number): Cst {
    if (end === this.endIdx) return this;
    const Node = this.constructor as typeof Cst;
    return new Node(
      this.ctorName,
      this.kids,
      this.startIdx,
      end,
      this.input,
      this.optional,
      this.expand,
    );
  }

  get sourceString(): string {
    return this.input.slice(this.startIdx, this.endIdx);
  }

  /** the node's interval, as Ohm's `source` (this node itself: it has startIdx and endIdx) */
  get source(): this {
    return this;
  }

  get contents(): string {
    return this.sourceString;
  }

  get numChildren(): number {
    return this.children.length;
  }

  child(i: number): Cst | undefined {
    return this.children[i];
  }

  isTerminal(): boolean {
    return this.ctorName === "_terminal";
  }

  isIteration(): boolean {
    return this.ctorName === "_iter";
  }

  isNonterminal(): boolean {
    return !this.isTerminal() && !this.isIteration();
  }

  isOptional(): boolean {
    return this.optional;
  }

  private iteration(items: Cst[]): Cst {
    return new Cst("_iter", items, -1, -1, this.input);
  }

  /** Ohm's built-in operation: the items of a `ListOf`, `NonemptyListOf` or `EmptyListOf`. */
  asIteration(): Cst {
    switch (this.ctorName) {
      case "_iter":
        return this;
      case "EmptyListOf":
      case "emptyListOf":
        return this.iteration([]);
      case "NonemptyListOf":
      case "nonemptyListOf":
        return this.iteration([this.children[0]!, ...this.children[2]!.children]);
      default:
        if (this.isNonterminal() && this.children.length === 1)
          return this.children[0]!.asIteration();
        throw new Unsupported(`asIteration of ${this.ctorName}`);
    }
  }
}

type Action = (this: Cst, ...children: Cst[]) => unknown;
/** Semantic actions by node name, as given to Ohm's `addOperation`. */
export type Actions = Record<string, unknown>;

/**
 * A subclass of Cst with one method per operation, which runs the action for the node's rule, or,
 * as Ohm's default action does, the operation on a node's only child. Generic actions
 * (`_nonterminal`, `_iter`, `_terminal`, `_default`) and operations with arguments are not
 * implemented: a node without its own action and not exactly one child is Unsupported.
 */
export function withOperations(operations: Record<string, Actions>): typeof Cst {
  class Node extends Cst {}
  for (const [op, actions] of Object.entries(operations)) {
    if (op in Cst.prototype) throw new Unsupported(`operation ${op}`);
    for (const key of Object.keys(actions))
      if (key.startsWith("_")) throw new Unsupported(`generic action ${key}`);
    const run = function (this: Cst): unknown {
      const action = actions[this.ctorName] as Action | undefined;
      if (action) {
        if (action.length !== this.children.length) throw new Unsupported(`arity of ${op}`);
        return action.apply(this, this.children);
      }
      if (this.isIteration() || this.children.length !== 1)
        throw new Unsupported(`no ${op} action for ${this.ctorName}`);
      return (this.children[0] as unknown as Record<string, () => unknown>)[op]!();
    };
    Object.defineProperty(Node.prototype, op, { value: run });
  }
  return Node;
}
