import { jest } from '@jest/globals';
import * as dataSources from '../../src/data-sources/data-source.dao.js';
import type { OrganizationRow } from '../../src/db/tables/organizations.table.js';
import type { WorkspaceRow } from '../../src/db/tables/workspaces.table.js';
import { NotFoundError } from '../../src/errors.js';
import * as jobs from '../../src/jobs/pipeline-job.dao.js';
import * as mappings from '../../src/mappings/mapping.dao.js';
import type { Tenant } from '../../src/tenancy/tenant.js';
import { insertUser } from '../../src/users/user.dao.js';
import * as workspaces from '../../src/workspaces/workspace.dao.js';
import { createTestDb, provisionOrganization, rejection, tenantOf, type TestDb } from '../support/index.js';

const UUID = expect.stringMatching(/^[0-9a-f-]{36}$/);
const NO_SUCH_ID = '00000000-0000-4000-8000-000000000000';

let t: TestDb;
let orgA: OrganizationRow;
let a: Tenant;
let b: Tenant;
let home: WorkspaceRow;

beforeAll(async () => {
  t = await createTestDb();
  orgA = await provisionOrganization(t, 'tenant-a');
  a = tenantOf(t.db, orgA);
  b = tenantOf(t.db, await provisionOrganization(t, 'tenant-b'));
  home = await workspaces.insertWorkspace(a.db, { name: 'Home' });
});
afterAll(() => t.close());

describe('workspace DAO through a tenant handle', () => {
  it('creates, reads, lists, counts, updates and deletes a workspace', async () => {
    const created = await workspaces.insertWorkspace(a.db, { name: 'Sales', description: 'Sales data', settings: { timezone: 'UTC' } });
    expect(created).toEqual({
      id: UUID,
      name: 'Sales',
      description: 'Sales data',
      target_schema_id: null,
      github_repo_url: null,
      repo_subdirectory: null,
      settings: { timezone: 'UTC' },
      warehouse: null,
      created_at: expect.any(Date),
      updated_at: expect.any(Date),
    });
    expect(await workspaces.findWorkspaceById(a.db, created.id)).toEqual(created);
    expect(await workspaces.findWorkspacesByIds(a.db, [created.id, NO_SUCH_ID])).toEqual([created]);
    expect(await workspaces.countWorkspaces(a.db)).toBe(2);
    expect((await workspaces.listWorkspaces(a.db, {})).rows).toEqual([created, home]);

    const updated = await workspaces.updateWorkspace(a.db, created.id, { github_repo_url: 'https://github.com/acme/dbt', settings: {} });
    expect(updated).toEqual({ ...created, github_repo_url: 'https://github.com/acme/dbt', settings: {}, updated_at: expect.any(Date) });

    expect(await workspaces.deleteWorkspace(a.db, created.id)).toBe(true);
    expect(await workspaces.findWorkspaceById(a.db, created.id)).toBeUndefined();
    expect(await workspaces.deleteWorkspace(a.db, created.id)).toBe(false);
  });
});

