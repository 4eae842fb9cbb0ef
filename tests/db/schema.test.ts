import { sql } from 'kysely';
import { createTestDb, provisionOrganization, type TestDb } from '../support/index.js';

/** [column, type, nullability, default] as the design writes them. */
type Column = [name: string, type: string, nullable: 'NULL' | 'NOT NULL', defaultValue: string | null];

const ORGANIZATIONS: Column[] = [
  ['id', 'uuid', 'NOT NULL', 'gen_random_uuid()'],
  ['name', 'varchar(255)', 'NOT NULL', null],
  ['slug', 'varchar(100)', 'NOT NULL', null],
  ['schema_name', 'varchar(100)', 'NOT NULL', null],
  ['created_at', 'timestamptz', 'NOT NULL', 'now()'],
  ['updated_at', 'timestamptz', 'NOT NULL', 'now()'],
  ['settings', 'jsonb', 'NOT NULL', "'{}'::jsonb"],
];

const USERS: Column[] = [
  ['id', 'uuid', 'NOT NULL', 'gen_random_uuid()'],
  ['organization_id', 'uuid', 'NULL', null],
  ['email', 'varchar(255)', 'NOT NULL', null],
  ['password_hash', 'varchar(255)', 'NULL', null],
  ['display_name', 'varchar(255)', 'NULL', null],
  ['role', 'varchar(50)', 'NOT NULL', "'viewer'::character varying"],
  ['created_at', 'timestamptz', 'NOT NULL', 'now()'],
  ['last_login_at', 'timestamptz', 'NULL', null],
  ['mfa_enabled', 'boolean', 'NOT NULL', 'false'],
  ['mfa_secret_encrypted', 'text', 'NULL', null],
  ['mfa_last_used_step', 'bigint', 'NULL', null],
  ['failed_login_count', 'integer', 'NOT NULL', '0'],
  ['locked_until', 'timestamptz', 'NULL', null],
  ['lockout_count', 'integer', 'NOT NULL', '0'],
  ['mfa_pending_secret_encrypted', 'text', 'NULL', null],
];

const SCHEMA_VERSION: Column[] = [
  ['id', 'bigint', 'NOT NULL', "nextval('datalinx_platform.schema_version_id_seq'::regclass)"],
  ['version', 'varchar(32)', 'NOT NULL', null],
  ['file_name', 'varchar(255)', 'NOT NULL', null],
  ['checksum', 'char(64)', 'NOT NULL', null],
  ['applied_at', 'timestamptz', 'NOT NULL', 'now()'],
  ['duration_ms', 'integer', 'NOT NULL', null],
];

const WORKSPACES: Column[] = [
  ['id', 'uuid', 'NOT NULL', 'gen_random_uuid()'],
  ['name', 'varchar(255)', 'NOT NULL', null],
  ['description', 'text', 'NULL', null],
  ['target_schema_id', 'uuid', 'NULL', null],
  ['github_repo_url', 'varchar(500)', 'NULL', null],
  ['repo_subdirectory', 'varchar(255)', 'NULL', null],
  ['created_at', 'timestamptz', 'NOT NULL', 'now()'],
  ['updated_at', 'timestamptz', 'NOT NULL', 'now()'],
  ['settings', 'jsonb', 'NOT NULL', "'{}'::jsonb"],
  ['warehouse', 'jsonb', 'NULL', null],
];

const DATA_SOURCES: Column[] = [
  ['id', 'uuid', 'NOT NULL', 'gen_random_uuid()'],
  ['workspace_id', 'uuid', 'NOT NULL', null],
  ['name', 'varchar(255)', 'NOT NULL', null],
  ['source_type', 'varchar(50)', 'NOT NULL', null],
  ['connection_config', 'jsonb', 'NOT NULL', null],
  ['schema_cache', 'jsonb', 'NULL', null],
  ['last_schema_refresh', 'timestamptz', 'NULL', null],
  ['created_at', 'timestamptz', 'NOT NULL', 'now()'],
  ['is_active', 'boolean', 'NOT NULL', 'true'],
];

