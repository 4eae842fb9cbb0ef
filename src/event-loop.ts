/**
 * Cooperative slices of the event loop. A list's rows arrive in one statement
 * and graphql-jit completes its nodes one after another in the same turn: for
 * the 50×20×10 dashboard, 1,000 mappings whose field mappings are parsed and
 * built, 20–35 ms in which no timer, socket or other request is served. A
 * resolver that does heavy work per node computes through `inSlice`: once the
 * current turn has run SLICE_MS, the rest of the nodes wait for later turns
 * (a timer: the loop serves timers and I/O first), a slice at a time.
 */
// 5 ms rather than 10: with the collector's pauses (up to 15–25 ms when the
// cores are contended) added to a turn, the 50×20×10 dashboard's largest
// event-loop delay at 50 connections measured 30–48 ms against 40–58 (bench/README.md).
const SLICE_MS = 5;

/** When the current slice began (performance.now()), or null between slices. */
let sliceStart: number | null = null;
const endSlice = () => {
  sliceStart = null;
};

/**
 * Whether the current turn has run SLICE_MS since it first asked. A slice
 * ends with its turn: setImmediate runs after the turn's I/O callbacks and
 * before the next turn's timers.
 */
function sliceIsLong(): boolean {
  const now = performance.now();
  if (sliceStart === null) {
    sliceStart = now;
    setImmediate(endSlice);
    return false;
  }
  return now - sliceStart >= SLICE_MS;
}

/** Waits for a later turn whose slice has room (others deferred with it may fill the next one). */
async function laterSlice(): Promise<void> {
  do await new Promise<void>((resolve) => setTimeout(resolve, 0));
  while (sliceIsLong());
}

/** `compute()` now, or in a later turn when this one has run long. */
export function inSlice<T>(compute: () => T): T | Promise<T> {
  return sliceIsLong() ? laterSlice().then(compute) : compute();
}

/**
 * `JSON.stringify(value)`, built so that a large value does not hold the loop
 * in one piece: the 50×20×10 dashboard's 1.5 MB response takes 6–15 ms to
 * serialise. The outer objects are walked; each element of the first list
 * with two or more elements on a path is serialised natively, and between
 * elements, once the turn has run its slice, the rest waits for a later turn.
 * A value serialised within the slice is returned at once.
 */
export function stringifyInSlices(value: unknown): string | undefined | Promise<string | undefined> {
  const resolved = jsonValue(value, '');
  if (writesNothing(resolved)) return undefined;
  const parts: string[] = [];
  const writing = writeJson(resolved, parts);
  const finish = async () => {
    do await laterSlice();
    while (!writing.next().done);
    return parts.join('');
  };
  return writing.next().done ? parts.join('') : finish();
}

type WithToJson = { toJSON: (key: string) => unknown };
const hasToJson = (value: unknown): value is WithToJson =>
  value !== null && typeof value === 'object' && typeof (value as Partial<WithToJson>).toJSON === 'function';

/** What JSON.stringify writes for `value` under `key`: its `toJSON(key)` when it has one (SerializeJSONProperty). */
const jsonValue = (value: unknown, key: string): unknown => (hasToJson(value) ? value.toJSON(key) : value);

/** JSON.stringify writes nothing for these (a property is left out, a list element is null). */
const writesNothing = (value: unknown): boolean => value === undefined || typeof value === 'function' || typeof value === 'symbol';

/** An object JSON.stringify writes member by member: not null, not a boxed primitive (those it unboxes). */
const isWalked = (value: unknown): value is object =>
  value !== null && typeof value === 'object' && !(value instanceof Number || value instanceof String || value instanceof Boolean || value instanceof BigInt);

/**
 * Writes the JSON text of `value`, whose own `toJSON` has been applied
 * (jsonValue) and which writes something, into `out`, pausing (yield) where
 * the slice is long.
 */
function* writeJson(value: unknown, out: string[]): Generator<void, void, void> {
  if (Array.isArray(value)) {
    out.push('[');
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out.push(',');
      const item = jsonValue(value[i], String(i));
      if (writesNothing(item)) {
        out.push('null');
      } else if (value.length === 1 || hasToJson(item)) {
        // Walked: a lone element may hold the whole response; a toJSON's result is not given to its own toJSON.
        yield* writeJson(item, out);
      } else {
        if (sliceIsLong()) yield;
        out.push(JSON.stringify(item));
      }
    }
    out.push(']');
  } else if (isWalked(value)) {
    out.push('{');
    let first = true;
    for (const key of Object.keys(value)) {
      const field = jsonValue((value as Record<string, unknown>)[key], key);
      if (writesNothing(field)) continue;
      out.push(first ? `${JSON.stringify(key)}:` : `,${JSON.stringify(key)}:`);
      first = false;
      if (isWalked(field)) yield* writeJson(field, out);
      else out.push(JSON.stringify(field));
    }
    out.push('}');
  } else {
    out.push(JSON.stringify(value));
  }
}
