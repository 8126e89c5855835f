// `npm run build` (also run by `prepare` and `prepack`): src/ -> dist/ (ES modules and .d.ts).
// - It first checks that src/parse/grammar.ts holds grammar/nn.ohm (`npm run grammar` writes it).
// - tsc builds incrementally (`tsc -b`), so a build with nothing changed takes a moment.
// - The .d.ts files import each other as `./x.js` (tsc leaves the sources' `./x.ts` there, which
//   TypeScript before 5.0 cannot read).
// - Files in dist/ whose source is gone are deleted: a package never ships a stale module.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { generatedFile, grammarFile, grammarModule } from "./grammar.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const dist = join(root, "dist");
const src = join(root, "src");
const config = join(root, "tsconfig.build.json");
const buildInfo = join(
  root,
  (JSON.parse(readFileSync(config, "utf8")) as { compilerOptions: { tsBuildInfoFile: string } })
    .compilerOptions.tsBuildInfoFile,
);

/** A build never edits the sources: a grammar text older than grammar/nn.ohm stops it. */
function checkGrammar(): void {
  const text = grammarModule(readFileSync(grammarFile, "utf8"));
  if (!existsSync(generatedFile) || readFileSync(generatedFile, "utf8") !== text) {
    console.error(
      "src/parse/grammar.ts does not hold grammar/nn.ohm: run `npm run grammar` and commit it",
    );
    process.exit(1);
  }
}

/** Every file under `dir`. */
function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)],
  );
}

/** Deletes dist/X.js and dist/X.d.ts where src/X.ts is gone. */
function prune(): void {
  for (const file of files(dist)) {
    const source = relative(dist, file).replace(/\.d\.ts$|\.js$/, ".ts");
    if (!existsSync(join(src, source))) rmSync(file);
  }
}

/** `from "./x.ts"` and `import("./x.ts")` in declarations -> `./x.js`. */
function jsSpecifiers(dts: string): string {
  return dts.replace(/((?:from|import)\s*\(?\s*)(["'])(\.\.?\/[^"']*)\.ts\2/g, "$1$2$3.js$2");
}

function rewriteDeclarations(): void {
  for (const file of files(dist).filter((f) => f.endsWith(".d.ts"))) {
    const text = readFileSync(file, "utf8");
    const fixed = jsSpecifiers(text);
    if (fixed !== text) writeFileSync(file, fixed);
  }
}

/** Whether every source has both outputs (`tsc -b` trusts its state file, not dist/). */
function complete(): boolean {
  return files(src)
    .filter((file) => file.endsWith(".ts"))
    .every((file) => {
      const base = join(dist, relative(src, file)).replace(/\.ts$/, "");
      return existsSync(`${base}.js`) && existsSync(`${base}.d.ts`);
    });
}

checkGrammar();
if (!existsSync(dist) || !complete()) rmSync(buildInfo, { force: true });
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
execFileSync(process.execPath, [tsc, "-b", config], { stdio: "inherit" });
prune();
rewriteDeclarations();
