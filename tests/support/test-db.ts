import { randomBytes } from 'node:crypto';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { createDb, createPool, type PoolSettings } from '../../src/db/connection.js';
import type { PlatformDatabase } from '../../src/db/database.js';
import { readMigrations, type MigrationFile } from '../../src/db/migration-files.js';
import { migrate } from '../../src/db/migrator.js';
import type { SystemDb } from '../../src/db/system.js';
import { loadTenantSnapshot } from '../../src/db/tenant-snapshot.js';

export const MIGRATIONS_DIR = 'migrations';

/** Counts every statement sent through the pool, at the pg layer. */
export class StatementCounter {
  count = 0;
  statements: string[] = [];
  reset(): void {
    this.count = 0;
    this.statements = [];
  }
  /**
   * The statements other than an access token's session check, which the
   * session cache sends only when it does not remember the session.
   */
  get data(): string[] {
    return this.statements.filter((s) => !s.includes('"session_user_id"'));
  }
}

export interface TestDb extends SystemDb {
  url: string;
  name: string;
  counter: StatementCounter;
}

function adminUrl(): string {
  const url = process.env.DATALINX_TEST_PG_URL;
  if (!url) throw new Error('DATALINX_TEST_PG_URL is unset: run tests through jest (globalSetup starts PostgreSQL)');
  return url;
}

/** A fresh, empty database on the run's PostgreSQL. */
export async function createEmptyDatabase(): Promise<{ url: string; name: string }> {
  const name = `t_${randomBytes(6).toString('hex')}`;
  const admin = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: adminUrl(), max: 1 }) }) });
  try {
    await sql.raw(`CREATE DATABASE ${name}`).execute(admin);
  } finally {
    await admin.destroy();
  }
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  return { url: url.toString(), name };
}

const POOL = { min: 0, max: 10, maxUses: 0, idleTimeoutMillis: 10_000, connectionTimeoutMillis: 10_000, statementTimeoutMillis: 30_000 };

/** Opens a pool on `url` whose statements are counted. */
export function openCounted(url: string, pool_: Partial<PoolSettings> = {}): { db: Kysely<PlatformDatabase>; pool: pg.Pool; counter: StatementCounter } {
  const pool = createPool(url, { ...POOL, ...pool_ });
  const counter = new StatementCounter();
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as { query: unknown }).query = (...args: unknown[]) => {
      counter.count++;
      const first = args[0];
      counter.statements.push(typeof first === 'string' ? first : String((first as { text?: string })?.text ?? ''));
      return query(...args);
    };
  });
  return { db: createDb(pool), pool, counter };
}

/** A database of this test file's own, migrated to the newest version; or a pool on an existing one (`url`). */
export async function createTestDb(opts: { migrate?: boolean; url?: string; pool?: Partial<PoolSettings> } = {}): Promise<TestDb> {
  const { url, name } = opts.url ? { url: opts.url, name: new URL(opts.url).pathname.slice(1) } : await createEmptyDatabase();
  const { db, pool, counter } = openCounted(url, opts.pool);
  if (opts.migrate ?? true) await migrate(db, { dir: MIGRATIONS_DIR });
  const migrations: MigrationFile[] = await readMigrations(MIGRATIONS_DIR);
  const tenantSnapshot = await loadTenantSnapshot(MIGRATIONS_DIR, migrations);
  // Kysely ends the pool only if the handle was ever used: a test that reads the pool alone would leave it open.
  const close = async () => {
    await db.destroy();
    if (!pool.ended) await pool.end();
  };
  return { db, pool, url, name, counter, migrations, tenantSnapshot, embedded: null, close };
}
