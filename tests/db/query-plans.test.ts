import { Kysely, PostgresDialect, sql, type CompiledQuery } from 'kysely';
import { encodeCursor } from '../../src/db/pagination.js';
import type { PlatformDatabase } from '../../src/db/database.js';
import type { OrganizationRow } from '../../src/db/tables/organizations.table.js';
import * as jobs from '../../src/jobs/pipeline-job.dao.js';
import { addFieldSourcesOf } from '../../src/mappings/mapping-field-source.dao.js';
import * as mappings from '../../src/mappings/mapping.dao.js';
import type { Tenant } from '../../src/tenancy/tenant.js';
import { createTestDb, provisionOrganization, tenantOf, type TestDb } from '../support/index.js';

// Plans are checked on the DAOs' own SQL, never on a hand-written copy: a second
// Kysely on the same pool logs each query a DAO compiles, which is then
// EXPLAINed with its parameters.
let t: TestDb;
let org: OrganizationRow;
let tenant: Tenant;
let captured: CompiledQuery[] = [];
let busiestWorkspace: string;

async function explainLast(options = ''): Promise<string> {
  const query = captured.at(-1)!;
  const { rows } = await t.pool.query<{ 'QUERY PLAN': string }>(`explain ${options} ${query.sql}`, [...query.parameters]);
  return rows.map((r) => r['QUERY PLAN']).join('\n');
}

beforeAll(async () => {
  t = await createTestDb();
  org = await provisionOrganization(t, 'planner');
  const logging = new Kysely<PlatformDatabase>({
    dialect: new PostgresDialect({ pool: t.pool }),
    log: (event) => {
      if (event.level === 'query') captured.push(event.query);
    },
  });
  tenant = tenantOf(logging, org);
  const schema = (table: string) => sql.table(`${org.schema_name}.${table}`);

  // bulk seed: 20 workspaces, 10,000 mappings (1 in 1,000 maps customer_id), 10,000 jobs
  await sql`insert into ${schema('workspaces')} (name) select 'w' || g from generate_series(1, 20) g`.execute(t.db);
  const { rows: seeded } = await sql<{ id: string }>`
    insert into ${schema('mappings')} (workspace_id, target_table, source_table, field_mappings, created_at)
    select (select id from ${schema('workspaces')} order by name limit 1), 't' || g, 's' || g,
      case when g % 1000 = 0 then '{"customer_id": {"source": "cust_id", "transform": null}}'::jsonb
           when g % 100 = 0 then '{"customer_id": {"source": "buyer", "transform": "trim(buyer)"}}'::jsonb
           else jsonb_build_object('field_' || g, jsonb_build_object('source', 'col_' || g, 'transform', null)) end,
      timestamptz '2024-01-01' + g * interval '1 second'
    from generate_series(1, 10000) g returning id`.execute(t.db);
  await addFieldSourcesOf(tenant.db, seeded.map((r) => r.id));
  await sql`
    insert into ${schema('pipeline_jobs')} (workspace_id, job_type, status, created_at)
    select w.id, 'incremental', 'completed', timestamptz '2024-01-01' + g * interval '1 minute'
    from generate_series(1, 500) g cross join ${schema('workspaces')} w`.execute(t.db);
  // VACUUM as autovacuum would: it also merges the GIN pending list, which the
  // planner otherwise prices as a scan of every freshly inserted entry
  await sql`vacuum analyze ${schema('mappings')}`.execute(t.db);
  await sql`vacuum analyze ${schema('mapping_field_sources')}`.execute(t.db);
  await sql`vacuum analyze ${schema('pipeline_jobs')}`.execute(t.db);
  busiestWorkspace = (await tenant.db.selectFrom('workspaces').select('id').orderBy('name').executeTakeFirstOrThrow()).id;
});
afterAll(() => t.close());
beforeEach(() => {
  captured = [];
});

