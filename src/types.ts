// The interface of a generated module, as the library sees it: what `compile(...).load()` returns.
// These are the generic forms of what each module's own `.d.ts` declares with its exact names
// (`Params`, `Feed`, `Outputs`, ... of one model); keep the two in step.

/** A tensor's numbers, row-major: Float32Array (`dtype: "f32"`) or Float64Array (`"f64"`). */
export type FloatArray = Float32Array | Float64Array;

/** Tensors by name: a model's params, its state (batchnorm running statistics) or gradients. */
export type Tensors<A extends FloatArray = FloatArray> = Record<string, A>;

/**
 * What `forward`, `loss`, `grad` and `trainStep` take: each input (and, but for `forward`, each
 * target) by name, as a typed array or any array of numbers, row-major, or a number for a scalar.
 * The size of a named dimension such as `batch` is read from the length.
 */
export type Feed = Record<string, FloatArray | ArrayLike<number> | number>;

/**
 * A feed as a Map from name to value, which takes any name (`__proto__` too); the module checks
 * each value as it does a Feed's.
 */
export type FeedMap = ReadonlyMap<string, unknown>;

/** What `forward` returns: each output by name; a scalar output is a number. */
export type Outputs<A extends FloatArray = FloatArray> = Record<string, A | number>;

/** What `grad` returns: the gradient of the loss for each param (and each `wrt` input). */
export type Grads<A extends FloatArray = FloatArray> = Tensors<A>;

/** The options of `createModel`. */
export interface CreateOptions<P extends object = Tensors> {
  /** seed of the initializers and of dropout (default 1, as nnc train's) */
  seed?: number;
  /** initial values by param name, row-major, instead of the initializers */
  params?: { [K in keyof P]?: ArrayLike<number> };
  /**
   * every param and state array by name, as `loadWeights` returns them: a model's saved weights
   * in one call (instead of `params`; a name the model lacks, or one it lacks, is an error)
   */
  weights?: ReadonlyMap<string, ArrayLike<number>> | Readonly<Record<string, ArrayLike<number>>>;
  /** size the buffers of the named dim up front (otherwise at the first call) */
  batch?: number;
  /** the optimizer's learning rate, instead of the one in the source */
  lr?: number;
}

/**
 * A model whose source has no `loss`: inference only. Its params and state, `forward` and its
 * random numbers; what every model made by `createModel` has.
 */
export interface InferenceModel<A extends FloatArray = FloatArray> {
  /** trainable tensors by name (`"h.W"`); `trainStep` updates them in place */
  readonly params: Tensors<A>;
  /** non-trainable tensors (batchnorm running statistics), updated by `trainStep` */
  readonly state: Tensors<A>;
  /** the outputs, in inference mode (running statistics, no dropout) */
  forward(feed: Feed | FeedMap): Outputs<A>;
  /** restarts the random numbers (dropout masks) from `seed` */
  reseed(seed: number): void;
  /** where the random numbers are: `reseed(randomState())` later makes the same masks again */
  randomState(): number;
  readonly meta: Meta;
}

/**
 * A model made by `createModel`: its params and state, and the four entry points. (A model whose
 * source has no `loss` is an `InferenceModel`: no `loss`, `grad`, `trainStep` or
 * `setLearningRate`.)
 */
export interface Model<A extends FloatArray = FloatArray> extends InferenceModel<A> {
  /** the loss, in training mode (batch statistics, dropout on) */
  loss(feed: Feed | FeedMap): number;
  /**
   * The loss and its gradients, in training mode. The arrays may be views of the model's buffers,
   * valid until its next call.
   */
  grad(feed: Feed | FeedMap): { loss: number; grads: Grads<A> };
  /** one optimizer step: returns the loss before it, updates `params` and `state` */
  trainStep(feed: Feed | FeedMap): number;
  /**
   * The optimizer's state: the training steps taken (Adam's bias corrections count them) and its
   * arrays by `<param>.<role>` (`velocity` for momentum, `meansquare` for RMSProp, `m` and `v` for
   * Adam), live like `params`: set them (and `step`) to resume training exactly.
   */
  readonly optimizer: { step: number; readonly slots: Record<string, A> };
  /** sets the learning rate of the steps that follow */
  setLearningRate(lr: number): void;
  /**
   * The schedule's learning rate for step `step` (0, 1, 2, ...: one per trainStep) of a run of
   * `run.steps` steps, `run.stepsPerEpoch` per epoch (each needed only where the schedule uses it).
   */
  learningRate(step: number, run?: { steps?: number; stepsPerEpoch?: number }): number;
}

/** A dimension: a size, or the name of one bound from the data (`"batch"`). */
export type Dim = number | string;

/** What a module describes of itself: names, shapes, dtype and optimizer. */
export interface Meta {
  name: string;
  inputs: { name: string; shape: Dim[]; role: "input" | "target" }[];
  params: { name: string; shape: Dim[] }[];
  state: { name: string; shape: Dim[] }[];
  outputs: { name: string; shape: Dim[] }[];
  grads: { name: string; kind: "param" | "input" | "target" }[];
  dims: string[];
  dtype: "f32" | "f64";
  /** whether the model has a loss, and so `loss`, `grad` and `trainStep` */
  training: boolean;
  optimizer: {
    kind: "sgd" | "rmsprop" | "adam" | "adamw";
    lr: number;
    weight_decay: number;
    /** the params weight decay applies to */
    decay_params: string[];
    /** as the source gives it: `{ kind: "linear", to: 0.1 }` (`steps` where the file gives one) */
    schedule: {
      kind: "constant" | "linear" | "cosine" | "step" | "exponential";
      [arg: string]: number | string;
    };
    /** steps of linear warmup */
    warmup: number;
    /** the learning rate's factor per epoch */
    decay: number;
    /** the optimizer's own hyperparameters: momentum, rho, beta1, beta2, eps */
    [hyper: string]: unknown;
  };
}

/**
 * A generated module's exports: `createModel` and `meta`. `A` is the array type of its dtype;
 * `M` the model, `InferenceModel<A>` for a source without a `loss`. Every module `nnc compile`
 * writes is one: its `.d.ts` (`typeof import("./xor.js")`) is a `GeneratedModule` with the
 * model's own names.
 */
export interface GeneratedModule<
  A extends FloatArray = FloatArray,
  M extends InferenceModel<A> = Model<A>,
> {
  createModel(options?: CreateOptions): M;
  readonly meta: Meta;
}

/** The array type of a dtype: Float32Array for `"f32"` (the default), Float64Array for `"f64"`. */
export type ArrayOf<D> = D extends "f64" ? Float64Array : Float32Array;