const MAPPINGS: Column[] = [
  ['id', 'uuid', 'NOT NULL', 'gen_random_uuid()'],
  ['workspace_id', 'uuid', 'NOT NULL', null],
  ['target_table', 'varchar(255)', 'NOT NULL', null],
  ['source_table', 'varchar(255)', 'NOT NULL', null],
  ['field_mappings', 'jsonb', 'NOT NULL', null],
  ['decorators', 'jsonb', 'NOT NULL', "'[]'::jsonb"],
  ['cte_definitions', 'jsonb', 'NOT NULL', "'[]'::jsonb"],
  ['status', 'varchar(50)', 'NOT NULL', "'draft'::character varying"],
  ['version', 'integer', 'NOT NULL', '1'],
  ['created_at', 'timestamptz', 'NOT NULL', 'now()'],
  ['updated_at', 'timestamptz', 'NOT NULL', 'now()'],
  ['incremental', 'jsonb', 'NULL', null],
];

const PIPELINE_JOBS: Column[] = [
  ['id', 'uuid', 'NOT NULL', 'gen_random_uuid()'],
  ['workspace_id', 'uuid', 'NOT NULL', null],
  ['job_type', 'varchar(50)', 'NOT NULL', null],
  ['status', 'varchar(50)', 'NOT NULL', "'pending'::character varying"],
  ['created_at', 'timestamptz', 'NOT NULL', 'now()'],
  ['started_at', 'timestamptz', 'NULL', null],
  ['completed_at', 'timestamptz', 'NULL', null],
  ['error_message', 'text', 'NULL', null],
  ['run_metadata', 'jsonb', 'NOT NULL', "'{}'::jsonb"],
  ['created_by', 'uuid', 'NULL', null],
  // Additions beyond the design: the run's progress, typed failure, chosen mappings and the job it retries.
  ['progress', 'integer', 'NOT NULL', '0'],
  ['failure', 'jsonb', 'NULL', null],
  ['mapping_ids', 'ARRAY', 'NOT NULL', "'{}'::uuid[]"],
  ['retry_of', 'uuid', 'NULL', null],
];

let t: TestDb;

beforeAll(async () => {
  t = await createTestDb();
  await provisionOrganization(t, 'acme');
});
afterAll(() => t.close());

async function columns(schema: string, table: string): Promise<Column[]> {
  // test: a table's columns as the design writes them
  const { rows } = await sql<{ column_name: string; data_type: string; len: number | null; is_nullable: string; column_default: string | null }>`
    select column_name, data_type, character_maximum_length as len, is_nullable, column_default
    from information_schema.columns where table_schema = ${schema} and table_name = ${table}
    order by ordinal_position`.execute(t.db);
  const short: Record<string, string> = { 'character varying': 'varchar', character: 'char', 'timestamp with time zone': 'timestamptz' };
  return rows.map((r) => [
    r.column_name,
    (short[r.data_type] ?? r.data_type) + (r.len === null ? '' : `(${r.len})`),
    r.is_nullable === 'YES' ? 'NULL' : 'NOT NULL',
    r.column_default,
  ]);
}

async function indexes(schema: string, table: string): Promise<Record<string, string>> {
  const { rows } = await sql<{ indexname: string; indexdef: string }>`
    select indexname, indexdef from pg_indexes where schemaname = ${schema} and tablename = ${table}`.execute(t.db);
  return Object.fromEntries(rows.map((r) => [r.indexname, r.indexdef]));
}

describe('the platform schema matches the design column by column', () => {
  it.each([
    ['organizations', ORGANIZATIONS],
    ['users', USERS],
    ['schema_version', SCHEMA_VERSION],
  ])('datalinx_platform.%s', async (table, expected) => {
    expect(await columns('datalinx_platform', table)).toEqual(expected);
  });
});

describe('an organization schema matches the design column by column', () => {
  it.each([
    ['workspaces', WORKSPACES],
    ['data_sources', DATA_SOURCES],
    ['mappings', MAPPINGS],
    ['pipeline_jobs', PIPELINE_JOBS],
  ])('org_acme.%s', async (table, expected) => {
    expect(await columns('org_acme', table)).toEqual(expected);
  });
});

