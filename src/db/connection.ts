import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { PlatformDatabase } from './database.js';

// int8 (bigint, count(*)) as a JS number: our counts and steps stay far below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number.parseInt(v, 10));

/** Lifetime is optional for tools and tests, whose connections live briefly anyway. */
export type PoolSettings = Omit<Config['database']['pool'], 'maxLifetimeSeconds'> & { maxLifetimeSeconds?: number };

/**
 * A pg Pool with the design's settings. The `error` listener matters: an idle
 * client losing its server (a database restart) must not crash the process.
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
  pool.on('error', (err) => {
    logger?.warn({ err: { message: err.message, code: (err as { code?: string }).code } }, 'idle database client error');
  });
  return pool;
}

export function createDb(pool: pg.Pool): Kysely<PlatformDatabase> {
  return new Kysely<PlatformDatabase>({ dialect: new PostgresDialect({ pool }) });
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
