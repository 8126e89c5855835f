// `nnc/node`: the parts that need Node, for scripts and servers. Reading CSV and weight files, the
// MNIST digits of the `mnist` package, and the progress bar of `nnc train`. It also re-exports the
// whole library, so one import serves a Node program.
export * from "./index.ts";
export { loadWeights, loadWeightsAndVocab, readCsv, saveWeights } from "./train/files.ts";
export { textCorpus, wordsCorpus } from "./train/words.ts";
export { loadData, type Data, type DataOptions } from "./train/load.ts";
export { mnist, type MnistOptions, type MnistSplit } from "./train/mnist.ts";
export { progressHooks, type Write } from "./train/progress.ts";
