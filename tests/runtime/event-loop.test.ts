import fc from 'fast-check';
import { inSlice, stringifyInSlices } from '../../src/event-loop.js';

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
    // Measured after the call, so inSlice's own check saw less. Unless the machine took the thread
    // away in between (a loaded CI host can), that is under the slice and the work ran at once.
    if (performance.now() - started < 4) expect(second).toBe(43);
    else expect(await second).toBe(43);
  });

  it('defers the work to a later turn once this one has run its slice (5 ms)', async () => {
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
    // About 5 ms of work between two ticks of another timer: 3 ms pieces, two at the most.
    const between = events.join(' ').split('tick').map((s) => s.trim().split(' ').filter(Boolean).length);
    expect(Math.max(...between)).toBeLessThanOrEqual(2);
    expect(events.filter((e) => e === 'tick').length).toBeGreaterThanOrEqual(2);
    // Each piece once. (Not necessarily in order: on a loaded machine a piece deferred again goes behind later ones.)
    expect(events.filter((e) => e !== 'tick').sort()).toEqual(results.map((_, i) => `w${i}`).sort());
  });
});

describe('stringifyInSlices: a response serialised a slice at a time', () => {
  /** Values JSON.stringify treats specially: toJSON (with its key), boxed primitives, what it leaves out. */
  const leaf = fc.oneof(
    fc.jsonValue(),
    fc.constantFrom(undefined, -0, Number.NaN, Symbol('s')),
    fc.date({ noInvalidDate: true }),
    fc.func(fc.integer()),
    fc.string().map((v) => new String(v)),
    fc.integer().map((v) => new Number(v)),
    fc.boolean().map((v) => new Boolean(v)),
    fc.constant({ toJSON: (key: string) => `key ${key}` }),
  );
  const tree = fc.letrec((tie) => ({
    node: fc.oneof({ depthSize: 'small' }, leaf, tie('list'), tie('object'), tie('toJson'), tie('listWithToJson')),
    list: fc.array(tie('node'), { maxLength: 4 }),
    object: fc.dictionary(fc.string(), tie('node'), { maxKeys: 4 }),
    // toJSON's result (undefined, a function, a list, an object with a toJSON of its own …) is written as it is.
    toJson: tie('node').map((v) => ({ toJSON: () => v })),
    listWithToJson: fc.tuple(fc.array(tie('node'), { maxLength: 3 }), tie('node')).map(([items, v]) => Object.assign(items, { toJSON: () => v })),
  })).node;

  it('writes the text JSON.stringify writes', async () => {
    await fc.assert(fc.asyncProperty(tree, async (v) => expect(await stringifyInSlices(v)).toBe(JSON.stringify(v))), { numRuns: 500 });
    expect(await stringifyInSlices({ data: { list: [undefined, () => 1], one: [undefined], at: new Date(0) } })).toBe(
      '{"data":{"list":[null,null],"one":[null],"at":"1970-01-01T00:00:00.000Z"}}',
    );
    expect(await stringifyInSlices({ a: { toJSON: () => undefined }, b: 1 })).toBe('{"b":1}');
  });

  it('writes the same text when it pauses between slices', async () => {
    const slow = { toJSON: () => (busy(3), 'slow') };
    await fc.assert(
      fc.asyncProperty(fc.array(tree, { minLength: 2, maxLength: 4 }), async (items) => {
        const value = { data: { items: [slow, ...items, slow, slow, ...items] } };
        const text = stringifyInSlices(value);
        expect(text).toBeInstanceOf(Promise);
        expect(await text).toBe(JSON.stringify(value));
      }),
      { numRuns: 25 },
    );
  });

  it('serves the loop between slices of a large value', async () => {
    await freshTurn();
    const events: string[] = [];
    // Each element takes 2 ms to serialise, as a workspace of a large dashboard does.
    const items = Array.from({ length: 30 }, (_, i) => ({
      toJSON: () => {
        busy(2);
        events.push(`i${i}`);
        return { i };
      },
    }));
    const tick = setInterval(() => events.push('tick'), 0);
    const text = await stringifyInSlices({ data: { items } });
    clearInterval(tick);
    expect(text).toBe(JSON.stringify({ data: { items: items.map((_, i) => ({ i })) } }));
    const between = events.join(' ').split('tick').map((s) => s.trim().split(' ').filter(Boolean).length);
    expect(Math.max(...between)).toBeLessThanOrEqual(4);
    expect(events.filter((e) => e === 'tick').length).toBeGreaterThanOrEqual(4);
  });
});