describe('hasTargetField uses the GIN index (10,000 rows)', () => {
  it('`field_mappings ? key`', async () => {
    const page = await mappings.listMappings(tenant.db, { hasTargetField: 'customer_id' }, { first: 20 });

    expect(page.rows).toHaveLength(20);
    expect(page.rows.every((r) => r.field_mappings.customer_id !== undefined)).toBe(true);
    expect(captured.at(-1)!.sql).toContain('field_mappings ? $1');
    expect(await explainLast()).toMatch(/Bitmap Index Scan on mappings_field_mappings_idx/);
  });
});

describe('fieldMappingsContain reads mapping_field_sources indexes in list order (10,000 rows)', () => {
  /** The plan below the page's Limit: what runs before the page is cut. */
  const belowLimit = (plan: string) => plan.slice(plan.search(/->\s+Limit/));

  it('a target field and its source: the page is the first 21 entries of mapping_field_sources_source_idx, no sort', async () => {
    const search = { fieldMappingsContain: { targetField: 'customer_id', source: 'cust_id' } };
    const page = await mappings.listMappings(tenant.db, search, { first: 4 });

    expect(page.rows.map((r) => r.target_table)).toEqual(['t10000', 't9000', 't8000', 't7000']);
    const plan = belowLimit(await explainLast());
    expect(plan).toMatch(/Index Only Scan using mapping_field_sources_source_idx/);
    expect(plan).toMatch(/Index Scan using mappings_pkey/);
    expect(plan).not.toMatch(/Sort|Bitmap|mappings_field_mappings_idx/);
  });

  it('a later page seeks to the cursor inside the index', async () => {
    const search = { fieldMappingsContain: { targetField: 'customer_id', source: 'cust_id' } };
    const first = await mappings.listMappings(tenant.db, search, { first: 4 });
    const next = await mappings.listMappings(tenant.db, search, { first: 4, after: encodeCursor(first.rows[3]!.id) });

    expect(next.rows.map((r) => r.target_table)).toEqual(['t6000', 't5000', 't4000', 't3000']);
    expect(await explainLast()).toMatch(/Index Cond: \(\(target_field = 'customer_id'::text\) AND \(source = 'cust_id'::text\) AND \(ROW\(mapping_created_at, mapping_id\) < ROW/);
  });

  it('its totalCount is an index-only count of mapping_field_sources, without mappings', async () => {
    expect(await mappings.countMappings(tenant.db, { fieldMappingsContain: { targetField: 'customer_id', source: 'cust_id' } })).toBe(10);
    const plan = await explainLast();
    expect(plan).toMatch(/Index Only Scan using mapping_field_sources_source_idx/);
    expect(plan).not.toMatch(/on mappings/);
  });

  it('a page asked with its totalCount counts in the same statement, from the index alone', async () => {
    const page = await mappings.listMappings(tenant.db, { fieldMappingsContain: { targetField: 'customer_id', source: 'cust_id' } }, { first: 4, withTotalCount: true });

    expect({ rows: page.rows.length, totalCount: page.totalCount }).toEqual({ rows: 4, totalCount: 10 });
    const plan = await explainLast();
    const [count, cut] = [plan.slice(0, plan.search(/->\s+(Subquery Scan|Limit)/)), belowLimit(plan)];
    expect(count).toMatch(/InitPlan[\s\S]*Aggregate[\s\S]*Index Only Scan using mapping_field_sources_source_idx/);
    expect(count).not.toMatch(/on mappings/);
    expect(cut).toMatch(/Index Only Scan using mapping_field_sources_source_idx/);
    expect(cut).not.toMatch(/Sort|Bitmap/);
  });

  it('a target field alone is read from its own index in list order; with a transform, its entries in that index are filtered', async () => {
    expect(await mappings.countMappings(tenant.db, { fieldMappingsContain: { targetField: 'customer_id' } })).toBe(100);
    await mappings.listMappings(tenant.db, { fieldMappingsContain: { targetField: 'customer_id' } }, { first: 20 });
    expect(belowLimit(await explainLast())).toMatch(/Index Only Scan using mapping_field_sources_field_idx/);

    const transform = { fieldMappingsContain: { targetField: 'customer_id', transform: 'trim(buyer)' } };
    expect(await mappings.countMappings(tenant.db, transform)).toBe(90);
    await mappings.listMappings(tenant.db, transform, { first: 20 });
    const filtered = belowLimit(await explainLast());
    expect(filtered).toMatch(/Filter: \((s\.)?transform = /);
    expect(filtered).toMatch(/Index (Only )?Scan (using|on) mapping_field_sources_field_idx/);
  });
});

describe('lists cast their JSONB columns to text after the page is cut, not for every row matched', () => {
  /** The nodes' outputs (EXPLAIN VERBOSE) above the first node matching `cut`, and from it down: what is computed for every row before the page is cut. */
  const belowCut = (plan: string, cut: RegExp) => {
    const lines = plan.split('\n');
    const at = lines.findIndex((l) => cut.test(l));
    expect(at).toBeGreaterThan(0);
    const outputs = (part: string[]) => part.filter((l) => l.trim().startsWith('Output:')).join('\n');
    return { above: outputs(lines.slice(0, at)), below: outputs(lines.slice(at)) };
  };

  it('a top-level page (mappings, GIN filter): the casts sit above the Limit', async () => {
    const page = await mappings.listMappings(tenant.db, { hasTargetField: 'customer_id' }, { first: 3 });
    expect(page.rows).toHaveLength(3);
    expect(page.rows[0]!.field_mappings.customer_id).toEqual({ source: 'cust_id', transform: null });
    const { above, below } = belowCut(await explainLast('(verbose)'), /->\s+Limit/);
    expect(above).toMatch(/field_mappings\)::text/);
    expect(below).not.toMatch(/::text/);
  });

  it('nested pages (jobs per workspace): the casts sit above the row_number window', async () => {
    const [first, second] = await tenant.db.selectFrom('workspaces').select('id').orderBy('name').limit(2).execute();
    const pages = await jobs.pagesByWorkspaceIds(tenant.db, [first!.id, second!.id], {}, { first: 2, withTotalCount: true });
    expect([...pages.values()].map((p) => [p.rows.length, p.totalCount])).toEqual([
      [2, 500],
      [2, 500],
    ]);
    expect(pages.get(first!.id)!.rows[0]!.run_metadata).toEqual({});
    const { above, below } = belowCut(await explainLast('(verbose)'), /->\s+WindowAgg/);
    expect(above).toMatch(/run_metadata\)::text/);
    expect(below).not.toMatch(/::text/);
  });
});

describe('jobs of a workspace, newest first, use pipeline_jobs_workspace_created_idx (10,000 rows)', () => {
  it('first page', async () => {
    const page = await jobs.listPipelineJobs(tenant.db, { workspaceId: busiestWorkspace }, { first: 20 });

    expect(page.rows).toHaveLength(20);
    expect(page.rows[0]!.created_at).toEqual(new Date('2024-01-01T08:20:00Z'));
    expect(page.hasNextPage).toBe(true);
    expect(await explainLast()).toMatch(/Index Scan using pipeline_jobs_workspace_created_idx/);
  });

  it('a later page, after a cursor', async () => {
    const first = await jobs.listPipelineJobs(tenant.db, { workspaceId: busiestWorkspace }, { first: 20 });
    const next = await jobs.listPipelineJobs(tenant.db, { workspaceId: busiestWorkspace }, { first: 20, after: encodeCursor(first.rows[19]!.id) });

    expect(next.rows[0]!.created_at).toEqual(new Date('2024-01-01T08:00:00Z'));
    expect(await explainLast()).toMatch(/Index Scan using pipeline_jobs_workspace_created_idx/);
  });
});
