import { sql, type Transaction } from 'kysely';
import type { PlatformDatabase } from '../db/database.js';
import { compareVersions, type MigrationFile } from '../db/migration-files.js';
import { MIGRATION_LOCK_KEY, runInTenantSchema } from '../db/migrator.js';
import { listApplied, recordTenantApplied } from '../db/schema-version.dao.js';
import type { TenantSnapshot } from '../db/tenant-snapshot.js';
import { assertSchemaName, quoteIdent } from './tenancy.js';

/**
 * Builds an organization's schema inside the caller's transaction, born at the
 * current tenant version: from the snapshot when the platform has applied its
 * version (one block of DDL, whatever the length of the chain), then any newer
 * tenant section the platform has applied; every one is recorded as applied
 * for this organization in one statement. The shared advisory lock keeps a
 * migration run from changing the chain meanwhile; nothing here locks a shared
 * table beyond the rows it inserts, so organizations are provisioned in parallel.
 */
export async function createTenantSchema(
  trx: Transaction<PlatformDatabase>,
  org: { id: string; schema_name: string },
  files: readonly MigrationFile[],
  snapshot?: TenantSnapshot | null,
): Promise<void> {
  await sql`select pg_advisory_xact_lock_shared(${MIGRATION_LOCK_KEY})`.execute(trx);
  const applied = new Set((await listApplied(trx)).map((r) => r.version));
  const tenantFiles = files.filter((f) => f.sections.tenant !== undefined && applied.has(f.version));
  const useSnapshot = snapshot != null && applied.has(snapshot.version);
  const replayed = useSnapshot ? tenantFiles.filter((f) => compareVersions(f.version, snapshot.version) > 0) : tenantFiles;

  const start = process.hrtime.bigint();
  await sql.raw(`CREATE SCHEMA ${quoteIdent(assertSchemaName(org.schema_name))}`).execute(trx);
  const ddl = [...(useSnapshot ? [snapshot.ddl] : []), ...replayed.map((f) => f.sections.tenant!)];
  if (ddl.length > 0) await runInTenantSchema(trx, org.schema_name, ddl.join('\n;\n'));
  const durationMs = Number((process.hrtime.bigint() - start) / 1_000_000n);
  await recordTenantApplied(
    trx,
    tenantFiles.map((f) => ({ organizationId: org.id, version: f.version, checksum: f.checksum, durationMs })),
  );
}

export async function dropTenantSchema(trx: Transaction<PlatformDatabase>, schemaName: string): Promise<void> {
  await sql.raw(`DROP SCHEMA IF EXISTS ${quoteIdent(assertSchemaName(schemaName))} CASCADE`).execute(trx);
}
