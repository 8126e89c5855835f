// What the user sees while a model trains: a progress bar per epoch (loss, throughput, ETA) where
// stdout is a terminal, plain progress lines every few seconds where it is not (a log file, CI),
// and one summary line per epoch.
import cliProgress from "cli-progress";
import type { EpochReport, StepInfo, TrainHooks } from "./trainer.ts";

export type Write = (text: string) => void;

/** Plain progress lines are at least this far apart. */
const plainEvery = 5000;
/** Epochs of fewer steps pass too quickly for a bar. */
const minBarSteps = 10;

export function formatEpoch(r: EpochReport, epochs: number): string {
  const acc =
    r.testAccuracy === null ? "" : `  test accuracy ${(100 * r.testAccuracy).toFixed(2)}%`;
  const train = Number.isNaN(r.trainLoss) ? "" : `  train loss ${r.trainLoss.toFixed(4)}`;
  const head = r.epoch === 0 ? "before training" : `epoch ${r.epoch}/${epochs}`;
  const time = r.epoch === 0 ? "" : `  (${r.epochSeconds.toFixed(1)} s)`;
  return `${head}${train}  test loss ${r.testLoss.toFixed(4)}${acc}${time}`;
}

/** Which epochs get a line: all of up to 50, else about 20 of them, and always the last. */
export function shownEpochs(epochs: number): (epoch: number) => boolean {
  const every = epochs <= 50 ? 1 : Math.ceil(epochs / 20);
  return (epoch) => epoch % every === 0 || epoch === epochs;
}

/**
 * Hooks for `Trainer.run` that show progress: a bar per epoch where `tty` (stdout is a terminal),
 * plain lines every few seconds elsewhere, and one summary line per epoch through `write`.
 */
export function progressHooks(
  epochs: number,
  write: Write,
  tty = Boolean(process.stdout.isTTY),
): TrainHooks {
  let bar: cliProgress.SingleBar | undefined;
  let lossSum = 0;
  let examples = 0;
  let started = 0;
  let lastPlain = 0;
  const shown = shownEpochs(epochs);
  const state = (info: StepInfo) => {
    const seconds = (performance.now() - started) / 1000;
    return {
      epoch: info.epoch,
      epochs,
      loss: (lossSum / info.step).toFixed(4),
      rate: Math.round(examples / Math.max(seconds, 1e-9)),
    };
  };
  return {
    epochStart(epoch, steps) {
      lossSum = 0;
      examples = 0;
      started = lastPlain = performance.now();
      if (!tty || steps < minBarSteps) return;
      bar = new cliProgress.SingleBar(
        {
          format:
            "epoch {epoch}/{epochs} [{bar}] {value}/{total} batches | loss {loss} | {rate} examples/s | ETA {eta_formatted}",
          stream: process.stdout,
          clearOnComplete: true,
          hideCursor: true,
          etaBuffer: 50,
          barsize: 24,
        },
        cliProgress.Presets.shades_classic,
      );
      bar.start(steps, 0, { epoch, epochs, loss: "-", rate: 0 });
    },
    step(info) {
      lossSum += info.loss;
      examples += info.examples;
      if (bar) bar.update(info.step, state(info));
      else if (performance.now() - lastPlain >= plainEvery && info.step < info.steps) {
        lastPlain = performance.now();
        const s = state(info);
        write(
          `epoch ${info.epoch}/${epochs}  ${info.step}/${info.steps} batches  loss ${s.loss}  ${s.rate} examples/s`,
        );
      }
    },
    epochEnd(report) {
      bar?.stop();
      bar = undefined;
      if (shown(report.epoch)) write(formatEpoch(report, epochs));
    },
  };
}
