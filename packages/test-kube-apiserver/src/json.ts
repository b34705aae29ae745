/*
 * Stored objects are plain JSON: copies and order-insensitive comparison.
 */

/** A deep copy; stored objects are plain JSON, for which this is the fastest copy. */
export function clone<T>(o: T): T {
  return o === undefined ? o : JSON.parse(JSON.stringify(o));
}

/** JSON with sorted keys, to compare objects whatever order their fields came in. */
export function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x) =>
    x && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(
          Object.keys(x)
            .sort()
            .map(k => [k, x[k]]),
        )
      : x,
  );
}
