import { EventEmitter } from 'node:events';
import type pg from 'pg';
import { SourcePool } from '../../src/worker/source-pool.js';

// The worker's idle source connections: which are kept between jobs, which are closed.
class FakeClient extends EventEmitter {
  ended = false;
  tx: string | null = 'I';
  getTransactionStatus() {
    return this.tx;
  }
  async end() {
    this.ended = true;
  }
}
const client = (pool: SourcePool) => {
  const c = new FakeClient();
  pool.opened(c as unknown as pg.Client);
  return c;
};
const asPg = (c: FakeClient) => c as unknown as pg.Client;

describe('SourcePool', () => {
  const key = SourcePool.key('org', 'ds', { host: 'h', password: 'secret' });

  it('keys by organization, data source and a hash of the settings (no password in the key)', () => {
    expect(key).not.toContain('secret');
    expect(SourcePool.key('org', 'ds', { host: 'h', password: 'other' })).not.toBe(key);
    expect(SourcePool.key('org2', 'ds', { host: 'h', password: 'secret' })).not.toBe(key);
  });

  it('hands back the most recently used clean connection, at most maxIdlePerKey of them', async () => {
    const pool = new SourcePool({ idleMs: 10_000, maxAgeMs: 60_000, maxIdlePerKey: 2 });
    const [a, b, c] = [client(pool), client(pool), client(pool)];
    for (const x of [a, b, c]) await pool.release(key, asPg(x), true);
    expect(c.ended).toBe(true);
    expect(pool.take(key)).toBe(asPg(b));
    expect(pool.take(key)).toBe(asPg(a));
    expect(pool.take(key)).toBeUndefined();
    expect(pool.take(SourcePool.key('org', 'ds', { host: 'other' }))).toBeUndefined();
    await pool.close();
  });

  it('closes a connection of an aborted job, one left in a transaction, one that errored, and idle ones after idleMs', async () => {
    const pool = new SourcePool({ idleMs: 50, maxAgeMs: 60_000, maxIdlePerKey: 8 });
    const [aborted, inTx, broken, idle] = [client(pool), client(pool), client(pool), client(pool)];
    await pool.release(key, asPg(aborted), false);
    inTx.tx = 'T';
    await pool.release(key, asPg(inTx), true);
    await pool.release(key, asPg(broken), true);
    broken.emit('error', new Error('terminated by the server'));
    expect([aborted.ended, inTx.ended]).toEqual([true, true]);
    expect(pool.take(key)).toBeUndefined();
    expect(broken.ended).toBe(true);
    await pool.release(key, asPg(idle), true);
    await new Promise((r) => setTimeout(r, 120));
    expect(idle.ended).toBe(true);
    expect(pool.take(key)).toBeUndefined();
  });

  it('closes everything at shutdown, and what is released afterwards', async () => {
    const pool = new SourcePool();
    const [a, b] = [client(pool), client(pool)];
    await pool.release(key, asPg(a), true);
    await pool.close();
    await pool.release(key, asPg(b), true);
    expect([a.ended, b.ended]).toEqual([true, true]);
  });
});
