// The fixed helpers every generated module carries: input checking with clear messages, and the
// seeded random numbers used by initializers and dropout. Their names are reserved in names.ts.

/** Module-level helpers (no model state). */
export const helpers = `const hasOwn = (obj, key) => Object.prototype.hasOwnProperty.call(obj, key);

function describe(v) {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array of length " + v.length;
  if (ArrayBuffer.isView(v)) return "a " + v.constructor.name + " of length " + v.length;
  if (typeof v === "number") return "the number " + v;
  if (typeof v === "string") return "a string";
  return typeof v === "object" ? "an object" : String(v);
}

function badInput(name, shape, v, why) {
  return new Error("input " + JSON.stringify(name) + " should have shape " + shape + why + "; got " + describe(v));
}

/** The array fed as \`name\`: an array of numbers or a typed array. */
function takeArray(feed, name, shape) {
  if (feed === null || typeof feed !== "object") throw new Error("expected an object of inputs, got " + describe(feed));
  if (!hasOwn(feed, name)) throw badInput(name, shape, undefined, " but it is missing");
  const v = feed[name];
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++)
      if (typeof v[i] !== "number") throw badInput(name, shape, v, " (numbers only; element " + i + " is " + describe(v[i]) + ")");
    return v;
  }
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return v;
  throw badInput(name, shape, v, " (an array of numbers or a typed array)");
}

function takeNumber(feed, name) {
  if (feed === null || typeof feed !== "object") throw new Error("expected an object of inputs, got " + describe(feed));
  if (!hasOwn(feed, name)) throw badInput(name, "scalar", undefined, " but it is missing");
  const v = feed[name];
  if (typeof v !== "number") throw badInput(name, "scalar", v, " (a plain number)");
  return v;
}

/** Binds a named dim from an array's length: length / (the product of its other dims). */
function bindDim(v, name, shape, dim, per) {
  const size = v.length / per;
  if (!Number.isInteger(size) || size < 1)
    throw badInput(name, shape, v, " (its length must be a positive multiple of " + per + ", which gives " + dim + ")");
  return size;
}

function checkLength(v, name, shape, expected) {
  if (v.length !== expected) throw badInput(name, shape, v, ", that is " + expected + " numbers here");
}
`;

/** Per-model random numbers: mulberry32, and Box-Muller for normals. */
export const prng = `let rngState = seed >>> 0;
function random() {
  rngState = (rngState + 0x6d2b79f5) | 0;
  let t = Math.imul(rngState ^ (rngState >>> 15), 1 | rngState);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
function gaussian() {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}
function initUniform(value, low, high) {
  for (let i = 0; i < value.length; i++) value[i] = low + (high - low) * random();
}
function initNormal(value, mean, std) {
  for (let i = 0; i < value.length; i++) value[i] = mean + std * gaussian();
}`;
