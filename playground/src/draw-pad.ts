// The MNIST tab's drawing pad: a canvas to draw a digit on with the mouse, a finger or a pen, and
// what the model sees of it (MNIST's 28 x 28 pixels); or a held-out digit put on it.
import { h } from "./dom.ts";
import { toMnist } from "./digits.ts";

const drawSize = 224;
const side = 28;

export class DrawPad {
  private readonly draw = h("canvas", {
    width: drawSize,
    height: drawSize,
    class: "draw",
    "aria-label": "draw a digit",
  });
  private readonly seen = h("canvas", {
    width: side,
    height: side,
    class: "seen",
    "aria-label": "what the model sees",
  });
  readonly element: HTMLElement;
  /** the digit on the pad, as passed on */
  private last: Float32Array | null = null;

  /**
   * `image` gets each digit drawn (or put on the pad) as 784 pixels in [0, 1]; `cleared` hears the
   * clear button; `extra` are more controls beside it.
   */
  constructor(
    private readonly image: (pixels: Float32Array) => void,
    cleared: () => void,
    extra: HTMLElement[] = [],
  ) {
    const clear = h("button", {}, "clear");
    clear.addEventListener("click", () => {
      this.clear();
      cleared();
    });
    this.element = h(
      "div",
      {},
      h("h3", {}, "Draw a digit"),
      this.draw,
      h(
        "div",
        { class: "controls" },
        clear,
        ...extra,
        h("span", { class: "hint" }, "the model sees:"),
        this.seen,
      ),
    );
    this.listen();
  }

  clear(): void {
    this.last = null;
    this.draw.getContext("2d")!.clearRect(0, 0, drawSize, drawSize);
    this.seen.getContext("2d")!.clearRect(0, 0, side, side);
  }

  /** Puts a digit's 784 pixels on the pad, each as a square of ink, and passes them on as they are. */
  put(image: Float32Array): void {
    const c = this.draw.getContext("2d")!;
    const cell = drawSize / side;
    c.clearRect(0, 0, drawSize, drawSize);
    image.forEach((v, i) => {
      c.fillStyle = `rgba(0, 0, 0, ${v})`;
      c.fillRect((i % side) * cell, Math.floor(i / side) * cell, cell, cell);
    });
    this.pass(image);
  }

  /** Passes the digit on the pad on again, if there is one. */
  again(): void {
    if (this.last) this.image(this.last);
  }

  private listen(): void {
    const c = this.draw.getContext("2d")!;
    let last: [number, number] | null = null;
    const at = (e: PointerEvent): [number, number] => {
      const r = this.draw.getBoundingClientRect();
      return [
        ((e.clientX - r.left) / r.width) * drawSize,
        ((e.clientY - r.top) / r.height) * drawSize,
      ];
    };
    this.draw.addEventListener("pointerdown", (e) => {
      this.draw.setPointerCapture(e.pointerId);
      last = at(e);
    });
    this.draw.addEventListener("pointermove", (e) => {
      if (!last) return;
      const p = at(e);
      c.strokeStyle = "#000";
      c.lineWidth = 16;
      c.lineCap = "round";
      c.beginPath();
      c.moveTo(...last);
      c.lineTo(...p);
      c.stroke();
      last = p;
    });
    const end = () => {
      if (last) this.drawn();
      last = null;
    };
    this.draw.addEventListener("pointerup", end);
    this.draw.addEventListener("pointercancel", end);
  }

  /** The drawing as MNIST's 28 x 28 pixels. */
  private drawn(): void {
    const rgba = this.draw.getContext("2d")!.getImageData(0, 0, drawSize, drawSize).data;
    const ink = new Float32Array(drawSize * drawSize);
    let any = false;
    for (let i = 0; i < ink.length; i++) {
      ink[i] = rgba[4 * i + 3]! / 255;
      any ||= ink[i]! > 0;
    }
    if (any) this.pass(toMnist(ink, drawSize));
  }

  private pass(image: Float32Array): void {
    const img = new ImageData(side, side);
    image.forEach((v, i) =>
      img.data.set([255 * (1 - v), 255 * (1 - v), 255 * (1 - v), 255], 4 * i),
    );
    this.seen.getContext("2d")!.putImageData(img, 0, 0);
    this.last = image;
    this.image(image);
  }
}
