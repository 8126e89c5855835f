import { basename, dirname, join } from "node:path";
import { oneFile, parse, stringOpt, UsageError } from "../args.ts";
import { defineCommand, out } from "../command.ts";
import { compileFile, compileOptions } from "../common.ts";
import {
  prepareOutputs,
  refuseOverwrites,
  writeOutputs,
  type NamedFile,
} from "../../train/outputs.ts";
import { inputFiles } from "../training.ts";
import { checkOnnxSize, exportOnnx } from "../../export/onnx.ts";
import { exportTorch } from "../../export/torch.ts";
import { exportDdp } from "../../export/ddp.ts";
import { seededWeights, type Weights } from "../../export/weights.ts";
import { loadWeights } from "../../train/files.ts";
import { ownEntries, record } from "../../ir/keys.ts";

const usage = `usage: nnc export FILE.nn --format onnx|torch -o OUT [options]

Writes the model for another engine.

  --format onnx    an ONNX model (opset 17) of the inference graph: the .nn inputs and outputs
                   by name, the params and state as initializers
    --load W.safetensors  the weights (default: the model's initializers with --seed)
    --seed N       the seed of the initial params (default 1)
    --training     the training step instead: forward, nnc's backward graph and the optimizer's
                   update, from (data, params, state, optimizer state, lr) to (loss, new
                   values); params and state are its inputs (no --load, --seed), and the
                   caller feeds each step's scheduled rate (metadata nnc:optimizer)
    --bind D=N,... fix named dimensions (default: symbolic, e.g. batch)
    --dtype f32|f64  the float type of the graph (default: f32)
  --format torch   a PyTorch module: Model(nn.Module) with forward, loss, nn_params,
                   make_optimizer, lr_at, train_step, load_weights, save_weights
    --ddp          also train_ddp.py beside it: the same training with torch.distributed
  --model NAME     which model of the file (default: the first)
  -o, --out FILE   where to write it`;

export const exportCommand = defineCommand({
  name: "export",
  summary: "write the model as ONNX or as a PyTorch module",
  usage,
  options: {
    format: { type: "string" },
    training: { type: "boolean" },
    load: { type: "string" },
    seed: { type: "string" },
    bind: { type: "string" },
    dtype: { type: "string" },
    ddp: { type: "boolean" },
    model: { type: "string" },
    out: { type: "string", short: "o" },
  },
  async run(argv) {
    const p = parse(argv, this.options, usage);
    const file = oneFile(p, usage);
    const target = stringOpt(p, "out");
    if (!target) throw new UsageError(`missing -o OUT\n\n${usage}`);
    const outputs = exportOutputs(p, target);
    refuseOverwrites(outputs, inputFiles(file, p));
    prepareOutputs(outputs);
    const format = stringOpt(p, "format");
    if (format === "onnx") return exportOnnxFile(p, file, target);
    if (format === "torch") return exportTorchFile(p, file, target);
    throw new UsageError(`--format must be onnx or torch, got ${format ?? "nothing"}\n\n${usage}`);
  },
});

/** The files an export writes: -o, and train_ddp.py beside it with --ddp. */
function exportOutputs(p: ReturnType<typeof parse>, target: string): NamedFile[] {
  const script = join(dirname(target), "train_ddp.py");
  return [
    { path: target, what: "the export (-o)" },
    ...(p.values["ddp"] === true ? [{ path: script, what: "the DDP script" }] : []),
  ];
}

function onlyWith(p: ReturnType<typeof parse>, format: string, flags: string[]): void {
  for (const f of flags)
    if (p.values[f] !== undefined)
      throw new UsageError(`--${f} is not an option of --format ${format}`);
}

async function exportOnnxFile(p: ReturnType<typeof parse>, file: string, target: string) {
  onlyWith(p, "onnx", ["ddp"]);
  const compiled = compileFile(p, file);
  const seedText = stringOpt(p, "seed") ?? "1";
  const seed = Number(seedText);
  if (!Number.isInteger(seed)) throw new UsageError(`--seed must be an integer, got ${seedText}`);
  const load = stringOpt(p, "load");
  if (load !== undefined && p.values["seed"] !== undefined)
    throw new UsageError("--load and --seed both give the weights: use one");
  if (p.values["training"] === true && (load !== undefined || p.values["seed"] !== undefined))
    throw new UsageError(
      "--training exports the step as a function of the params and state, which are its inputs: " +
        "feed them each step (from a weights file, or the initializers of the inference export)",
    );
  const training = p.values["training"] === true;
  const options = compileOptions(p, file);
  // before the weights are made: a model past the format's 2 GiB stops at once
  checkOnnxSize(compiled.model, { training, dtype: options.dtype ?? "f32" });
  const weights: Weights | undefined = training
    ? undefined
    : load
      ? loadWeights(load, compiled.model, options.dtype ?? "f32")
      : seededWeights(compiled, seed);
  const bytes = exportOnnx(compiled.model, compiled.grads, {
    training,
    weights,
    dtype: options.dtype ?? "f32",
    // user-chosen dims: a dim named `constructor` must not find Object.prototype's
    bind: record(ownEntries(options.bind)),
  });
  writeOutputs([{ path: target, what: "the ONNX model", data: bytes }]);
  const what = training ? "the training step" : "inference";
  await out(`wrote ${target} (model ${compiled.model.name}, ${what}, ${bytes.length} bytes)`);
  return 0;
}

async function exportTorchFile(p: ReturnType<typeof parse>, file: string, target: string) {
  onlyWith(p, "torch", ["training", "load", "seed", "bind", "dtype"]);
  const compiled = compileFile(p, file);
  const module = { path: target, what: "the PyTorch module", data: exportTorch(compiled.model) };
  if (p.values["ddp"] !== true) {
    writeOutputs([module]);
    await out(`wrote ${target} (model ${compiled.model.name})`);
    return 0;
  }
  const script = join(dirname(target), "train_ddp.py");
  const ddp = exportDdp(compiled.model, basename(target));
  writeOutputs([module, { path: script, what: "the DDP script", data: ddp }]);
  await out(`wrote ${target} and ${script} (model ${compiled.model.name})`);
  return 0;
}
