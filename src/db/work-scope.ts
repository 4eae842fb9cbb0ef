import net from 'node:net';
import type pg from 'pg';

/**
 * The database work of one HTTP request: the pool clients it holds right now,
 * and whether it was abandoned (timed out, or cut at the end of a shutdown).
 * An abandoned request gets no new connection, and its running statements are
 * cancelled, so a request that has already been answered cannot keep the pool
 * full.
 *
 * The request's handle on the database (connection.ts, `scopedDb`) records
 * its checkouts here: passed along explicitly, not found through
 * AsyncLocalStorage, whose promise hooks cost Node 20 about a tenth of a
 * small request's CPU (bench/README.md).
 */
export class DbWorkScope {
  abandoned = false;
  readonly clients = new Set<pg.PoolClient>();
  #whenFinished: (() => void) | null = null;

  /** Runs `fn` when the request's work is finished, unless it was abandoned or still holds a client. */
  onFinished(fn: () => void): void {
    this.#whenFinished = fn;
  }

  /** The request's execution is over (its response is about to be sent). */
  finished(): void {
    const fn = this.#whenFinished;
    this.#whenFinished = null;
    if (fn && !this.abandoned && this.clients.size === 0) fn();
  }
}

/** Marks the scope abandoned and cancels the statements its clients are running. */
export async function abandonScope(scope: DbWorkScope): Promise<void> {
  scope.abandoned = true;
  await Promise.all([...scope.clients].map(cancelRunningStatement));
}

const CANCEL_REQUEST_CODE = 80877102;

/**
 * Sends PostgreSQL's CancelRequest for the client's backend over a fresh socket
 * (the protocol's own cancel: no pool connection needed, and PgBouncer forwards
 * it). The statement ends with 57014; the client itself stays usable.
 */
export function cancelRunningStatement(client: pg.PoolClient): Promise<void> {
  const { processID, secretKey, host, port } = client as unknown as { processID: number | null; secretKey: number | null; host: string; port: number };
  if (!processID || secretKey === null || secretKey === undefined) return Promise.resolve();
  return new Promise((resolve) => {
    const socket = host.startsWith('/') ? net.connect({ path: `${host}/.s.PGSQL.${port}` }) : net.connect({ host, port });
    socket.setTimeout(1000, () => socket.destroy());
    socket.once('connect', () => {
      const packet = Buffer.alloc(16);
      packet.writeInt32BE(16, 0);
      packet.writeInt32BE(CANCEL_REQUEST_CODE, 4);
      packet.writeInt32BE(processID, 8);
      packet.writeInt32BE(secretKey, 12);
      socket.end(packet);
    });
    socket.once('error', () => resolve());
    socket.once('close', () => resolve());
  });
}