describe('data source DAO through a tenant handle', () => {
  it('creates, reads, pages by workspace, updates and deletes a data source', async () => {
    const created = await dataSources.insertDataSource(a.db, {
      workspace_id: home.id,
      name: 'CRM',
      source_type: 'postgresql',
      connection_config: { host: 'crm.internal', port: 5432 },
    });
    expect(created).toEqual({
      id: UUID,
      workspace_id: home.id,
      name: 'CRM',
      source_type: 'postgresql',
      connection_config: { host: 'crm.internal', port: 5432 },
      schema_cache: null,
      last_schema_refresh: null,
      created_at: expect.any(Date),
      is_active: true,
    });
    expect(await dataSources.findDataSourceById(a.db, created.id)).toEqual(created);
    expect(await dataSources.findDataSourcesByIds(a.db, [created.id])).toEqual([created]);

    const refreshed = new Date('2024-06-01T00:00:00Z');
    const updated = await dataSources.updateDataSource(a.db, created.id, {
      is_active: false,
      schema_cache: { tables: ['customers'] },
      last_schema_refresh: refreshed,
    });
    expect(updated).toEqual({ ...created, is_active: false, schema_cache: { tables: ['customers'] }, last_schema_refresh: refreshed });

    const active = await dataSources.pagesByWorkspaceIds(a.db, [home.id], { isActive: true }, {});
    const inactive = await dataSources.pagesByWorkspaceIds(a.db, [home.id], { isActive: false }, {});
    expect(active.get(home.id)).toEqual({ rows: [], hasNextPage: false, hasPreviousPage: false });
    // Lists leave out the cached source schema (read only when asked for).
    const { schema_cache: _cache, ...listed } = updated!;
    expect(inactive.get(home.id)).toEqual({ rows: [listed], hasNextPage: false, hasPreviousPage: false });
    expect(await dataSources.countsByWorkspaceIds(a.db, [home.id, NO_SUCH_ID], {})).toEqual(new Map([[home.id, 1], [NO_SUCH_ID, 0]]));

    expect(await dataSources.deleteDataSource(a.db, created.id)).toBe(true);
    expect(await dataSources.findDataSourceById(a.db, created.id)).toBeUndefined();
  });

  it('maps a missing workspace to NotFoundError', async () => {
    const err = await rejection(
      dataSources.insertDataSource(a.db, { workspace_id: NO_SUCH_ID, name: 'x', source_type: 'api', connection_config: {} }),
    );
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err).toMatchObject({ message: 'Workspace was not found' });
  });
});

