import type { Kysely } from 'kysely';
import type pg from 'pg';
import { systemScope } from '../../src/auth/scope.js';
import type { PlatformDatabase } from '../../src/db/database.js';
import type { MigrationFile } from '../../src/db/migration-files.js';
import type { OrganizationRow } from '../../src/db/tables/organizations.table.js';
import { addFieldSourcesOf } from '../../src/mappings/mapping-field-source.dao.js';
import { createOrganization } from '../../src/organizations/organization.manager.js';
import { tenantDb } from '../../src/tenancy/tenancy.js';

/**
 * The benchmark's data generator: organizations × workspaces × data sources ×
 * mappings × jobs, with JSONB shaped like real integrations (field mappings
 * with transforms, identity-resolution and generic decorators, CTEs, cached
 * source schemas, run metadata). Deterministic: the same seed gives the same rows.
 */

export interface OrgShape {
  slug: string;
  workspaces: number;
  dataSourcesPerWorkspace: number;
  mappingsPerWorkspace: number;
  jobsPerWorkspace: number;
  users: number;
}

export interface SeededOrg {
  org: OrganizationRow;
  userIds: string[];
  workspaceIds: string[];
  mappingIds: string[];
  counts: { workspaces: number; dataSources: number; mappings: number; jobs: number; runningJobs: number };
}

/** mulberry32: small, fast, good enough to spread values. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!,
    chance: (p: number) => next() < p,
  };
}
type Rng = ReturnType<typeof prng>;

const TARGET_FIELDS = [
  'customer_id', 'email', 'first_name', 'last_name', 'full_name', 'phone', 'country_code', 'city', 'postal_code', 'street',
  'created_at', 'updated_at', 'signup_date', 'birth_date', 'order_id', 'order_total', 'currency', 'discount', 'tax_amount',
  'product_id', 'sku', 'quantity', 'unit_price', 'status', 'channel', 'campaign_id', 'utm_source', 'utm_medium', 'is_active',
  'account_id', 'account_name', 'industry', 'employee_count', 'annual_revenue', 'owner_id', 'region', 'segment', 'tier',
  'lifetime_value', 'churn_score', 'last_order_at', 'first_order_at', 'loyalty_points', 'marketing_opt_in', 'language',
  'device_type', 'session_id', 'page_url', 'referrer', 'event_name', 'event_ts', 'ip_address', 'user_agent', 'invoice_id',
  'amount_due', 'paid_at', 'payment_method', 'subscription_id', 'plan_name', 'mrr',
] as const;
const SOURCE_PREFIXES = ['', 'src.', 'raw.', 'c.', 'o.', 's.'];
const TRANSFORMS = [
  'lower(trim({}))', 'upper({})', 'cast({} as bigint)', "coalesce({}, '')", 'to_timestamp({})', "nullif({}, '')",
  "regexp_replace({}, '[^0-9]', '', 'g')", 'round({}::numeric, 2)', "date_trunc('day', {})", 'md5(lower({}))',
];
const SOURCE_TYPES = ['postgresql', 'snowflake', 'api', 'file'] as const;
const JOB_TYPES = ['full_refresh', 'incremental', 'mapping_test'] as const;
const SQL_TYPES = ['text', 'bigint', 'integer', 'numeric(12,2)', 'timestamptz', 'boolean', 'date', 'jsonb', 'uuid'];

/** Where customer_id comes from: one variant in twenty, so a contains-filter matches about 1.5 % of mappings. */
const CUSTOMER_SOURCES = ['cust_id', ...Array.from({ length: 19 }, (_, i) => `customer_key_${i}`)];
export const CONTAINS_FILTER = { targetField: 'customer_id', source: 'cust_id' };

function fieldMappings(rng: Rng): Record<string, { source: string; transform: string | null }> {
  const out: Record<string, { source: string; transform: string | null }> = {};
  if (rng.chance(0.3)) out.customer_id = { source: rng.pick(CUSTOMER_SOURCES), transform: null };
  const n = rng.int(6, 24);
  while (Object.keys(out).length < n) {
    const target = rng.pick(TARGET_FIELDS);
    if (out[target]) continue;
    const source = `${rng.pick(SOURCE_PREFIXES)}${target.replace(/_/g, rng.chance(0.5) ? '_' : '')}`;
    out[target] = { source, transform: rng.chance(0.4) ? rng.pick(TRANSFORMS).replace('{}', source) : null };
  }
  return out;
}

function decorators(rng: Rng): unknown[] {
  const list: unknown[] = [];
  if (rng.chance(0.5)) {
    list.push({
      type: 'identity_resolution',
      config: { match_keys: rng.chance(0.5) ? ['email'] : ['email', 'phone'], strategy: rng.pick(['exact', 'fuzzy']), target_id_field: 'customer_id', confidence_threshold: rng.chance(0.5) ? 0.85 : null },
    });
  }
  if (rng.chance(0.3)) list.push({ type: 'deduplicate', config: { keys: ['order_id'], keep: 'latest', order_by: 'updated_at' } });
  if (rng.chance(0.2)) list.push({ type: 'pii_mask', config: { fields: ['email', 'phone'], method: 'sha256' } });
  return list;
}

