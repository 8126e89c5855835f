// The MNIST digits of `nnc train --data mnist` (the `mnist` package's 10,000, split 8,000 / 2,000
// by the same fixed permutation) as one compact file for the page, and back. The package's pixels
// take 256 values (a grey level to three decimals), so each pixel is stored as one byte, an index
// into those values: the page trains on exactly the CLI's numbers.
//
// Layout, little-endian: "NNCD", version 1, the number of training and of test digits (u32 each),
// the 256 pixel values (f32), then every digit's 784 pixel indices, then every digit's class (u8).

export const pixels = 784;
const magic = 0x4443_4e4e; // "NNCD"

/** A split of the digits as the page reads it: the same layout as the CLI's tables (785 columns:
 * 784 pixels in [0, 1], then the class). */
export interface DigitTables {
  train: { rows: number; values: Float32Array };
  test: { rows: number; values: Float32Array };
}

export function encodeDigits(split: {
  train: { rows: number; values: ArrayLike<number> };
  test: { rows: number; values: ArrayLike<number> };
}): Uint8Array {
  const all = [split.train, split.test];
  const levels = new Map<number, number>();
  for (const t of all)
    for (let r = 0; r < t.rows; r++)
      for (let c = 0; c < pixels; c++) levels.set(t.values[r * (pixels + 1) + c]!, 0);
  if (levels.size > 256) throw new Error(`the digits take ${levels.size} pixel values, over 256`);
  const sorted = [...levels.keys()].sort((a, b) => a - b);
  sorted.forEach((v, i) => levels.set(v, i));
  const n = split.train.rows + split.test.rows;
  const out = new Uint8Array(16 + 256 * 4 + n * (pixels + 1));
  const view = new DataView(out.buffer);
  [magic, 1, split.train.rows, split.test.rows].forEach((v, i) => view.setUint32(4 * i, v, true));
  sorted.forEach((v, i) => view.setFloat32(16 + 4 * i, v, true));
  let px = 16 + 1024;
  let label = px + n * pixels;
  for (const t of all)
    for (let r = 0; r < t.rows; r++) {
      for (let c = 0; c < pixels; c++) out[px++] = levels.get(t.values[r * (pixels + 1) + c]!)!;
      out[label++] = t.values[r * (pixels + 1) + pixels]!;
    }
  return out;
}

export function decodeDigits(bytes: Uint8Array): DigitTables {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (
    bytes.byteLength < 16 + 1024 ||
    view.getUint32(0, true) !== magic ||
    view.getUint32(4, true) !== 1
  )
    throw new Error("the digits file is damaged or of another version: rebuild the playground");
  const nTrain = view.getUint32(8, true);
  const nTest = view.getUint32(12, true);
  const n = nTrain + nTest;
  if (bytes.byteLength !== 16 + 1024 + n * (pixels + 1))
    throw new Error("the digits file is truncated");
  const levels = Float32Array.from({ length: 256 }, (_, i) => view.getFloat32(16 + 4 * i, true));
  const table = (from: number, rows: number) => {
    const values = new Float32Array(rows * (pixels + 1));
    for (let r = 0; r < rows; r++) {
      const src = 16 + 1024 + (from + r) * pixels;
      for (let c = 0; c < pixels; c++) values[r * (pixels + 1) + c] = levels[bytes[src + c]!]!;
      values[r * (pixels + 1) + pixels] = bytes[16 + 1024 + n * pixels + from + r]!;
    }
    return { rows, values };
  };
  return { train: table(0, nTrain), test: table(nTrain, nTest) };
}

/**
 * The bytes of a gzipped file (the digits, the words), gunzipped here (DecompressionStream: every current browser) unless
 * the server already did (a host that sends it with `Content-Encoding: gzip`).
 */
export async function gunzip(response: Response, what = "the digits"): Promise<Uint8Array> {
  if (!response.ok)
    throw new Error(`cannot load ${what} (${response.status} ${response.statusText})`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/**
 * A drawing (ink as alpha, `size` x `size`) as MNIST prepares its digits: the ink's bounding box
 * scaled to fit 20 x 20 pixels, placed in 28 x 28 with its centre of mass at the centre.
 */
export function toMnist(ink: ArrayLike<number>, size: number): Float32Array {
  const out = new Float32Array(pixels);
  let [x0, x1, y0, y1] = [size, -1, size, -1];
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++)
      if (ink[y * size + x]! > 0)
        [x0, x1, y0, y1] = [Math.min(x0, x), Math.max(x1, x), Math.min(y0, y), Math.max(y1, y)];
  if (x1 < 0) return out;
  const scale = 20 / Math.max(x1 - x0 + 1, y1 - y0 + 1);
  // the box scaled into a 20 x 20 patch, each output pixel the mean of the ink it covers
  const w = Math.max(1, Math.round((x1 - x0 + 1) * scale));
  const hgt = Math.max(1, Math.round((y1 - y0 + 1) * scale));
  const patch = new Float32Array(w * hgt);
  const count = new Float32Array(w * hgt);
  for (let y = y0; y <= y1; y++)
    for (let x = x0; x <= x1; x++) {
      const i =
        Math.min(hgt - 1, Math.floor((y - y0) * scale)) * w +
        Math.min(w - 1, Math.floor((x - x0) * scale));
      patch[i] = patch[i]! + ink[y * size + x]!;
      count[i] = count[i]! + 1;
    }
  let [mass, mx, my] = [0, 0, 0];
  for (let i = 0; i < patch.length; i++) {
    patch[i] = count[i]! > 0 ? patch[i]! / count[i]! : 0;
    mass += patch[i]!;
    mx += patch[i]! * (i % w);
    my += patch[i]! * Math.floor(i / w);
  }
  const ox = Math.round(14 - (mass > 0 ? mx / mass : w / 2) - 0.5);
  const oy = Math.round(14 - (mass > 0 ? my / mass : hgt / 2) - 0.5);
  for (let y = 0; y < hgt; y++)
    for (let x = 0; x < w; x++) {
      const [tx, ty] = [x + ox, y + oy];
      if (tx >= 0 && tx < 28 && ty >= 0 && ty < 28)
        out[ty * 28 + tx] = Math.min(1, patch[y * w + x]!);
    }
  return out;
}
