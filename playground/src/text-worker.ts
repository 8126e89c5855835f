// The Text tab's worker: loads the word list, trains the model in slices of about 50 ms (so that
// it answers the page between them), and about every second reports the mean training loss, the
// held-out loss and new samples; asked, it gives one head's attention pattern for a word.
import { gunzip } from "./digits.ts";
import type { TextReply, TextRequest } from "./protocol.ts";
import { messageOf } from "./session.ts";
import { TextSession } from "./text-session.ts";

let words: Promise<string[]> | null = null;
let session: TextSession | null = null;
let running = false;
let timer: ReturnType<typeof setTimeout> | undefined;
let last = { at: 0, step: 0, losses: 0, sum: 0 };
const post = (m: TextReply) => self.postMessage(m);

function report(): void {
  const s = session!;
  const now = performance.now();
  const steps = s.steps - last.step;
  post({
    type: "report",
    step: s.steps,
    trainLoss: last.losses > 0 ? last.sum / last.losses : NaN,
    testLoss: s.testLoss(),
    samples: s.samples(10, s.steps + 1),
    stepsPerSecond: steps > 0 ? (1000 * steps) / (now - last.at) : 0,
  });
  last = { at: now, step: s.steps, losses: 0, sum: 0 };
}

function slice(): void {
  if (!running || !session) return;
  try {
    const end = performance.now() + 50;
    do {
      last.sum += session.step();
      last.losses++;
    } while (performance.now() < end);
    if (performance.now() - last.at >= 1000) report();
  } catch (err) {
    running = false;
    post({ type: "error", message: messageOf(err) });
    return;
  }
  timer = setTimeout(slice, 0);
}

async function train(m: Extract<TextRequest, { type: "train" }>) {
  post({ type: "loading", what: "the words" });
  words ??= fetch(m.words)
    .then((r) => gunzip(r, "the words"))
    .then((b) => new TextDecoder().decode(b).split("\n"));
  const list = await words;
  post({ type: "loading", what: "the model" });
  session = new TextSession(m.setup, list);
  const c = session.compiled;
  post({
    type: "start",
    target: c.target,
    ...(c.targetNote ? { targetNote: c.targetNote } : {}),
    model: c.model.name,
    note: session.note,
  });
  last = { at: performance.now(), step: 0, losses: 0, sum: 0 };
  report();
  running = true;
  slice();
}

self.onmessage = (e: MessageEvent<TextRequest>) => {
  const m = e.data;
  try {
    if (m.type === "train")
      train(m).catch((err: unknown) => {
        words = null;
        post({ type: "error", message: messageOf(err) });
      });
    else if (m.type === "pause") {
      running = false;
      clearTimeout(timer);
    } else if (m.type === "resume" && session && !running) {
      running = true;
      last = { at: performance.now(), step: session.steps, losses: 0, sum: 0 };
      slice();
    } else if (m.type === "attention" && session)
      post({
        type: "attention",
        word: m.word,
        attention: session.attention(m.word, m.layer, m.head),
      });
  } catch (err) {
    post({ type: "error", message: messageOf(err) });
  }
};