describe('indexes match the design by name and definition', () => {
  it('users: primary key, unique email, organization_id', async () => {
    expect(await indexes('datalinx_platform', 'users')).toEqual({
      users_pkey: 'CREATE UNIQUE INDEX users_pkey ON datalinx_platform.users USING btree (id)',
      users_email_key: 'CREATE UNIQUE INDEX users_email_key ON datalinx_platform.users USING btree (email)',
      users_organization_id_idx: 'CREATE INDEX users_organization_id_idx ON datalinx_platform.users USING btree (organization_id)',
    });
  });

  it('organizations: unique slug and unique schema name', async () => {
    expect(await indexes('datalinx_platform', 'organizations')).toEqual({
      organizations_pkey: 'CREATE UNIQUE INDEX organizations_pkey ON datalinx_platform.organizations USING btree (id)',
      organizations_slug_key: 'CREATE UNIQUE INDEX organizations_slug_key ON datalinx_platform.organizations USING btree (slug)',
      organizations_schema_name_key:
        'CREATE UNIQUE INDEX organizations_schema_name_key ON datalinx_platform.organizations USING btree (schema_name)',
    });
  });

  it('workspaces: keyset (created_at desc, id desc)', async () => {
    expect(await indexes('org_acme', 'workspaces')).toEqual({
      workspaces_pkey: 'CREATE UNIQUE INDEX workspaces_pkey ON org_acme.workspaces USING btree (id)',
      workspaces_created_at_id_idx:
        'CREATE INDEX workspaces_created_at_id_idx ON org_acme.workspaces USING btree (created_at DESC, id DESC)',
    });
  });

  it('data_sources: workspace_id', async () => {
    expect(await indexes('org_acme', 'data_sources')).toEqual({
      data_sources_pkey: 'CREATE UNIQUE INDEX data_sources_pkey ON org_acme.data_sources USING btree (id)',
      data_sources_workspace_id_idx: 'CREATE INDEX data_sources_workspace_id_idx ON org_acme.data_sources USING btree (workspace_id)',
    });
  });

  it('mappings: workspace_id and GIN on field_mappings', async () => {
    expect(await indexes('org_acme', 'mappings')).toEqual({
      mappings_pkey: 'CREATE UNIQUE INDEX mappings_pkey ON org_acme.mappings USING btree (id)',
      mappings_workspace_id_idx: 'CREATE INDEX mappings_workspace_id_idx ON org_acme.mappings USING btree (workspace_id)',
      mappings_field_mappings_idx: 'CREATE INDEX mappings_field_mappings_idx ON org_acme.mappings USING gin (field_mappings)',
    });
  });

  it('mapping_field_sources: by mapping, and by target field (alone, and with its source) in list order', async () => {
    expect(await indexes('org_acme', 'mapping_field_sources')).toEqual({
      mapping_field_sources_pkey: 'CREATE UNIQUE INDEX mapping_field_sources_pkey ON org_acme.mapping_field_sources USING btree (mapping_id, target_field)',
      mapping_field_sources_field_idx:
        'CREATE INDEX mapping_field_sources_field_idx ON org_acme.mapping_field_sources USING btree (target_field, mapping_created_at DESC, mapping_id DESC)',
      mapping_field_sources_source_idx:
        'CREATE INDEX mapping_field_sources_source_idx ON org_acme.mapping_field_sources USING btree (target_field, source, mapping_created_at DESC, mapping_id DESC) ' +
        'WHERE ((octet_length(target_field) + octet_length(source)) <= 2000)',
    });
  });

  it('pipeline_jobs: partial active status, workspace newest first, created_by', async () => {
    expect(await indexes('org_acme', 'pipeline_jobs')).toEqual({
      pipeline_jobs_pkey: 'CREATE UNIQUE INDEX pipeline_jobs_pkey ON org_acme.pipeline_jobs USING btree (id)',
      pipeline_jobs_active_status_idx:
        'CREATE INDEX pipeline_jobs_active_status_idx ON org_acme.pipeline_jobs USING btree (status) ' +
        // status IN ('pending', 'running') as PostgreSQL prints it once read back from the tenant snapshot
        "WHERE ((status)::text = ANY (ARRAY[('pending'::character varying)::text, ('running'::character varying)::text]))",
      pipeline_jobs_workspace_created_idx:
        'CREATE INDEX pipeline_jobs_workspace_created_idx ON org_acme.pipeline_jobs USING btree (workspace_id, created_at DESC, id DESC)',
      pipeline_jobs_created_by_idx: 'CREATE INDEX pipeline_jobs_created_by_idx ON org_acme.pipeline_jobs USING btree (created_by)',
      // Beyond the design: which active runs hold a mapping (the one-run-per-mapping check).
      pipeline_jobs_active_mappings_idx:
        'CREATE INDEX pipeline_jobs_active_mappings_idx ON org_acme.pipeline_jobs USING gin (mapping_ids) ' +
        "WHERE ((status)::text = ANY (ARRAY[('pending'::character varying)::text, ('running'::character varying)::text]))",
    });
  });
});
