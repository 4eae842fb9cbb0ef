import { Kysely, PostgresDialect, type PostgresPoolClient } from 'kysely';
import pg from 'pg';
import type { Config } from '../config.js';
import { ServiceUnavailableError } from '../errors.js';
import type { Logger } from '../logger.js';
import { unavailableFor } from './availability.js';
import type { PlatformDatabase } from './database.js';
import { parseTimestamptz } from './timestamps.js';
import type { DbWorkScope } from './work-scope.js';

// int8 (bigint, count(*)) as a JS number: our counts and steps stay far below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number.parseInt(v, 10));
// timestamptz without pg's three regular expressions per value; anything unusual still goes to pg's parser.
const defaultTimestamptz = pg.types.getTypeParser(pg.types.builtins.TIMESTAMPTZ);
pg.types.setTypeParser(pg.types.builtins.TIMESTAMPTZ, (v) => parseTimestamptz(v, defaultTimestamptz));

/** Lifetime is optional for tools and tests, whose connections live briefly anyway. */
export type PoolSettings = Omit<Config['database']['pool'], 'maxLifetimeSeconds'> & { maxLifetimeSeconds?: number };

/** One warning a second at most: an outage makes every request fail the same way. */
function throttledWarn(logger: Logger | undefined, message: string) {
  let last = 0;
  let suppressed = 0;
  return (err: unknown) => {
    const now = Date.now();
    if (now - last < 1000) {
      suppressed++;
      return;
    }
    const e = err as { message?: string; code?: string };
    logger?.warn({ err: { message: e.message, code: e.code }, suppressed }, message);
    last = now;
    suppressed = 0;
  };
}

/**
 * A pg Pool with the design's settings. `connectionTimeoutMillis` bounds both
 * opening a connection and waiting for a free one when all are busy.
 *
 * Error listeners matter: a client losing its server (a restart,
 * pg_terminate_backend) emits `error`, and an unhandled `error` ends the
 * process. pg-pool listens on idle clients only and detaches while a client is
 * checked out, so every client gets a listener of its own for its whole life;
 * the query it was running fails and the request gets a 503.
 */
export function createPool(connectionString: string, settings: PoolSettings, logger?: Logger): pg.Pool {
  const pool = new pg.Pool({
    connectionString,
    min: settings.min,
    max: settings.max,
    maxUses: settings.maxUses,
    maxLifetimeSeconds: settings.maxLifetimeSeconds ?? 0,
    idleTimeoutMillis: settings.idleTimeoutMillis,
    connectionTimeoutMillis: settings.connectionTimeoutMillis,
    statement_timeout: settings.statementTimeoutMillis || undefined,
    application_name: 'datalinx-system-api',
  });
  const warn = throttledWarn(logger, 'database connection lost');
  pool.on('error', warn);
  pool.on('connect', (client) => client.on('error', warn));
  return pool;
}

type Checkout = (scope: DbWorkScope | null) => Promise<PostgresPoolClient>;

/**
 * A checkout from the pool as Kysely needs it: one that fails (database away,
 * or no connection free within the bounded wait) is a ServiceUnavailableError,
 * and within a request's work scope the client is recorded there, so a
 * timed-out request can cancel what it runs and gets no new connection.
 */
function checkoutFrom(pool: pg.Pool, logger?: Logger): Checkout {
  const warn = throttledWarn(logger, 'no database connection');
  return async (scope) => {
    if (scope?.abandoned) throw new ServiceUnavailableError('The request was abandoned');
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (err) {
      warn(err);
      throw unavailableFor(err);
    }
    if (!scope) return client;
    if (scope.abandoned) {
      client.release();
      throw new ServiceUnavailableError('The request was abandoned');
    }
    scope.clients.add(client);
    const release = client.release.bind(client);
    client.release = (destroy?: boolean | Error) => {
      scope.clients.delete(client);
      release(destroy);
    };
    return client;
  };
}

/** A request's handle: its checkouts go to the scope it is lent to (none between requests). */
interface Lent {
  db: Kysely<PlatformDatabase>;
  scope: DbWorkScope | null;
}

/** At most this many handles wait for the next request (one per request in flight is plenty). */
const IDLE_HANDLES = 256;

/** What each handle createDb made needs for its request handles. */
interface Maker {
  pool: pg.Pool;
  checkout: Checkout;
  idle: Lent[];
}
const makers = new WeakMap<Kysely<PlatformDatabase>, Maker>();

function kyselyOver(pool: pg.Pool, connect: () => Promise<PostgresPoolClient>, end: () => Promise<void>): Kysely<PlatformDatabase> {
  return new Kysely<PlatformDatabase>({ dialect: new PostgresDialect({ pool: { options: pool.options, connect, end } }) });
}

/** A request handle over `maker`'s pool: it checks out for whichever scope it is lent to; destroying it leaves the pool open. */
function newHandle(maker: Maker): Lent {
  const handle: Lent = { db: kyselyOver(maker.pool, () => maker.checkout(handle.scope), async () => {}), scope: null };
  return handle;
}

export function createDb(pool: pg.Pool, logger?: Logger): Kysely<PlatformDatabase> {
  const checkout = checkoutFrom(pool, logger);
  const db = kyselyOver(pool, () => checkout(null), () => pool.end());
  makers.set(db, { pool, checkout, idle: [] });
  return db;
}

/**
 * `db` (made by createDb) as one request's handle: every connection it checks
 * out is recorded in `scope`, and none is given once the scope is abandoned.
 * Destroying it leaves the pool alone. A handle createDb did not make (one
 * client's, in tools) is returned as it is.
 *
 * Handles are lent: when the scope is finished (not abandoned, nothing
 * checked out), its handle waits for the next request. A Kysely built for
 * each request cost about 0.05 ms of CPU a request (driver, compiler and
 * executor objects, and one connection object per checkout, for the garbage
 * collector: bench/README.md), as much as the AsyncLocalStorage it replaces.
 */
export function scopedDb(db: Kysely<PlatformDatabase>, scope: DbWorkScope): Kysely<PlatformDatabase> {
  const maker = makers.get(db);
  if (!maker) return db;
  const handle = maker.idle.pop() ?? newHandle(maker);
  handle.scope = scope;
  scope.onFinished(() => {
    handle.scope = null;
    if (maker.idle.length < IDLE_HANDLES) maker.idle.push(handle);
  });
  return handle.db;
}

/**
 * A Kysely over one checked-out client: typed queries and the driver's own
 * calls (COPY streams) share one session, so one transaction, one snapshot.
 * Destroying it leaves the client to its owner, who releases it.
 */
export function singleClientDb(client: pg.PoolClient): Kysely<PlatformDatabase> {
  const session = { query: (...args: unknown[]) => (client.query as (...a: unknown[]) => unknown)(...args), release: () => {} };
  const pool = { connect: async () => session, end: async () => {}, options: {} };
  return new Kysely<PlatformDatabase>({ dialect: new PostgresDialect({ pool: pool as never }) });
}
