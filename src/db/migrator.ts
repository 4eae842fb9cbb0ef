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
  constructor(
    message: string,
    /** What the run did before it stopped, when it got that far. */
    readonly report?: MigrateReport,
  ) {
    super(message);
  }
}

export interface MigrateOptions {
  dir: string;
  tenantConcurrency?: number;
  logger?: Logger;
  /** Stops the run between tenants; what was applied stays applied and the next run resumes. */
  signal?: AbortSignal;
  /** Called when a tenant section starts over the organizations that lack it (progress reporting). */
  onTenantFileStarted?: (event: { file: MigrationFile; pending: number; skipped: number }) => void;
  /** Called after each organization's tenant section commits. */
  onTenantApplied?: (event: { version: string; organizationId: string }) => void;
  /** Called when an organization's tenant section fails (rolled back); the others go on. */
  onTenantFailed?: (event: TenantFailure) => void;
}

export interface TenantFailure {
  organizationId: string;
  schemaName: string;
  file: string;
  reason: string;
}

export interface MigrateReport {
  platformApplied: string[];
  /** Organization × tenant section pairs applied by this run. */
  tenantApplied: number;
  /** Pairs already applied when the run reached them. */
  tenantSkipped: number;
  /** Organizations whose tenant section failed; the run stops after that file. */
  tenantFailed: TenantFailure[];
  currentVersion: string | null;
}

const elapsed = (start: bigint) => Number((process.hrtime.bigint() - start) / 1_000_000n);

/**
 * Runs tenant DDL inside the caller's transaction. Tenant files use unqualified
 * names, so they run with a transaction-local search_path (SET LOCAL ends with
 * the transaction and never leaks to a pooled session).
 */
export async function runInTenantSchema(trx: Transaction<PlatformDatabase>, schemaName: string, ddl: string): Promise<void> {
  await sql.raw(`SET LOCAL search_path TO ${quoteIdent(assertSchemaName(schemaName))}`).execute(trx);
  await sql.raw(ddl).execute(trx);
  await sql.raw('SET LOCAL search_path TO DEFAULT').execute(trx);
}

/** Applies one tenant section inside the caller's transaction and records it for the organization. */
export async function applyTenantSection(
  trx: Transaction<PlatformDatabase>,
  organizationId: string,
  schemaName: string,
  file: MigrationFile,
): Promise<void> {
  const body = file.sections.tenant;
  if (!body) return;
  const start = process.hrtime.bigint();
  await runInTenantSchema(trx, schemaName, body);
  await versions.recordTenantApplied(trx, [
    { organizationId, version: file.version, checksum: file.checksum, durationMs: elapsed(start) },
  ]);
}

/** A scratch schema for proving the tenant chain builds; never a real organization's. */
export const DRY_RUN_SCHEMA = 'org_migration_check';

/**
 * Builds the tenant chain of `files` in a scratch schema, runs `work` while it
 * exists (the search_path starts with it), and rolls the schema back.
 */
export async function withScratchTenantChain<T>(
  trx: Transaction<PlatformDatabase>,
  files: readonly MigrationFile[],
  work: (schema: string) => Promise<T>,
): Promise<T> {
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
    return await work(DRY_RUN_SCHEMA);
  } finally {
    await sql.raw('ROLLBACK TO SAVEPOINT tenant_dry_run').execute(trx);
    await sql.raw('SET LOCAL search_path TO DEFAULT').execute(trx);
  }
}

/**
 * Proves the whole tenant chain up to a new file builds, inside the file's
 * transaction: a tenant section that cannot apply is refused before it is
 * recorded, even when no organization exists yet (otherwise every later
 * sign-up would replay the broken file).
 */
const dryRunTenantChain = (trx: Transaction<PlatformDatabase>, files: MigrationFile[]) =>
  withScratchTenantChain(trx, files, async () => undefined);

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

/** Runs `work` over `items`, `limit` at a time, until done or aborted; failures are the caller's to record. */
async function runBounded<T>(items: T[], limit: number, signal: AbortSignal | undefined, work: (item: T) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    while (next < items.length && !signal?.aborted) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Applies a tenant section to every organization lacking it; one failure does not stop the others. */
async function applyToTenants(db: Db, file: MigrationFile, opts: MigrateOptions, report: MigrateReport): Promise<void> {
  const [pending, total] = await Promise.all([versions.tenantsPendingFor(db, file.version), versions.countOrganizations(db)]);
  report.tenantSkipped += total - pending.length;
  opts.onTenantFileStarted?.({ file, pending: pending.length, skipped: total - pending.length });
  if (pending.length > 0) opts.logger?.info({ file: file.fileName, tenants: pending.length }, 'applying tenant migration');
  await runBounded(pending, opts.tenantConcurrency ?? 4, opts.signal, async (org) => {
    try {
      await db.transaction().execute((trx) => applyTenantSection(trx, org.id, org.schema_name, file));
    } catch (err) {
      const failure = { organizationId: org.id, schemaName: org.schema_name, file: file.fileName, reason: (err as Error).message };
      report.tenantFailed.push(failure);
      opts.onTenantFailed?.(failure);
      return;
    }
    report.tenantApplied++;
    opts.onTenantApplied?.({ version: file.version, organizationId: org.id });
  });
}

async function applyPending(db: Db, files: MigrationFile[], opts: MigrateOptions): Promise<MigrateReport> {
  const log = opts.logger;
  const applied = (await versions.platformSchemaExists(db)) ? await versions.listApplied(db) : [];
  verifyApplied(files, applied);
  const done = new Set(applied.map((r) => r.version));
  const report: MigrateReport = {
    platformApplied: [],
    tenantApplied: 0,
    tenantSkipped: 0,
    tenantFailed: [],
    currentVersion: applied.at(-1)?.version ?? null,
  };

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
      await applyToTenants(db, file, opts, report);
      // A later tenant section may rely on this one: organizations stay behind until it applies everywhere.
      if (report.tenantFailed.length > 0) {
        const first = report.tenantFailed[0]!;
        throw new MigrationError(
          `${file.fileName} failed for ${report.tenantFailed.length} organization(s) (first: ${first.schemaName}: ${first.reason}); ` +
            'later files were not applied; fix the cause and run it again',
          report,
        );
      }
    }
  }
  if (opts.signal?.aborted) throw new MigrationError('migration run interrupted; run it again to resume', report);
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
