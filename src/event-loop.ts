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
export function stringifyInSlices(value: object): string | Promise<string> {
  const parts: string[] = [];
  const writing = writeJson(value, parts);
  const finish = async () => {
    do await laterSlice();
    while (!writing.next().done);
    return parts.join('');
  };
  return writing.next().done ? parts.join('') : finish();
}

type JsonObject = Record<string, unknown> & { toJSON?: unknown };

/** Writes `value`'s JSON text into `out`, pausing (yield) where the slice is long. */
function* writeJson(value: unknown, out: string[]): Generator<void, void, void> {
  if (Array.isArray(value)) {
    out.push('[');
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out.push(',');
      if (value.length === 1) {
        const before = out.length;
        yield* writeJson(value[0], out);
        if (out.length === before) out.push('null');
      } else {
        if (sliceIsLong()) yield;
        out.push(JSON.stringify(value[i]) ?? 'null');
      }
    }
    out.push(']');
  } else if (value !== null && typeof value === 'object' && typeof (value as JsonObject).toJSON !== 'function') {
    out.push('{');
    let first = true;
    for (const key of Object.keys(value)) {
      const field = (value as JsonObject)[key];
      if (field === undefined || typeof field === 'function' || typeof field === 'symbol') continue;
      out.push(first ? `${JSON.stringify(key)}:` : `,${JSON.stringify(key)}:`);
      first = false;
      if (field !== null && typeof field === 'object') yield* writeJson(field, out);
      else out.push(JSON.stringify(field));
    }
    out.push('}');
  } else {
    const text = JSON.stringify(value);
    if (text !== undefined) out.push(text);
  }
}
