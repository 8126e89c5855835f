// The library: `import { compile, NnError } from "nnc"`. Everything here runs in a browser as in
// Node (no `node:*` import); reading and writing files is in `nnc/node` (src/node.ts).

// compiling, and the errors of bad source
export { compile, type CompileOptions, type Compiled, type PassReport } from "./compile.ts";
export { NnError, formatDiagnostic, codes, type Code, type Diagnostic } from "./diagnostics.ts";

// the generated module's interface
export type {
  ArrayOf,
  CreateOptions,
  Dim,
  Feed,
  FeedMap,
  FloatArray,
  GeneratedModule,
  Grads,
  InferenceModel,
  Meta,
  Model,
  Outputs,
  Tensors,
} from "./types.ts";

// gradient checking against finite differences
export { checkGradients, type CheckOptions, type CheckRow } from "./check.ts";

// training on data in memory, and weights as bytes
export {
  Trainer,
  type EpochReport,
  type History,
  type StepInfo,
  type TrainHooks,
  type TrainOptions,
} from "./train/trainer.ts";
export { parseCsv } from "./train/csv.ts";
export { fit, type Dataset, type Table } from "./train/data.ts";
export {
  decodeMetadata,
  decodeSafetensors,
  encodeSafetensors,
  weightsFromBytes,
  weightsToBytes,
  type Tensor,
} from "./train/safetensors.ts";

// models of characters: the sampler, vocabularies, and text as int windows
export { sample, draw, type SampleOptions } from "./sample.ts";
export {
  corpusOfText,
  corpusOfWords,
  textData,
  vocabFromMetadata,
  vocabMetadata,
  vocabOf,
  wordsVocab,
  type Corpus,
  type TextData,
  type TextOptions,
  type Vocab,
} from "./train/text.ts";

// for pages that show inside the compiler (the playground): the graphs as data, a trace's every
// value and gradient, every value a trained model computes for one feed (a layer's feature maps),
// and toy data sets of points in the plane
export { graphData, type GraphData, type GraphNode, type GraphNodeKind } from "./graph.ts";
export { trace, type Trace, type TraceNode } from "./trace.ts";
export { activations, type ActivationNode } from "./activations.ts";
export { toyData, toyNoise, type ToyKind, type ToyOptions } from "./train/toy.ts";
