import path from 'node:path';
import type { Kysely } from 'kysely';
import type pg from 'pg';
import { StartupError, type Config } from '../config.js';
import { describeFailure } from '../cli.js';
import type { Logger } from '../logger.js';
import { createDb, createPool } from './connection.js';
import type { PlatformDatabase } from './database.js';
import type { EmbeddedServer } from './embedded.js';
import { loadMigrations, type MigrationFile } from './migration-files.js';
import { migrate } from './migrator.js';
import { loadTenantSnapshot, type TenantSnapshot } from './tenant-snapshot.js';

/** The open system database: what managers need, and how to close it. */
export interface SystemDb {
  db: Kysely<PlatformDatabase>;
  pool: pg.Pool;
  /** Where the pool connects (readiness probes open their own connection there). */
  url: string;
  migrations: readonly MigrationFile[];
  /** The tenant schema snapshot of this chain, or null (new schemas then replay the chain). */
  tenantSnapshot: TenantSnapshot | null;
  embedded: EmbeddedServer | null;
  close(): Promise<void>;
}

/** host:port/database of a URL, without credentials, for messages. */
export function describeDatabaseUrl(url: string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || 5432}${u.pathname}`;
}

/** Fails with one line naming the server when the first connection cannot be made. */
async function checkReachable(pool: pg.Pool, url: string): Promise<void> {
  try {
    const client = await pool.connect();
    client.release();
  } catch (err) {
    throw new StartupError(`${describeFailure(err)} (database ${describeDatabaseUrl(url)})`);
  }
}

/**
 * Applies pending migrations. With DATABASE_DIRECT_URL set (DATABASE_URL being a
 * transaction-mode pooler), the session-level advisory lock is held on a direct
 * connection; the migration's transactions go through the pool as usual.
 */
async function migrateAtStart(config: Config, logger: Logger, db: Kysely<PlatformDatabase>, url: string) {
  const directUrl = config.database.directUrl ?? url;
  const direct = directUrl === url ? null : createDb(createPool(directUrl, { ...config.database.pool, min: 0, max: 1 }, logger), logger);
  try {
    const report = await migrate(db, { dir: config.migrations.dir, tenantConcurrency: config.migrations.tenantConcurrency, logger, lockDb: direct ?? undefined });
    logger.info(report, 'database schema is current');
  } finally {
    await direct?.destroy();
  }
}

/**
 * Connects to DATABASE_URL, or (outside production) starts the embedded
 * PostgreSQL when it is unset; reads the migration files, and applies them
 * when `migrate` is true.
 */
export async function openSystemDb(config: Config, logger: Logger, opts: { migrate: boolean }): Promise<SystemDb> {
  let embedded: EmbeddedServer | null = null;
  let url = config.database.url;
  if (!url) {
    if (config.isProduction) {
      throw new StartupError('DATABASE_URL is required with NODE_ENV=production (the embedded PostgreSQL is a development convenience)');
    }
    const dataDir = path.resolve(config.dataDir, 'postgres');
    logger.info(
      { dataDir, port: config.database.embeddedPort },
      'DATABASE_URL is unset: starting the embedded PostgreSQL (set DATABASE_URL=postgresql://user:pass@host:5432/db to use an external server)',
    );
    const { startEmbeddedPostgres } = await import('./embedded.js');
    embedded = await startEmbeddedPostgres({ dataDir, port: config.database.embeddedPort, logger });
    url = embedded.connectionString();
  }
  const pool = createPool(url, config.database.pool, logger);
  const db = createDb(pool, logger);
  const close = async () => {
    await db.destroy();
    await embedded?.stop();
  };
  try {
    await checkReachable(pool, url);
    const migrations = await loadMigrations(config.migrations.dir);
    const tenantSnapshot = await loadTenantSnapshot(config.migrations.dir, migrations);
    if (!tenantSnapshot) logger.warn({ dir: config.migrations.dir }, 'no tenant snapshot for this migration chain: new organizations replay every tenant section (npm run tenant-snapshot)');
    if (opts.migrate) await migrateAtStart(config, logger, db, url);
    return { db, pool, url, migrations, tenantSnapshot, embedded, close };
  } catch (err) {
    await close();
    throw err;
  }
}
