// Objects keyed by names a user chose (params, inputs, dims, tensors of a weights file): made
// without a prototype, so that `constructor`, `toString` or `__proto__` are keys like any other
// and never reach Object.prototype's.

/** A record with no prototype, from `entries`. */
export function record<V>(entries: Iterable<readonly [string, V]> = []): Record<string, V> {
  const out = Object.create(null) as Record<string, V>;
  for (const [k, v] of entries) out[k] = v;
  return out;
}

/** The own entries of a record or a Map (users may give either), as a Map. */
export function ownEntries<V>(
  x: Readonly<Record<string, V>> | ReadonlyMap<string, V> | undefined,
): Map<string, V> {
  if (x === undefined) return new Map();
  if (x instanceof Map) return new Map(x);
  return new Map(Object.keys(x).map((k) => [k, (x as Readonly<Record<string, V>>)[k]!]));
}