describe('mapping DAO through a tenant handle', () => {
  const customers = { customer_id: { source: 'cust_id', transform: null } };

  it('creates, reads, updates at a version, moves status and deletes a mapping', async () => {
    const created = await mappings.insertMapping(a.db, {
      workspace_id: home.id,
      target_table: 'dim_customer',
      source_table: 'raw_customers',
      field_mappings: customers,
      decorators: [{ type: 'dedupe', key: 'customer_id' }],
    });
    expect(created).toEqual({
      id: UUID,
      workspace_id: home.id,
      target_table: 'dim_customer',
      source_table: 'raw_customers',
      field_mappings: customers,
      decorators: [{ type: 'dedupe', key: 'customer_id' }],
      cte_definitions: [],
      incremental: null,
      status: 'draft',
      version: 1,
      created_at: expect.any(Date),
      updated_at: expect.any(Date),
    });
    expect(await mappings.findMappingById(a.db, created.id)).toEqual(created);
    expect(await mappings.findMappingsByIds(a.db, [created.id])).toEqual([created]);

    const ctes = [{ name: 'recent', sql: 'select 1' }];
    const v2 = await mappings.updateMappingAtVersion(a.db, created.id, 1, { cte_definitions: ctes });
    expect(v2).toEqual({ ...created, cte_definitions: ctes, version: 2, updated_at: expect.any(Date) });

    expect(await mappings.updateMappingAtVersion(a.db, created.id, 1, { source_table: 'stale' })).toBeUndefined();
    expect((await mappings.findMappingById(a.db, created.id))?.source_table).toBe('raw_customers');

    expect(await mappings.updateMappingStatus(a.db, created.id, 'active', 'archived')).toBeUndefined();
    expect(await mappings.updateMappingStatus(a.db, created.id, 'draft', 'active')).toMatchObject({ status: 'active', version: 3 });

    expect(await mappings.deleteMapping(a.db, created.id)).toBe(true);
    expect(await mappings.findMappingById(a.db, created.id)).toBeUndefined();
  });

  it('filters by workspace, status, tables, target field and contained field mappings', async () => {
    const other = await workspaces.insertWorkspace(a.db, { name: 'Filters' });
    const base = { workspace_id: other.id, source_table: 'raw_orders' };
    const m1 = await mappings.insertMapping(a.db, { ...base, target_table: 'fct_orders', field_mappings: customers, status: 'active' });
    const m2 = await mappings.insertMapping(a.db, {
      ...base,
      target_table: 'fct_orders',
      field_mappings: { customer_id: { source: 'buyer', transform: null }, total: { source: 'amount', transform: 'round' } },
    });
    const m3 = await mappings.insertMapping(a.db, { ...base, source_table: 'raw_items', target_table: 'fct_items', field_mappings: {} });
    const ids = async (filter: mappings.MappingFilter) =>
      (await mappings.listMappings(a.db, { workspaceId: other.id, ...filter }, {})).rows.map((r) => r.id).sort();

    expect(await ids({})).toEqual([m1.id, m2.id, m3.id].sort());
    expect(await ids({ status: 'active' })).toEqual([m1.id]);
    expect(await ids({ sourceTable: 'raw_items' })).toEqual([m3.id]);
    expect(await ids({ targetTable: 'fct_orders' })).toEqual([m1.id, m2.id].sort());
    expect(await ids({ hasTargetField: 'customer_id' })).toEqual([m1.id, m2.id].sort());
    expect(await ids({ hasTargetField: 'total' })).toEqual([m2.id]);
    expect(await ids({ fieldMappingsContain: { targetField: 'customer_id', source: 'cust_id' } })).toEqual([m1.id]);
    expect(await ids({ hasTargetField: "x' or '1'='1" })).toEqual([]);
    expect(await mappings.countMappings(a.db, { workspaceId: other.id, hasTargetField: 'customer_id' })).toBe(2);
  });

  it('lists rows equal to the rows read by id, their JSONB parsed on first access', async () => {
    const ws = await workspaces.insertWorkspace(a.db, { name: 'Lazy JSON' });
    const stored = await mappings.insertMapping(a.db, {
      workspace_id: ws.id,
      target_table: 'dim_lazy',
      source_table: 'raw_lazy',
      field_mappings: { id: { source: 'id', transform: "trim(id) || 'é'" } },
      decorators: [{ type: 'pii', fields: ['email'] }],
      cte_definitions: [{ name: 'recent', sql: 'select 1' }],
    });
    const byId = await mappings.findMappingById(a.db, stored.id);
    // Nothing is parsed before it is read: a list that never shows the JSON pays nothing for it.
    const parse = jest.spyOn(JSON, 'parse');
    const parsedFieldMappings = () => parse.mock.calls.filter(([text]) => String(text).includes('trim(id)')).length;
    const [listed] = (await mappings.listMappings(a.db, { workspaceId: ws.id }, {})).rows;
    const paged = (await mappings.pagesByWorkspaceIds(a.db, [ws.id], {}, { first: 5 })).get(ws.id)!.rows[0]!;
    const counted = (await mappings.pagesByWorkspaceIds(a.db, [ws.id], {}, { first: 5, withTotalCount: true })).get(ws.id)!.rows[0]!;
    for (const row of [listed!, paged, counted]) {
      for (const column of ['field_mappings', 'decorators', 'cte_definitions'] as const) {
        expect(Object.getOwnPropertyDescriptor(row, column)?.get).toBeInstanceOf(Function);
      }
    }
    expect(parsedFieldMappings()).toBe(0);
    void paged.field_mappings;
    expect(parsedFieldMappings()).toBe(1);
    parse.mockRestore();
    for (const row of [listed!, paged, counted]) {
      expect(row).toEqual(byId);
      expect(JSON.parse(JSON.stringify(row))).toEqual(JSON.parse(JSON.stringify(byId)));
      expect({ ...row }).toEqual(byId);
      // parsed once: the same object on every read; assignable like any property
      expect(row.field_mappings).toBe(row.field_mappings);
      row.decorators = [];
      expect(row.decorators).toEqual([]);
    }
  });
});

