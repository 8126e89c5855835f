// The MNIST tab's worker: loads the digits, trains the model with nnc's trainer (progress about
// ten times a second), then answers with the class probabilities of drawn digits (and a
// convolutional model's first feature maps), and with held-out digits to look at.
import { decodeDigits, gunzip, type DigitTables } from "./digits.ts";
import { MnistSession } from "./mnist-session.ts";
import type { MnistReply, MnistRequest } from "./protocol.ts";
import { messageOf } from "./session.ts";

let digits: Promise<DigitTables> | null = null;
let session: MnistSession | null = null;
const post = (m: MnistReply) => self.postMessage(m);

async function train(m: Extract<MnistRequest, { type: "train" }>) {
  post({ type: "loading", what: "the digits" });
  digits ??= fetch(m.digits).then(gunzip).then(decodeDigits);
  const tables = await digits;
  post({ type: "loading", what: "the model" });
  session = new MnistSession(m.setup, tables);
  const c = session.compiled;
  post({
    type: "start",
    target: c.target,
    ...(c.targetNote ? { targetNote: c.targetNote } : {}),
    steps: session.trainer.stepsPerEpoch * m.setup.epochs,
    model: c.model.name,
  });
  let last = 0;
  const history = session.run(
    (s) => {
      const now = performance.now();
      if (now - last < 100 && s.step < s.steps) return;
      last = now;
      post({ type: "progress", epoch: s.epoch, step: s.step, steps: s.steps, loss: s.loss });
    },
    (report) => post({ type: "epoch", report }),
  );
  const end = history.epochs[history.epochs.length - 1]!;
  post({
    type: "done",
    accuracy: end.testAccuracy,
    seconds: history.seconds,
    firstLayer: session.firstLayer(),
  });
}

function answer(s: MnistSession, m: Exclude<MnistRequest, { type: "train" }>): MnistReply {
  if (m.type === "digit") return { type: "digit", index: m.index, ...s.testDigit(m.index) };
  return { type: "probabilities", p: s.predict(m.image), maps: s.maps(m.image) };
}

self.onmessage = (e: MessageEvent<MnistRequest>) => {
  const m = e.data;
  if (m.type === "train")
    train(m).catch((err: unknown) => {
      digits = null;
      post({ type: "error", message: messageOf(err) });
    });
  else if (session) {
    try {
      post(answer(session, m));
    } catch (err) {
      post({ type: "error", message: messageOf(err) });
    }
  }
};
