import path from 'node:path';
import type { Kysely } from 'kysely';
import type pg from 'pg';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { createDb, createPool } from './connection.js';
import type { PlatformDatabase } from './database.js';
import { startEmbeddedPostgres, type EmbeddedServer } from './embedded.js';
import { loadMigrations, type MigrationFile } from './migration-files.js';
import { migrate } from './migrator.js';
import { loadTenantSnapshot, type TenantSnapshot } from './tenant-snapshot.js';

/** The open system database: what managers need, and how to close it. */
export interface SystemDb {
  db: Kysely<PlatformDatabase>;
  pool: pg.Pool;
  migrations: readonly MigrationFile[];
  /** The tenant schema snapshot of this chain, or null (new schemas then replay the chain). */
  tenantSnapshot: TenantSnapshot | null;
  embedded: EmbeddedServer | null;
  close(): Promise<void>;
}

/**
 * Connects to DATABASE_URL, or starts the embedded PostgreSQL when it is unset;
 * reads the migration files, and applies them when `migrate` is true.
 */
export async function openSystemDb(config: Config, logger: Logger, opts: { migrate: boolean }): Promise<SystemDb> {
  let embedded: EmbeddedServer | null = null;
  let url = config.database.url;
  if (!url) {
    const dataDir = path.resolve(config.dataDir, 'postgres');
    logger.info(
      { dataDir, port: config.database.embeddedPort },
      'DATABASE_URL is unset: starting the embedded PostgreSQL (set DATABASE_URL=postgresql://user:pass@host:5432/db to use an external server)',
    );
    embedded = await startEmbeddedPostgres({ dataDir, port: config.database.embeddedPort, logger });
    url = embedded.connectionString();
  }
  const pool = createPool(url, config.database.pool, logger);
  const db = createDb(pool);
  const close = async () => {
    await db.destroy();
    await embedded?.stop();
  };
  try {
    const migrations = await loadMigrations(config.migrations.dir);
    const tenantSnapshot = await loadTenantSnapshot(config.migrations.dir, migrations);
    if (!tenantSnapshot) logger.warn({ dir: config.migrations.dir }, 'no tenant snapshot for this migration chain: new organizations replay every tenant section (npm run tenant-snapshot)');
    if (opts.migrate) {
      const report = await migrate(db, { dir: config.migrations.dir, tenantConcurrency: config.migrations.tenantConcurrency, logger });
      logger.info(report, 'database schema is current');
    }
    return { db, pool, migrations, tenantSnapshot, embedded, close };
  } catch (err) {
    await close();
    throw err;
  }
}
