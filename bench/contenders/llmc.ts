// llm.c (github.com/karpathy/llm.c) as an optional contender of the GPT workload: given
// NNC_LLMC=/path/to/a/checkout, its train_gpt2.c is compiled with bench/contenders/llmc_driver.c
// (gcc -Ofast -march=native, without OpenMP: one thread) into a temporary folder outside this
// repository, and run on gpt.nn's sizes, initial weights and batches. Nothing of llm.c is copied
// here. Without the variable, or without gcc, the contender is skipped with a note.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { REPS } from "../common.ts";
import { GPT, SEQ_BATCH, SEQ_BATCHES, SEQ_SANITY_STEPS, writeLlmcFiles } from "../sequence.ts";

export interface LlmcResult {
  contender: "llmc";
  /** seconds per step of each repetition: CPU time, and wall-clock time */
  cpu?: number[];
  wall?: number[];
  losses?: number[];
  params?: number;
  notes: string[];
}

/** The compiled driver and its input files, made once per process. */
let built: { binary: string; params: string; tokens: string } | string | undefined;

function build(): { binary: string; params: string; tokens: string } | string {
  const checkout = process.env["NNC_LLMC"];
  if (!checkout)
    return "skipped: set NNC_LLMC to a checkout of github.com/karpathy/llm.c to run it";
  if (!existsSync(path.join(checkout, "train_gpt2.c")))
    return `skipped: NNC_LLMC=${checkout} has no train_gpt2.c`;
  if (spawnSync("gcc", ["--version"], { stdio: "ignore" }).status !== 0)
    return "skipped: no gcc on the PATH";
  const dir = mkdtempSync(path.join(os.tmpdir(), "nnc-llmc-"));
  const binary = path.join(dir, "llmc_gpt");
  const driver = new URL("./llmc_driver.c", import.meta.url).pathname;
  execFileSync(
    "gcc",
    [
      "-Ofast",
      "-march=native",
      "-Wno-unused-result",
      "-Wno-unknown-pragmas",
      "-I",
      checkout,
    ].concat(["-o", binary, driver, "-lm"]),
    { stdio: ["ignore", "ignore", "inherit"] },
  );
  return { binary, ...writeLlmcFiles(dir) };
}

export function llmc(): LlmcResult {
  built ??= build();
  if (typeof built === "string") return { contender: "llmc", notes: [built] };
  const args = [built.params, built.tokens, SEQ_BATCHES, SEQ_BATCH, GPT.context, SEQ_SANITY_STEPS]
    .concat([0.4, REPS])
    .map(String);
  const out = execFileSync(built.binary, args, {
    encoding: "utf8",
    env: { ...process.env, OMP_NUM_THREADS: "1" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const line = out.split("\n").find((l) => l.startsWith("RESULT "));
  if (!line) throw new Error("the llm.c driver printed no result");
  const r = JSON.parse(line.slice("RESULT ".length)) as Omit<LlmcResult, "notes">;
  return { ...r, notes: ["llm.c train_gpt2.c, gcc -Ofast -march=native, one thread"] };
}
