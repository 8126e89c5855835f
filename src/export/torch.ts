// `nnc export --format torch`: a readable PyTorch module of the model. `Model(nn.Module)` holds the
// params in a ParameterDict (keys: the `.nn` names, mapped reversibly by `_key`) and the state as
// buffers; `forward(**inputs)` is the inference graph, `loss(**feed)` the training loss, both in
// torch ops, one statement per IR node under the `.nn` line it comes from; `make_optimizer` maps
// nnc's optimizer to torch.optim with the same update.
import { fans, type Init, type ModelIR, type ParamLeaf } from "../ir/model.ts";
import { asTensor, body, pyDeclared } from "./torch-body.ts";
import { optimizerMethods } from "./torch-optim.ts";
import { header, helpers, methods } from "./torch-runtime.ts";
import { indent, pyFloat } from "./python.ts";
import { pyComment, pyString, pythonFile } from "../codegen/text.ts";
import { exportError } from "./weights.ts";
import type { Node } from "../ir/node.ts";
import { isInt } from "../ops/leaves.ts";

/** The Python module (export before compiling anything else: comments read the nodes' origins). */
export function exportTorch(model: ModelIR): string {
  if (model.infer.outputs.length === 0 && !model.train.loss)
    throw exportError(
      model,
      "NN8002",
      `the model \`${model.name}\` has no \`output\` and no \`loss\``,
    );
  const opt = optimizerMethods(model);
  const klass = [
    "class Model(nn.Module):",
    ...indent([
      pyString(`model ${model.name} from ${model.file}, exported by nnc.`),
      "",
      ...constants(model),
      "",
      ...init(model),
      "",
      ...forward(model),
      "",
      ...lossMethod(model),
      "",
      ...evalLossMethod(model),
      "",
      ...opt.methods,
      ...methods.trim().split("\n"),
    ]),
  ];
  return pythonFile("a PyTorch module written by nnc export", [
    `# model ${pyComment(model.name)} from ${pyComment(model.file)}`,
    "",
    header,
    helpers.trimEnd(),
    "",
    ...opt.classes,
    "",
    ...klass,
    "",
  ]);
}

function dict(entries: [string, string][]): string {
  return `{${entries.map(([k, v]) => `${pyString(k)}: ${v}`).join(", ")}}`;
}

function constants(model: ModelIR): string[] {
  const shapes = (leaves: { name: string; shape: readonly (number | string)[] }[]) =>
    dict(leaves.map((l) => [l.name, pyDeclared(l.shape)]));
  return [
    `NAME = ${pyString(model.name)}`,
    `INPUTS = ${shapes(model.inputs)}`,
    `TARGETS = ${shapes(model.targets)}`,
    `PARAMS = ${shapes(model.params)}`,
    `STATE = ${shapes(model.state)}`,
    `OUTPUTS = (${model.infer.outputs.map((o) => `${pyString(o.name)},`).join(" ")})`,
  ];
}

function init(model: ModelIR): string[] {
  return [
    "def __init__(self):",
    ...indent([
      "super().__init__()",
      "self.params = nn.ParameterDict()",
      ...model.params.map(
        (p) => `self.params[_key(${pyString(p.name)})] = nn.Parameter(${initExpr(p)})`,
      ),
      "self.state = nn.Module()",
      ...model.state.map(
        (s) =>
          `self.state.register_buffer(_key(${pyString(s.name)}), torch.full(${pyDeclared(s.shape)}, ${pyFloat(s.init)}))`,
      ),
      "# the dtype and device of inputs and constants follow the model's (.double(), .to(...))",
      'self.register_buffer("_anchor", torch.zeros(()), persistent=False)',
      "self._optimizer = None",
    ]),
  ];
}