function cteDefinitions(rng: Rng, sourceTable: string): unknown[] {
  if (!rng.chance(0.35)) return [];
  const list = [{ name: 'latest', sql: `select distinct on (id) * from ${sourceTable} order by id, updated_at desc` }];
  if (rng.chance(0.4)) list.push({ name: 'active_only', sql: "select * from latest where status <> 'deleted' and updated_at > now() - interval '400 days'" });
  return list;
}

function schemaCache(rng: Rng): unknown {
  return {
    tables: Array.from({ length: rng.int(5, 25) }, (_, t) => ({
      schema: 'public',
      name: `table_${t}`,
      columns: Array.from({ length: rng.int(4, 20) }, (_, c) => ({ name: c === 0 ? 'id' : rng.pick(TARGET_FIELDS), data_type: rng.pick(SQL_TYPES), nullable: c !== 0 })),
    })),
  };
}

function connectionConfig(rng: Rng, type: (typeof SOURCE_TYPES)[number], i: number): unknown {
  switch (type) {
    case 'postgresql':
      return { host: `db-${i}.internal`, port: 5432, database: 'crm', user: 'etl_reader', ssl_mode: 'require' };
    case 'snowflake':
      return { account: 'acme-xy12345', warehouse: 'LOAD_WH', database: 'RAW', schema: 'PUBLIC', user: 'ETL', role: 'LOADER' };
    case 'api':
      return { base_url: `https://api.example.com/v${rng.int(1, 3)}`, auth_type: 'none', headers: { accept: 'application/json' } };
    case 'file':
      return { format: rng.pick(['csv', 'json', 'parquet']), location: `s3://datalinx-bench/drop/${i}/`, has_header: true };
  }
}

function runMetadata(rng: Rng, status: string): unknown {
  if (status === 'pending') return {};
  return {
    rows_processed: rng.int(0, 5_000_000),
    rows_failed: status === 'failed' ? rng.int(1, 5000) : 0,
    duration_ms: rng.int(500, 3_600_000),
    warehouse_query_id: `01b2${rng.int(100000, 999999)}-0000-${rng.int(1000, 9999)}`,
    dbt_version: '1.8.4',
    partitions: rng.int(1, 64),
  };
}

function jobStatus(rng: Rng): string {
  const r = rng.next();
  return r < 0.8 ? 'completed' : r < 0.9 ? 'failed' : r < 0.93 ? 'running' : r < 0.98 ? 'pending' : 'cancelled';
}

/** Bulk insert through one jsonb_to_recordset statement per batch (bench seed). */
async function insertRows(pool: pg.Pool, table: string, columns: Record<string, string>, rows: Record<string, unknown>[]): Promise<string[]> {
  const ids: string[] = [];
  const names = Object.keys(columns);
  const defs = names.map((n) => `${n} ${columns[n]}`).join(', ');
  for (let i = 0; i < rows.length; i += 1000) {
    const batch = rows.slice(i, i + 1000);
    const res = await pool.query<{ id: string }>(
      `insert into ${table} (${names.join(', ')}) select ${names.join(', ')} from jsonb_to_recordset($1::jsonb) as r(${defs}) returning id`,
      [JSON.stringify(batch)],
    );
    ids.push(...res.rows.map((r) => r.id));
  }
  return ids;
}

const ago = (base: number, seconds: number) => new Date(base - seconds * 1000).toISOString();

