import { sql, type Kysely, type Transaction } from 'kysely';
import { PLATFORM_SCHEMA, type PlatformDatabase } from './database.js';
import type { SchemaVersionRow } from './tables/schema-version.table.js';

type Db = Kysely<PlatformDatabase> | Transaction<PlatformDatabase>;

export async function platformSchemaExists(db: Db): Promise<boolean> {
  // schema_version existence: is this a fresh database?
  const { rows } = await sql<{ exists: boolean }>`
    select to_regclass(${`${PLATFORM_SCHEMA}.schema_version`}) is not null as exists`.execute(db);
  return rows[0]?.exists ?? false;
}

export function listApplied(db: Db): Promise<SchemaVersionRow[]> {
  return db.withSchema(PLATFORM_SCHEMA).selectFrom('schema_version').selectAll().orderBy('id').execute();
}

export async function recordApplied(
  db: Db,
  row: { version: string; fileName: string; checksum: string; durationMs: number },
): Promise<void> {
  await db
    .withSchema(PLATFORM_SCHEMA)
    .insertInto('schema_version')
    .values({ version: row.version, file_name: row.fileName, checksum: row.checksum, duration_ms: row.durationMs })
    .execute();
}

/** Records tenant sections as applied for organizations, in one statement. */
export async function recordTenantApplied(
  db: Db,
  rows: readonly { organizationId: string; version: string; checksum: string; durationMs: number }[],
): Promise<void> {
  if (rows.length === 0) return;
  await db
    .withSchema(PLATFORM_SCHEMA)
    .insertInto('tenant_schema_version')
    .values(
      rows.map((row) => ({
        organization_id: row.organizationId,
        version: row.version,
        checksum: row.checksum,
        duration_ms: row.durationMs,
      })),
    )
    .execute();
}

export async function countOrganizations(db: Db): Promise<number> {
  const row = await db.withSchema(PLATFORM_SCHEMA).selectFrom('organizations').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** Organizations that have not yet had the tenant section of `version` applied. */
export function tenantsPendingFor(db: Db, version: string): Promise<{ id: string; schema_name: string }[]> {
  return db
    .withSchema(PLATFORM_SCHEMA)
    .selectFrom('organizations as o')
    .select(['o.id', 'o.schema_name'])
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('tenant_schema_version as t')
            .select('t.version')
            .whereRef('t.organization_id', '=', 'o.id')
            .where('t.version', '=', version),
        ),
      ),
    )
    .orderBy('o.created_at')
    .execute();
}

/**
 * Pending work in one statement, however many tenants there are: platform
 * files not applied, and (organization, tenant file) pairs not applied.
 */
export async function countPending(
  db: Db,
  files: { version: string; hasTenant: boolean }[],
): Promise<{ platform: number; tenant: number }> {
  const versions = files.map((f) => f.version);
  const tenantFlags = files.map((f) => f.hasTenant);
  // pending migrations: one query over every organization
  const { rows } = await sql<{ platform: number; tenant: number }>`
    with files(version, has_tenant) as (select * from unnest(${versions}::text[], ${tenantFlags}::bool[]))
    select
      (select count(*) from files f
        where not exists (select 1 from datalinx_platform.schema_version s where s.version = f.version))::int as platform,
      (select count(*) from files f cross join datalinx_platform.organizations o
        where f.has_tenant and not exists (
          select 1 from datalinx_platform.tenant_schema_version t
          where t.organization_id = o.id and t.version = f.version))::int as tenant`.execute(db);
  return rows[0] ?? { platform: 0, tenant: 0 };
}
