import { sql, type Transaction } from 'kysely';
import type { PlatformDatabase } from '../db/database.js';
import type { MigrationFile } from '../db/migration-files.js';
import { applyTenantSection, MIGRATION_LOCK_KEY } from '../db/migrator.js';
import { listApplied } from '../db/schema-version.dao.js';
import { assertSchemaName, quoteIdent } from './tenancy.js';

/**
 * Builds an organization's schema inside the caller's transaction, born at the
 * current tenant version: every tenant section whose file the platform has
 * applied, recorded as applied for this organization. The shared advisory lock
 * keeps a migration run from changing the chain meanwhile.
 */
export async function createTenantSchema(
  trx: Transaction<PlatformDatabase>,
  org: { id: string; schema_name: string },
  files: readonly MigrationFile[],
): Promise<void> {
  await sql`select pg_advisory_xact_lock_shared(${MIGRATION_LOCK_KEY})`.execute(trx);
  const applied = new Set((await listApplied(trx)).map((r) => r.version));
  await sql.raw(`CREATE SCHEMA ${quoteIdent(assertSchemaName(org.schema_name))}`).execute(trx);
  for (const file of files) {
    if (applied.has(file.version)) await applyTenantSection(trx, org.id, org.schema_name, file);
  }
}

export async function dropTenantSchema(trx: Transaction<PlatformDatabase>, schemaName: string): Promise<void> {
  await sql.raw(`DROP SCHEMA IF EXISTS ${quoteIdent(assertSchemaName(schemaName))} CASCADE`).execute(trx);
}