/** Creates one organization (through the real provisioning path) and fills it. */
export async function seedOrganization(
  deps: { db: Kysely<PlatformDatabase>; pool: pg.Pool; migrations: readonly MigrationFile[] },
  shape: OrgShape,
  seed = 1,
): Promise<SeededOrg> {
  const rng = prng(seed);
  const org = await createOrganization(systemScope({ system: { db: deps.db, migrations: deps.migrations } }, 'bench-seed'), { name: `Bench ${shape.slug}`, slug: shape.slug });
  const schema = `"${org.schema_name}"`;
  const now = Date.now();
  const userIds = await insertRows(
    deps.pool,
    'datalinx_platform.users',
    { organization_id: 'uuid', email: 'text', display_name: 'text', role: 'text' },
    Array.from({ length: shape.users }, (_, i) => ({
      organization_id: org.id,
      email: `user${i}@${shape.slug}.example.com`,
      display_name: `User ${i}`,
      role: i === 0 ? 'owner' : i < 3 ? 'editor' : 'viewer',
    })),
  );
  const workspaceIds = await insertRows(
    deps.pool,
    `${schema}.workspaces`,
    { name: 'text', description: 'text', github_repo_url: 'text', settings: 'jsonb', created_at: 'timestamptz' },
    Array.from({ length: shape.workspaces }, (_, w) => ({
      name: `Workspace ${w}`,
      description: `Pipelines of business unit ${w}: CRM, billing and web events into the warehouse.`,
      github_repo_url: `https://github.com/acme/dbt-unit-${w}`,
      settings: { timezone: rng.pick(['Europe/Berlin', 'America/New_York', 'UTC']), defaultJobType: 'incremental', retentionDays: 90, notificationEmails: ['data@acme.example'] },
      created_at: ago(now, shape.workspaces - w),
    })),
  );
  await insertRows(
    deps.pool,
    `${schema}.data_sources`,
    { workspace_id: 'uuid', name: 'text', source_type: 'text', connection_config: 'jsonb', schema_cache: 'jsonb', last_schema_refresh: 'timestamptz', is_active: 'boolean', created_at: 'timestamptz' },
    workspaceIds.flatMap((workspace_id, w) =>
      Array.from({ length: shape.dataSourcesPerWorkspace }, (_, d) => {
        const type = SOURCE_TYPES[d % SOURCE_TYPES.length]!;
        return {
          workspace_id,
          name: `${type} source ${d}`,
          source_type: type,
          connection_config: connectionConfig(rng, type, d),
          schema_cache: schemaCache(rng),
          last_schema_refresh: ago(now, rng.int(60, 86_400)),
          is_active: rng.chance(0.9),
          created_at: ago(now, w * 100 + d),
        };
      }),
    ),
  );
  const mappingIds = await insertRows(
    deps.pool,
    `${schema}.mappings`,
    { workspace_id: 'uuid', source_table: 'text', target_table: 'text', field_mappings: 'jsonb', decorators: 'jsonb', cte_definitions: 'jsonb', status: 'text', created_at: 'timestamptz' },
    workspaceIds.flatMap((workspace_id, w) =>
      Array.from({ length: shape.mappingsPerWorkspace }, (_, m) => {
        const sourceTable = `${rng.pick(['crm', 'billing', 'web', 'erp'])}.${rng.pick(['customers', 'orders', 'invoices', 'events', 'accounts', 'products'])}_${m}`;
        return {
          workspace_id,
          source_table: sourceTable,
          target_table: `${rng.pick(['dim', 'fct', 'stg'])}_${sourceTable.split('.')[1]}`,
          field_mappings: fieldMappings(rng),
          decorators: decorators(rng),
          cte_definitions: cteDefinitions(rng, sourceTable),
          status: rng.pick(['draft', 'active', 'active', 'active', 'archived']),
          created_at: ago(now, w * shape.mappingsPerWorkspace + m),
        };
      }),
    ),
  );
  // Their mapping_field_sources rows (what insertMapping writes beside each), 1,000 mappings a statement
  // (~15,000 rows): larger batches outlasted the pool's statement timeout on a loaded machine.
  for (let i = 0; i < mappingIds.length; i += 1000) await addFieldSourcesOf(tenantDb(deps.db, org.schema_name), mappingIds.slice(i, i + 1000));
  const jobs = workspaceIds.flatMap((workspace_id, w) =>
    Array.from({ length: shape.jobsPerWorkspace }, (_, j) => {
      const status = jobStatus(rng);
      const created = now - (w * shape.jobsPerWorkspace + j) * 60_000;
      return {
        workspace_id,
        job_type: rng.pick(JOB_TYPES),
        status,
        created_at: new Date(created).toISOString(),
        started_at: status === 'pending' ? null : new Date(created + 5_000).toISOString(),
        completed_at: ['completed', 'failed', 'cancelled'].includes(status) ? new Date(created + rng.int(10_000, 600_000)).toISOString() : null,
        error_message: status === 'failed' ? 'Warehouse rejected the load: column "order_total" is of type numeric but expression is of type text' : null,
        run_metadata: runMetadata(rng, status),
        created_by: rng.pick(userIds),
      };
    }),
  );
  await insertRows(
    deps.pool,
    `${schema}.pipeline_jobs`,
    { workspace_id: 'uuid', job_type: 'text', status: 'text', created_at: 'timestamptz', started_at: 'timestamptz', completed_at: 'timestamptz', error_message: 'text', run_metadata: 'jsonb', created_by: 'uuid' },
    jobs,
  );
  await deps.pool.query(`analyze ${schema}.workspaces, ${schema}.data_sources, ${schema}.mappings, ${schema}.pipeline_jobs`);
  // As autovacuum soon would after a bulk insert: the visibility map lets fieldMappingsContain's totalCount be an index-only scan.
  await deps.pool.query(`vacuum analyze ${schema}.mapping_field_sources`);
  return {
    org,
    userIds,
    workspaceIds,
    mappingIds,
    counts: {
      workspaces: workspaceIds.length,
      dataSources: workspaceIds.length * shape.dataSourcesPerWorkspace,
      mappings: mappingIds.length,
      jobs: jobs.length,
      runningJobs: jobs.filter((j) => j.status === 'running').length,
    },
  };
}
