// The fixed helpers every generated module carries, at module scope: reading the feed with clear
// messages, and the seeded random numbers of initializers and dropout. Like every name the
// compiler makes up, theirs start with `$`.

/** Module-level helpers (no model state). */
export const helpers = `const $hasOwn = (obj, key) => Object.prototype.hasOwnProperty.call(obj, key);

function $describe(v) {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array of length " + v.length;
  if (ArrayBuffer.isView(v)) return "a " + v.constructor.name + " of length " + v.length;
  if (typeof v === "number") return "the number " + v;
  if (typeof v === "string") return "a string";
  return typeof v === "object" ? "an object" : String(v);
}

function $badInput(name, shape, v, why) {
  return new Error("input " + JSON.stringify(name) + " should have shape " + shape + why + "; got " + $describe(v));
}

/** What the feed holds under \`name\`: an own property of an object, or an entry of a Map. */
function $feedValue(feed, name, shape) {
  if (feed instanceof Map) {
    if (!feed.has(name)) throw $badInput(name, shape, undefined, " but it is missing");
    return feed.get(name);
  }
  if (feed === null || typeof feed !== "object") throw new Error("expected an object (or a Map) of inputs, got " + $describe(feed));
  if (!$hasOwn(feed, name)) {
    const hint =
      name === "__proto__"
        ? " (an object literal's __proto__ sets its prototype: " +
          'use a Map, or { ["__proto__"]: value })'
        : "";
    throw $badInput(name, shape, undefined, " but it is missing" + hint);
  }
  return feed[name];
}

/** Typed arrays of numbers: not DataView, nor the 64-bit integer arrays (of BigInts). */
function $isNumberArray(v) {
  return ArrayBuffer.isView(v) && !(v instanceof DataView) && !(v.BYTES_PER_ELEMENT === 8 && !(v instanceof Float64Array));
}

/** The array fed as \`name\`: an array of numbers or a typed array of numbers. */
function $takeArray(feed, name, shape) {
  const v = $feedValue(feed, name, shape);
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++)
      if (typeof v[i] !== "number") throw $badInput(name, shape, v, " (numbers only; element " + i + " is " + $describe(v[i]) + ")");
    return v;
  }
  if ($isNumberArray(v)) return v;
  throw $badInput(name, shape, v, " (an array of numbers or a typed array of numbers)");
}

/**
 * The integers fed as \`name\` (indices, classes): an Int32Array or any array of numbers, each an
 * integer from 0 to bound - 1.
 */
function $takeIndices(feed, name, shape, bound) {
  const v = $feedValue(feed, name, shape);
  if (!Array.isArray(v) && !$isNumberArray(v))
    throw $badInput(name, shape, v, " (an Int32Array, or an array of integers)");
  for (let i = 0; i < v.length; i++) {
    const k = v[i];
    if (typeof k !== "number" || !Number.isInteger(k) || k < 0 || k >= bound)
      throw $badInput(name, shape, v, " (integers from 0 to " + (bound - 1) + "; element " + i + " is " + (typeof k === "number" ? k : $describe(k)) + ")");
  }
  return v;
}

function $takeNumber(feed, name) {
  const v = $feedValue(feed, name, "scalar");
  if (typeof v !== "number") throw $badInput(name, "scalar", v, " (a plain number)");
  return v;
}

/** Binds a named dim from an array's length: length / (the product of its other dims). */
function $bindDim(v, name, shape, dim, per) {
  const size = v.length / per;
  if (!Number.isInteger(size) || size < 1)
    throw $badInput(name, shape, v, " (its length must be a positive multiple of " + per + ", which gives " + dim + ")");
  return size;
}

function $checkLength(v, name, shape, expected) {
  if (v.length !== expected) throw $badInput(name, shape, v, ", that is " + expected + " numbers here");
}

/** Random numbers from the state in rng[0] (an Int32Array): mulberry32. */
function $random(rng) {
  const s = (rng[0] = (rng[0] + 0x6d2b79f5) | 0);
  let t = Math.imul(s ^ (s >>> 15), 1 | s);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

/** A standard normal number (Box-Muller). */
function $gaussian(rng) {
  return Math.sqrt(-2 * Math.log(1 - $random(rng))) * Math.cos(2 * Math.PI * $random(rng));
}

function $initUniform(rng, value, low, high) {
  for (let i = 0; i < value.length; i++) value[i] = low + (high - low) * $random(rng);
}

function $initNormal(rng, value, mean, std) {
  for (let i = 0; i < value.length; i++) value[i] = mean + std * $gaussian(rng);
}
`;
