import { sql } from 'kysely';
import { platform, PLATFORM_SCHEMA, type PlatformDb } from '../db/database.js';
import { compareVersions } from '../db/migration-files.js';
import { assertSchemaName, quoteIdent } from '../tenancy/tenancy.js';

/**
 * What an organization export takes from the shared schema, in the order an
 * import restores it (parents first). `where` selects the organization's rows;
 * COPY takes no parameters, so the id is checked to be a uuid and inlined.
 */
export const PLATFORM_TABLES: readonly { table: string; where: string }[] = [
  { table: 'organizations', where: 'id = $org' },
  { table: 'users', where: 'organization_id = $org' },
  { table: 'mfa_recovery_codes', where: `user_id in (select id from ${PLATFORM_SCHEMA}.users where organization_id = $org)` },
  { table: 'service_accounts', where: 'organization_id = $org' },
  { table: 'service_account_keys', where: `service_account_id in (select id from ${PLATFORM_SCHEMA}.service_accounts where organization_id = $org)` },
  { table: 'audit_log', where: 'organization_id = $org' },
];

/** Shared tables an export leaves out, and why; every platform table is in one of the two lists (a test checks). */
export const PLATFORM_TABLES_NOT_EXPORTED: Readonly<Record<string, string>> = {
  refresh_tokens: 'sessions: users of a restored organization sign in again',
  mfa_challenges: 'sessions: pending sign-ins',
  schema_version: 'the database\'s own migration history',
  tenant_schema_version: 'rebuilt by the import from the file\'s schema version',
  user_roles: 'value set, created by migrations',
  data_source_types: 'value set, created by migrations',
  mapping_statuses: 'value set, created by migrations',
  job_types: 'value set, created by migrations',
  job_statuses: 'value set, created by migrations',
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** `COPY (select …) TO STDOUT` for the organization's rows of a platform table. */
export function platformCopyOut(table: string, columns: readonly string[], organizationId: string): string {
  const spec = PLATFORM_TABLES.find((t) => t.table === table);
  if (!spec || !UUID.test(organizationId)) throw new Error(`not an exportable platform table: ${table}`);
  const where = spec.where.replaceAll('$org', `'${organizationId}'::uuid`);
  // export: one organization's rows of a platform table
  return `COPY (SELECT ${columns.map(quoteIdent).join(', ')} FROM ${PLATFORM_SCHEMA}.${quoteIdent(table)} WHERE ${where}) TO STDOUT`;
}

export function tenantCopyOut(schemaName: string, table: string, columns: readonly string[]): string {
  // export: a whole tenant table
  return `COPY ${quoteIdent(assertSchemaName(schemaName))}.${quoteIdent(table)} (${columns.map(quoteIdent).join(', ')}) TO STDOUT`;
}

export function copyIn(schemaName: string, table: string, columns: readonly string[]): string {
  const schema = schemaName === PLATFORM_SCHEMA ? PLATFORM_SCHEMA : assertSchemaName(schemaName);
  return `COPY ${quoteIdent(schema)}.${quoteIdent(table)} (${columns.map(quoteIdent).join(', ')}) FROM STDIN`;
}

/** Every table of a schema with its stored (not generated) columns in order. */
export async function tableColumns(db: PlatformDb, schemaName: string): Promise<Map<string, string[]>> {
  // backup: columns of every table in a schema
  const { rows } = await sql<{ table: string; column: string }>`
    select c.relname as table, a.attname as column
    from pg_attribute a
    join pg_class c on c.oid = a.attrelid
    join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = ${schemaName} and c.relkind in ('r', 'p') and a.attnum > 0
      and not a.attisdropped and a.attgenerated = ''
    order by c.relname, a.attnum`.execute(db);
  const tables = new Map<string, string[]>();
  for (const { table, column } of rows) tables.set(table, [...(tables.get(table) ?? []), column]);
  return tables;
}

/** The schema's tables, each after the tables it references (foreign keys inside the schema). */
export async function tablesInDependencyOrder(db: PlatformDb, schemaName: string): Promise<string[]> {
  const tables = [...(await tableColumns(db, schemaName)).keys()].sort();
  // backup: foreign keys between the tables of one schema
  const { rows } = await sql<{ table: string; references: string }>`
    select c.relname as table, r.relname as references
    from pg_constraint k
    join pg_class c on c.oid = k.conrelid
    join pg_class r on r.oid = k.confrelid
    join pg_namespace n on n.oid = c.relnamespace
    where k.contype = 'f' and n.nspname = ${schemaName} and r.relnamespace = c.relnamespace and r.oid <> c.oid`.execute(db);
  const ordered: string[] = [];
  const visiting = new Set<string>();
  const visit = (table: string) => {
    if (ordered.includes(table) || visiting.has(table)) return;
    visiting.add(table);
    for (const dep of rows.filter((r) => r.table === table)) visit(dep.references);
    ordered.push(table);
  };
  tables.forEach(visit);
  return ordered;
}

/** The newest platform migration applied, and the newest tenant migration of one organization. */
export async function schemaVersions(db: PlatformDb, organizationId?: string): Promise<{ platform: string; tenant: string | null }> {
  const applied = await platform(db).selectFrom('schema_version').select('version').execute();
  const tenant = organizationId
    ? await platform(db).selectFrom('tenant_schema_version').select('version').where('organization_id', '=', organizationId).execute()
    : [];
  const newest = (versions: string[]) => versions.sort(compareVersions).at(-1) ?? null;
  return { platform: newest(applied.map((r) => r.version)) ?? '0.0.0', tenant: newest(tenant.map((r) => r.version)) };
}

/**
 * Keyring key ids the organization's sealed secrets (data source credentials,
 * TOTP secrets) were wrapped with. `userColumns` are the users table's columns:
 * a database at an older version may lack the newer secret columns.
 */
export async function sealedKeyIds(db: PlatformDb, org: { id: string; schema_name: string }, userColumns: readonly string[]): Promise<string[]> {
  const sealed = ['mfa_secret_encrypted', 'mfa_pending_secret_encrypted'].filter((c) => userColumns.includes(c));
  const fromUsers = sealed.map(
    (column) => sql`select ${sql.ref(column)}::jsonb ->> 'kid' from ${sql.table(`${PLATFORM_SCHEMA}.users`)} where organization_id = ${org.id}`,
  );
  // backup: keyring key ids an organization's secrets need
  const { rows } = await sql<{ kid: string }>`
    select distinct kid from (
      select connection_config -> 'secrets' ->> 'kid' as kid from ${sql.table(`${assertSchemaName(org.schema_name)}.data_sources`)}
      ${sql.join(fromUsers.map((q) => sql`union all ${q}`), sql` `)}
    ) k where kid is not null order by kid`.execute(db);
  return rows.map((r) => r.kid);
}

/**
 * Imported schedules arrive disabled: the queue scheduler has no copy of them
 * (it lives outside the organization's schema), so one shown as enabled would
 * never fire. setWorkspaceSchedule enables one again. Returns how many.
 */
export async function disableImportedSchedules(db: PlatformDb, schemaName: string): Promise<number> {
  const table = `${quoteIdent(assertSchemaName(schemaName))}.workspace_schedules`;
  // import: a schema built from the file; the table exists from v1.0.12 on (the import migrates to the current version first)
  const res = await sql.raw(`UPDATE ${table} SET enabled = false, updated_at = now() WHERE enabled`).execute(db);
  return Number(res.numAffectedRows ?? 0n);
}
