// The Train tab's worker: runs a ToySession in slices, so that pause, step and the learning rate
// are heard between slices, and reports about ten times a second.
import type { ToyReply, ToyRequest } from "./protocol.ts";
import { messageOf } from "./session.ts";
import { ToySession } from "./toy-session.ts";

let session: ToySession | null = null;
let running = false;
/** how many steps fit in one slice of about 20 ms, learnt as it runs */
let slice = 1;

const post = (m: ToyReply) =>
  self.postMessage(m, { transfer: "report" in m ? [m.report.regions.buffer] : [] });

function fail(e: unknown) {
  running = false;
  post({ type: "error", message: messageOf(e) });
}

function loop() {
  if (!running || !session) return;
  try {
    const until = performance.now() + 100;
    while (performance.now() < until) {
      const start = performance.now();
      session.run(slice);
      const took = performance.now() - start;
      slice = Math.max(
        1,
        Math.min(10_000, Math.round(slice * (took < 10 ? 2 : took > 30 ? 0.5 : 1))),
      );
    }
    post({ type: "report", report: session.report(), running });
    setTimeout(loop, 0);
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
      session = new ToySession(m.setup);
      post({ type: "ready", info: session.info, report: session.report() });
    } else if (!session) return;
    else if (m.type === "run" && !running) {
      running = true;
      loop();
    } else if (m.type === "pause") {
      running = false;
      post({ type: "report", report: session.report(), running });
    } else if (m.type === "step") {
      running = false;
      session.run(1);
      post({ type: "report", report: session.report(), running });
    } else if (m.type === "lr") session.setLearningRate(m.lr);
  } catch (e) {
    fail(e);
  }
};
