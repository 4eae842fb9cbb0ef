import { sql, type Kysely, type Transaction } from 'kysely';
import type { Logger } from '../logger.js';
import { assertSchemaName, quoteIdent } from './identifiers.js';
import type { PlatformDatabase } from './database.js';
import { loadMigrations, type MigrationFile } from './migration-files.js';
import * as versions from './schema-version.dao.js';

/** The advisory lock all migration runners (exclusive) and tenant provisioning (shared) take. */
export const MIGRATION_LOCK_KEY = 4_242_001;

type Db = Kysely<PlatformDatabase>;

export class MigrationError extends Error {
  override name = 'MigrationError';
}

export interface MigrateOptions {
  dir: string;
  tenantConcurrency?: number;
  logger?: Logger;
  /** Stops the run between tenants; what was applied stays applied and the next run resumes. */
  signal?: AbortSignal;
  /** Called after each organization's tenant section commits (progress reporting). */
  onTenantApplied?: (event: { version: string; organizationId: string }) => void;
}

export interface MigrateReport {
  platformApplied: string[];
  tenantApplied: number;
  currentVersion: string | null;
}

const elapsed = (start: bigint) => Number((process.hrtime.bigint() - start) / 1_000_000n);

/**
 * Applies one tenant section inside the caller's transaction. Tenant files use
 * unqualified names, so the section runs with a transaction-local search_path
 * (SET LOCAL ends with the transaction and never leaks to a pooled session).
 */
export async function applyTenantSection(
  trx: Transaction<PlatformDatabase>,
  organizationId: string,
  schemaName: string,
  file: MigrationFile,
): Promise<void> {
  const body = file.sections.tenant;
  if (!body) return;
  const start = process.hrtime.bigint();
  await sql.raw(`SET LOCAL search_path TO ${quoteIdent(assertSchemaName(schemaName))}`).execute(trx);
  await sql.raw(body).execute(trx);
  await sql.raw('SET LOCAL search_path TO DEFAULT').execute(trx);
  await versions.recordTenantApplied(trx, {
    organizationId,
    version: file.version,
    checksum: file.checksum,
    durationMs: elapsed(start),
  });
}

/** A scratch schema for proving the tenant chain builds; never a real organization's. */
export const DRY_RUN_SCHEMA = 'org_migration_check';

/**
 * Builds the whole tenant chain up to a new file in a scratch schema and rolls
 * it back, inside the file's transaction: a tenant section that cannot apply
 * is refused before it is recorded, even when no organization exists yet
 * (otherwise every later sign-up would replay the broken file).
 */
async function dryRunTenantChain(trx: Transaction<PlatformDatabase>, files: MigrationFile[]): Promise<void> {
  await sql.raw('SAVEPOINT tenant_dry_run').execute(trx);
  try {
    await sql.raw(`CREATE SCHEMA ${quoteIdent(DRY_RUN_SCHEMA)}`).execute(trx);
    await sql.raw(`SET LOCAL search_path TO ${quoteIdent(DRY_RUN_SCHEMA)}`).execute(trx);
    for (const f of files) {
      if (!f.sections.tenant) continue;
      try {
        await sql.raw(f.sections.tenant).execute(trx);
      } catch (err) {
        throw new MigrationError(`${f.fileName}: the tenant section does not apply: ${(err as Error).message}`);
      }
    }
  } finally {
    await sql.raw('ROLLBACK TO SAVEPOINT tenant_dry_run').execute(trx);
  }
}

/** Refuses to go on when an applied file changed or disappeared. */
function verifyApplied(files: MigrationFile[], applied: { version: string; file_name: string; checksum: string }[]) {
  const byVersion = new Map(files.map((f) => [f.version, f]));
  for (const row of applied) {
    const file = byVersion.get(row.version);
    if (!file) throw new MigrationError(`applied migration ${row.file_name} is missing from the migrations folder`);
    if (file.checksum !== row.checksum.trim()) {
      throw new MigrationError(
        `applied migration ${row.file_name} has changed since it was applied (checksum mismatch); ` +
          'write a new migration instead of editing an applied one',
      );
    }
  }
}

async function runBounded<T>(items: T[], limit: number, signal: AbortSignal | undefined, work: (item: T) => Promise<void>) {
  let next = 0;
  let failure: unknown;
  const worker = async () => {
    while (next < items.length && failure === undefined && !signal?.aborted) {
      const item = items[next++]!;
      try {
        await work(item);
      } catch (err) {
        failure ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure !== undefined) throw failure;
}

async function applyPending(db: Db, files: MigrationFile[], opts: MigrateOptions): Promise<MigrateReport> {
  const log = opts.logger;
  const applied = (await versions.platformSchemaExists(db)) ? await versions.listApplied(db) : [];
  verifyApplied(files, applied);
  const done = new Set(applied.map((r) => r.version));
  const report: MigrateReport = { platformApplied: [], tenantApplied: 0, currentVersion: applied.at(-1)?.version ?? null };

  for (const [index, file] of files.entries()) {
    if (opts.signal?.aborted) break;
    if (!done.has(file.version)) {
      const start = process.hrtime.bigint();
      await db.transaction().execute(async (trx) => {
        if (file.sections.platform) await sql.raw(file.sections.platform).execute(trx);
        if (file.sections.tenant) await dryRunTenantChain(trx, files.slice(0, index + 1));
        await versions.recordApplied(trx, { ...file, durationMs: elapsed(start) });
      });
      report.platformApplied.push(file.version);
      report.currentVersion = file.version;
      log?.info({ file: file.fileName, ms: elapsed(start) }, 'migration applied');
    }
    if (file.sections.tenant) {
      const pending = await versions.tenantsPendingFor(db, file.version);
      if (pending.length > 0) log?.info({ file: file.fileName, tenants: pending.length }, 'applying tenant migration');
      await runBounded(pending, opts.tenantConcurrency ?? 4, opts.signal, async (org) => {
        try {
          await db.transaction().execute((trx) => applyTenantSection(trx, org.id, org.schema_name, file));
        } catch (err) {
          throw new MigrationError(
            `${file.fileName} failed for organization ${org.id}: ${(err as Error).message}`,
          );
        }
        report.tenantApplied++;
        opts.onTenantApplied?.({ version: file.version, organizationId: org.id });
      });
    }
  }
  if (opts.signal?.aborted) throw new MigrationError('migration run interrupted; run it again to resume');
  return report;
}

/**
 * Brings the platform schema and every tenant schema up to the newest file.
 * One runner at a time: the others wait on the advisory lock and then find
 * nothing to do.
 */
export async function migrate(db: Db, opts: MigrateOptions): Promise<MigrateReport> {
  const files = await loadMigrations(opts.dir);
  return db.connection().execute(async (conn) => {
    await sql`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`.execute(conn);
    try {
      return await applyPending(db, files, opts);
    } finally {
      await sql`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`.execute(conn);
    }
  });
}

/** What is pending: one query whatever the number of tenants. */
export async function migrationStatus(db: Db, dir: string) {
  const files = await loadMigrations(dir);
  if (!(await versions.platformSchemaExists(db))) {
    return { latest: files.at(-1)?.version ?? null, pendingPlatform: files.length, pendingTenant: 0 };
  }
  const pending = await versions.countPending(
    db,
    files.map((f) => ({ version: f.version, hasTenant: f.sections.tenant !== undefined })),
  );
  return { latest: files.at(-1)?.version ?? null, pendingPlatform: pending.platform, pendingTenant: pending.tenant };
}
