// The messages between the page and its training workers.
import type { EpochReport } from "nnc";
import type { FirstLayer, Maps, MnistSetup } from "./mnist-session.ts";
import type { Attention, TextSetup } from "./text-session.ts";
import type { ToyInfo, ToyReport, ToySetup } from "./toy-session.ts";

export type ToyRequest =
  | { type: "setup"; setup: ToySetup }
  | { type: "run" }
  | { type: "pause" }
  | { type: "step" }
  | { type: "lr"; lr: number }
  /** steps per frame (20 frames a second), or as many as fit ("max") */
  | { type: "speed"; speed: Speed };

export type Speed = number | "max";

export type ToyReply =
  /** what the worker is doing while it sets up, before `ready` */
  | { type: "phase"; what: string }
  | { type: "ready"; info: ToyInfo }
  | { type: "report"; report: ToyReport; running: boolean }
  /** the steps done so far, between reports of a slow model */
  | { type: "steps"; step: number; running: boolean }
  | { type: "error"; message: string };

export type MnistRequest =
  | { type: "train"; setup: MnistSetup; digits: string }
  | { type: "predict"; image: Float32Array }
  /** held-out digit `index` */
  | { type: "digit"; index: number };

export type MnistReply =
  | { type: "loading"; what: string }
  | { type: "start"; target: "js" | "wasm"; targetNote?: string; steps: number; model: string }
  | { type: "progress"; epoch: number; step: number; steps: number; loss: number }
  | { type: "epoch"; report: EpochReport }
  | { type: "done"; accuracy: number | null; seconds: number; firstLayer: FirstLayer | null }
  | { type: "probabilities"; p: Float32Array; maps: Maps | null }
  | { type: "digit"; index: number; image: Float32Array; label: number }
  | { type: "error"; message: string };

export type TextRequest =
  | { type: "train"; setup: TextSetup; words: string }
  | { type: "pause" }
  | { type: "resume" }
  /** one head's attention for a word */
  | { type: "attention"; word: string; layer: number; head: number };

export type TextReply =
  | { type: "loading"; what: string }
  | { type: "start"; target: "js" | "wasm"; targetNote?: string; model: string; note: string }
  /** about every second while it trains: the mean training loss since the last, new samples */
  | {
      type: "report";
      step: number;
      trainLoss: number;
      testLoss: number;
      samples: string[];
      stepsPerSecond: number;
    }
  | { type: "attention"; attention: Attention | null; word: string }
  | { type: "error"; message: string };
