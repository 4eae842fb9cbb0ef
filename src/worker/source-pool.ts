import { createHash } from 'node:crypto';
import type pg from 'pg';
import { closeQuietly } from '../connectors/index.js';

/**
 * Source connections a worker process keeps open between jobs. Opening one
 * costs far more than a trivial job's queries (TCP, authentication — SCRAM's
 * key derivation on both ends — and a new server backend: ≈ 30 ms of the
 * server's CPU and ≈ 10 ms of the worker's on the benchmark machine,
 * bench/README.md "worker"), so a job takes an idle connection of the same
 * organization, data source and settings when there is one.
 *
 * A connection is kept only when its job left it clean: not cancelled (an
 * aborted job's statements were cancelled with pg_cancel_backend), no
 * transaction open, no connection error. It is closed after `idleMs` unused,
 * or once it is `maxAgeMs` old; a changed data source (password, host …) has
 * another key, so its old connections are never used again and time out.
 */
export class SourcePool {
  private readonly idle = new Map<string, { client: pg.Client; since: number; timer: NodeJS.Timeout }[]>();
  private readonly born = new WeakMap<pg.Client, number>();
  private readonly broken = new WeakSet<pg.Client>();
  private closed = false;

  constructor(
    private readonly opts: { idleMs: number; maxAgeMs: number; maxIdlePerKey: number } = { idleMs: 10_000, maxAgeMs: 300_000, maxIdlePerKey: 8 },
  ) {}

  /** The key of a connection: organization, data source, and every setting it was opened with (hashed: it holds the password). */
  static key(organizationId: string, dataSourceId: string, settings: unknown): string {
    return `${organizationId}/${dataSourceId}/${createHash('sha256').update(JSON.stringify(settings)).digest('base64url')}`;
  }

  /** An idle connection of `key`, the most recently used first; undefined when none. */
  take(key: string): pg.Client | undefined {
    const list = this.idle.get(key);
    for (let entry = list?.pop(); entry; entry = list?.pop()) {
      clearTimeout(entry.timer);
      if (!this.broken.has(entry.client)) {
        if (list!.length === 0) this.idle.delete(key);
        return entry.client;
      }
      // The server ended it while idle.
      void closeQuietly(entry.client);
    }
    this.idle.delete(key);
    return undefined;
  }

  /** Tracks a newly opened connection: a connection error marks it unusable. */
  opened(client: pg.Client): void {
    this.born.set(client, Date.now());
    client.on('error', () => this.broken.add(client));
    client.on('end', () => this.broken.add(client));
  }

  /** Hands a connection back after its job: kept when clean and young enough, otherwise closed. */
  async release(key: string, client: pg.Client, clean: boolean): Promise<void> {
    const age = Date.now() - (this.born.get(client) ?? 0);
    const list = this.idle.get(key) ?? [];
    const keep =
      clean && !this.closed && !this.broken.has(client) && client.getTransactionStatus() === 'I' && age < this.opts.maxAgeMs && list.length < this.opts.maxIdlePerKey;
    if (!keep) {
      await closeQuietly(client);
      return;
    }
    const entry = {
      client,
      since: Date.now(),
      timer: setTimeout(() => {
        const current = this.idle.get(key);
        const i = current?.indexOf(entry) ?? -1;
        if (current && i >= 0) {
          current.splice(i, 1);
          if (current.length === 0) this.idle.delete(key);
        }
        void closeQuietly(client);
      }, this.opts.idleMs),
    };
    entry.timer.unref();
    list.push(entry);
    this.idle.set(key, list);
  }

  /** Closes every idle connection; connections released afterwards are closed too. */
  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.idle.values()].flat();
    this.idle.clear();
    for (const e of all) clearTimeout(e.timer);
    await Promise.all(all.map((e) => closeQuietly(e.client)));
  }
}
