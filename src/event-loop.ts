/**
 * Cooperative slices of the event loop. A list's rows arrive in one statement
 * and graphql-jit completes its nodes one after another in the same turn: for
 * the 50×20×10 dashboard, 1,000 mappings whose field mappings are parsed and
 * built, 20–35 ms in which no timer, socket or other request is served. A
 * resolver that does heavy work per node computes through `inSlice`: once the
 * current turn has run SLICE_MS, the rest of the nodes wait for later turns
 * (a timer: the loop serves timers and I/O first), a slice at a time.
 */
const SLICE_MS = 10;

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
