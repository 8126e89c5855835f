// The error codes' page and the limits' page say what the compiler does: every code used in src/
// is in the catalog (src/diagnostics.ts) and on docs/errors.md, and every code listed there is
// used; docs/limits.md states the bounds the compiler enforces, by their constants. (Links and
// tables of contents: test/docs.test.ts.)
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { codes } from "../src/diagnostics.ts";
import { MAX_ELEMENTS } from "../src/ir/node.ts";
import { MAX_BLOCK_CALLS, MAX_BLOCK_NODES, MAX_NODES } from "../src/parse/context.ts";
import { MAX_FUSED, MAX_LOCALS } from "../src/codegen/schedule/plan.ts";
import { MAX_SYNTAX_ERRORS } from "../src/parse/syntax.ts";

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const path = join(dir, f);
    return statSync(path).isDirectory() ? files(path) : path.endsWith(".ts") ? [path] : [];
  });
}

const CODE = /NN\d{4}/g;
const used = new Set(
  files("src")
    .filter((f) => !f.endsWith("diagnostics.ts"))
    .flatMap((f) => readFileSync(f, "utf8").match(CODE) ?? []),
);
const errorsPage = readFileSync("docs/errors.md", "utf8");
/** the codes the page lists: the first cell of a table row */
const listed = new Set([...errorsPage.matchAll(/^\| (NN\d{4}) +\|/gm)].map((m) => m[1]!));

describe("docs/errors.md", () => {
  it("lists every code the compiler uses, and only those", () => {
    expect([...used].sort()).toEqual([...listed].sort());
  });

  it("lists the codes of the catalog, each with the catalog's kind", () => {
    expect(Object.keys(codes).sort()).toEqual([...listed].sort());
    for (const [code, kind] of Object.entries(codes))
      expect(errorsPage, code).toMatch(new RegExp(`^\\| ${code} +\\| ${escape(kind)} +\\|`, "m"));
  });
});

const limitsPage = readFileSync("docs/limits.md", "utf8");

describe("docs/limits.md", () => {
  it("states the bounds the compiler enforces", () => {
    const n = (x: number) => x.toLocaleString("en-US");
    expect(MAX_ELEMENTS).toBe(2 ** 28);
    expect(limitsPage).toContain(`at most 2^28 (${n(MAX_ELEMENTS)}) elements`);
    expect(limitsPage).toContain(`at most ${n(MAX_NODES)} nodes`);
    expect(limitsPage).toContain(`at most ${n(MAX_BLOCK_CALLS)} inlined`);
    expect(limitsPage).toContain(`building at most ${n(MAX_BLOCK_NODES)} nodes`);
    expect(limitsPage).toContain(`at most ${n(MAX_FUSED)} nodes in its expression`);
    expect(limitsPage).toContain(`at most ${n(MAX_LOCALS)} numbers in locals`);
    expect(limitsPage).toContain(`up to ${MAX_SYNTAX_ERRORS} per file`);
  });
});

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
