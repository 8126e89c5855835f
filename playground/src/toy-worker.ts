// The Train tab's worker: runs a ToySession frame by frame, `speed` steps a frame at 20 frames a
// second (or, at "max", as many as fit in 100 ms), so that pause, step, the speed and the learning
// rate are heard between frames. A report costs a forward pass over the grid and the points: a
// large model reports less often (its reports take at most a quarter of the time), and says how
// many steps it has done between reports.
import type { Speed, ToyReply, ToyRequest } from "./protocol.ts";
import { messageOf } from "./session.ts";
import { ToySession } from "./toy-session.ts";

const frame = 50;
let session: ToySession | null = null;
let running = false;
let speed: Speed = 5;
/** how many steps fit in one slice of about 20 ms, learnt as it runs ("max") */
let slice = 1;
/** when the last report was sent, and how long it took */
let reported = 0;
let reportCost = 0;

const post = (m: ToyReply) =>
  self.postMessage(m, { transfer: m.type === "report" ? [m.report.regions.buffer] : [] });

function fail(e: unknown) {
  running = false;
  post({ type: "error", message: messageOf(e) });
}

function report() {
  const start = performance.now();
  const r = session!.report();
  reportCost = performance.now() - start;
  reported = performance.now();
  post({ type: "report", report: r, running });
}

/** each run's frames are its own: a run paused and started again ends the frames before */
let generation = 0;

/** One frame: its steps, then a report where one is due. */
function loop(run: number) {
  if (!running || !session || run !== generation) return;
  try {
    const start = performance.now();
    if (speed === "max") {
      while (performance.now() < start + 100) {
        const t = performance.now();
        session.run(slice);
        const took = performance.now() - t;
        slice = Math.max(
          1,
          Math.min(10_000, Math.round(slice * (took < 10 ? 2 : took > 30 ? 0.5 : 1))),
        );
      }
    } else session.run(speed);
    if (performance.now() - reported >= 3 * reportCost) report();
    else post({ type: "steps", step: session.done, running });
    const wait = speed === "max" ? 0 : Math.max(0, frame - (performance.now() - start));
    setTimeout(() => loop(run), wait);
  } catch (e) {
    fail(e);
  }
}

self.onmessage = (e: MessageEvent<ToyRequest>) => {
  const m = e.data;
  try {
    if (m.type === "setup") {
      running = false;
      session = null;
      post({ type: "phase", what: "compiling the model and making the data" });
      session = new ToySession(m.setup);
      post({ type: "ready", info: session.info });
      const { cells, evaluated } = session.info;
      post({
        type: "phase",
        what: `the first report: the regions on ${cells * cells} points, the loss on ${2 * evaluated}`,
      });
      report();
    } else if (m.type === "speed") {
      speed = m.speed;
      slice = 1;
    } else if (!session) return;
    else if (m.type === "run" && !running) {
      running = true;
      loop(++generation);
    } else if (m.type === "pause") {
      running = false;
      report();
    } else if (m.type === "step") {
      running = false;
      session.run(1);
      report();
    } else if (m.type === "lr") session.setLearningRate(m.lr);
  } catch (e) {
    fail(e);
  }
};