/** The param's initial value: the same distribution as nnc's initializer (torch's random draws). */
function initExpr(p: ParamLeaf): string {
  const shape = p.shape as number[];
  const s = pyDeclared(shape);
  const [fanIn, fanOut] = fans(shape);
  const init: Init = p.init;
  switch (init.kind) {
    case "fill":
      return `torch.full(${s}, ${pyFloat(init.value)})`;
    case "values":
      return init.values.length === 1
        ? `torch.full(${s}, ${pyFloat(init.values[0]!)})`
        : `torch.tensor([${init.values.map(pyFloat).join(", ")}]).reshape(${s})`;
    case "zeros":
      return `torch.zeros(${s})`;
    case "ones":
      return `torch.ones(${s})`;
    case "normal":
      return `torch.empty(${s}).normal_(${pyFloat(init.mean)}, ${pyFloat(init.std)})`;
    case "uniform":
      return `torch.empty(${s}).uniform_(${pyFloat(init.low)}, ${pyFloat(init.high)})`;
    case "glorot":
      return `torch.empty(${s}).uniform_(-math.sqrt(6 / (${fanIn} + ${fanOut})), math.sqrt(6 / (${fanIn} + ${fanOut})))`;
    case "he":
      return `torch.empty(${s}).normal_(0.0, math.sqrt(2 / ${fanIn}))`;
  }
}

/** `dims = {}`, then each input (and target) taken from the feed, checked, as a local. */
function takeInputs(
  model: ModelIR,
  leaves: { name: string; shape: readonly (number | string)[]; node: Node }[],
  feed: string,
) {
  const known = new Map<Node, string>();
  const lines = ["dims = {}"];
  leaves.forEach((l, i) => {
    const local = `${l.name.replace(/[^A-Za-z0-9_]/g, "_")}_${i}`;
    const int = isInt(l.node) ? ", index=True" : "";
    lines.push(
      `${local} = self._take(${feed}, ${pyString(l.name)}, ${pyDeclared(l.shape)}, dims${int})`,
    );
    known.set(l.node, local);
  });
  if (model.params.length > 0) lines.push("params = self.nn_params()");
  if (model.state.length > 0) lines.push("state = self.nn_state()");
  return { lines, known };
}

function forward(model: ModelIR): string[] {
  const { lines, known } = takeInputs(model, model.inputs, "inputs");
  const outs = model.infer.outputs;
  const b = body(
    model,
    outs.map((o) => o.node),
    known,
    known.size,
  );
  const result = outs.map((o): [string, string] => [o.name, asTensor(o.node, b.exprs)]);
  return [
    "def forward(self, /, **inputs):",
    ...indent([
      '"""Inference, as nnc\'s forward (running statistics, no dropout): {output name: tensor}."""',
      ...lines,
      ...b.lines,
      `return ${dict(result)}`,
    ]),
  ];
}

function lossMethod(model: ModelIR): string[] {
  const loss = model.train.loss;
  if (!loss)
    return ["def loss(self, /, **feed):", '    raise ValueError("this model has no loss")'];
  const { lines, known } = takeInputs(model, [...model.inputs, ...model.targets], "feed");
  const updates = model.train.stateUpdates;
  const b = body(model, [loss, ...updates.map((u) => u.node)], known, known.size);
  const stateLines = updates.map(
    (u) => `state[${pyString(u.name)}].copy_(${b.exprs.get(u.node)!})`,
  );
  return [
    "def loss(self, /, **feed):",
    ...indent([
      '"""The training loss, as nnc\'s loss (batch statistics, dropout on). In training mode',
      '(self.training) it also updates the running statistics, as torch\'s BatchNorm does."""',
      ...lines,
      ...b.lines,
      ...(stateLines.length > 0
        ? ["if self.training:", ...indent(["with torch.no_grad():", ...indent(stateLines)])]
        : []),
      `return ${asTensor(loss, b.exprs)}`,
    ]),
  ];
}

/** The loss in inference mode (running statistics, no dropout), as nnc eval reports it. */
function evalLossMethod(model: ModelIR): string[] {
  const loss = model.infer.loss;
  if (!loss)
    return ["def eval_loss(self, /, **feed):", '    raise ValueError("this model has no loss")'];
  const { lines, known } = takeInputs(model, [...model.inputs, ...model.targets], "feed");
  const b = body(model, [loss], known, known.size);
  return [
    "def eval_loss(self, /, **feed):",
    ...indent([
      '"""The loss in inference mode (running statistics, no dropout), as nnc eval reports it."""',
      ...lines,
      ...b.lines,
      `return ${asTensor(loss, b.exprs)}`,
    ]),
  ];
}
