import { inSlice } from '../../src/event-loop.js';

/** Holds the thread for `ms`, as a resolver's synchronous work does. */
const busy = (ms: number) => {
  const end = performance.now() + ms;
  while (performance.now() < end);
};
/** A fresh turn of the event loop: no slice has begun in it. */
const freshTurn = () => new Promise((resolve) => setTimeout(resolve, 2));

describe('inSlice: per-node work spread over turns of the event loop', () => {
  it('computes at once while the turn is short', async () => {
    await freshTurn();
    const started = performance.now();
    expect(inSlice(() => 42)).toBe(42);
    busy(2);
    const second = inSlice(() => 43);
    // Unless the machine took the thread away for 10 ms in between (a loaded CI host can).
    if (performance.now() - started < 8) expect(second).toBe(43);
    else await expect(second).resolves.toBe(43);
  });

  it('defers the work to a later turn once this one has run 10 ms', async () => {
    await freshTurn();
    expect(inSlice(() => 1)).toBe(1);
    busy(12);
    let immediateRan = false;
    const later = inSlice(() => immediateRan);
    setImmediate(() => {
      immediateRan = true;
    });
    expect(later).toBeInstanceOf(Promise);
    // The rest of this turn (its setImmediate) ran before the deferred work.
    expect(await later).toBe(true);
  });

  it('runs deferred work a slice at a time, with the loop served between slices', async () => {
    await freshTurn();
    const events: string[] = [];
    inSlice(() => undefined);
    busy(12);
    const results = Array.from({ length: 12 }, (_, i) =>
      inSlice(() => {
        busy(3);
        events.push(`w${i}`);
        return i;
      }),
    );
    const tick = setInterval(() => events.push('tick'), 0);
    expect(await Promise.all(results)).toEqual([...Array(12).keys()]);
    clearInterval(tick);
    // About 10 ms of work between two ticks of another timer: 3 ms pieces, four at the most.
    const between = events.join(' ').split('tick').map((s) => s.trim().split(' ').filter(Boolean).length);
    expect(Math.max(...between)).toBeLessThanOrEqual(4);
    expect(events.filter((e) => e === 'tick').length).toBeGreaterThanOrEqual(2);
    // In order.
    expect(events.filter((e) => e !== 'tick')).toEqual(results.map((_, i) => `w${i}`));
  });
});