describe('pipeline job DAO through a tenant handle', () => {
  it('creates, reads, filters, transitions and deletes jobs', async () => {
    const user = await insertUser(t.db, { organization_id: orgA.id, email: 'runner@a.test' });
    const created = await jobs.insertPipelineJob(a.db, { workspace_id: home.id, job_type: 'full_refresh', created_by: user.id, run_metadata: { rows: 0 } });
    expect(created).toEqual({
      id: UUID,
      workspace_id: home.id,
      job_type: 'full_refresh',
      status: 'pending',
      created_at: expect.any(Date),
      started_at: null,
      completed_at: null,
      error_message: null,
      run_metadata: { rows: 0 },
      created_by: user.id,
      mapping_ids: [],
      progress: 0,
      failure: null,
      retry_of: null,
    });
    expect(await jobs.findPipelineJobById(a.db, created.id)).toEqual(created);
    expect(await jobs.findPipelineJobsByIds(a.db, [created.id])).toEqual([created]);
    expect(await workspaces.countActiveJobsOfWorkspace(a.db, home.id)).toBe(1);

    const started = new Date('2024-07-01T10:00:00Z');
    const running = await jobs.transitionPipelineJob(a.db, created.id, ['pending'], { status: 'running', started_at: started });
    expect(running).toEqual({ ...created, status: 'running', started_at: started });
    expect(await jobs.transitionPipelineJob(a.db, created.id, ['pending'], { status: 'running' })).toBeUndefined();
    const done = await jobs.transitionPipelineJob(a.db, created.id, ['running'], { status: 'completed', run_metadata: { rows: 42 } });
    expect(done).toMatchObject({ status: 'completed', run_metadata: { rows: 42 } });

    expect((await jobs.listPipelineJobs(a.db, { workspaceId: home.id, status: 'completed' }, {})).rows).toEqual([done]);
    expect((await jobs.listPipelineJobs(a.db, { jobType: 'incremental' }, {})).rows).toEqual([]);
    expect(await jobs.countPipelineJobs(a.db, { workspaceId: home.id })).toBe(1);
    expect(await workspaces.countActiveJobsOfWorkspace(a.db, home.id)).toBe(0);

    expect(await workspaces.deleteWorkspaceWithContents(a.db, home.id)).toEqual({ deleted: true, hadSchedule: false });
    expect(await jobs.findPipelineJobById(a.db, created.id)).toBeUndefined();
  });
});

describe('tenant isolation at the DAO level', () => {
  it("organization A's handle neither sees nor changes organization B's rows", async () => {
    const secret = await workspaces.insertWorkspace(b.db, { name: 'B secret' });
    const bMapping = await mappings.insertMapping(b.db, { workspace_id: secret.id, target_table: 't', source_table: 's', field_mappings: {} });

    expect(await workspaces.findWorkspaceById(a.db, secret.id)).toBeUndefined();
    expect(await workspaces.findWorkspacesByIds(a.db, [secret.id])).toEqual([]);
    expect((await workspaces.listWorkspaces(a.db, { first: 100 })).rows.map((w) => w.id)).not.toContain(secret.id);
    expect(await mappings.findMappingById(a.db, bMapping.id)).toBeUndefined();
    expect(await workspaces.updateWorkspace(a.db, secret.id, { name: 'hijacked' })).toBeUndefined();
    expect(await mappings.updateMappingAtVersion(a.db, bMapping.id, 1, { status: 'archived' })).toBeUndefined();
    expect(await mappings.deleteMapping(a.db, bMapping.id)).toBe(false);
    expect(await workspaces.deleteWorkspace(a.db, secret.id)).toBe(false);

    expect(await workspaces.findWorkspaceById(b.db, secret.id)).toEqual(secret);
    expect(await mappings.findMappingById(b.db, bMapping.id)).toEqual(bMapping);
    expect((await workspaces.listWorkspaces(b.db, {})).rows).toEqual([secret]);
  });

  it("refuses a reference to another organization's workspace", async () => {
    const bWorkspace = await workspaces.insertWorkspace(b.db, { name: 'B only' });
    const err = await rejection(jobs.insertPipelineJob(a.db, { workspace_id: bWorkspace.id, job_type: 'incremental' }));
    expect(err).toBeInstanceOf(NotFoundError);
  });
});
