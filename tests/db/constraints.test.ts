import { sql } from 'kysely';
import { insertDataSource } from '../../src/data-sources/data-source.dao.js';
import type { DataSourceType } from '../../src/db/tables/data-sources.table.js';
import type { MappingStatus } from '../../src/db/tables/mappings.table.js';
import type { OrganizationRow } from '../../src/db/tables/organizations.table.js';
import type { JobStatus, JobType } from '../../src/db/tables/pipeline-jobs.table.js';
import type { UserRole } from '../../src/db/tables/users.table.js';
import type { WorkspaceRow } from '../../src/db/tables/workspaces.table.js';
import { ValidationError } from '../../src/errors.js';
import { insertPipelineJob } from '../../src/jobs/pipeline-job.dao.js';
import { insertMapping, updateMappingAtVersion } from '../../src/mappings/mapping.dao.js';
import { updateOrganization } from '../../src/organizations/organization.dao.js';
import type { Tenant } from '../../src/tenancy/tenant.js';
import { insertUser } from '../../src/users/user.dao.js';
import { insertWorkspace, updateWorkspace } from '../../src/workspaces/workspace.dao.js';
import { createTestDb, provisionOrganization, rejection, tenantOf, type TestDb } from '../support/index.js';

let t: TestDb;
let org: OrganizationRow;
let tenant: Tenant;
let workspace: WorkspaceRow;
const LONG_AGO = new Date('2000-01-01T00:00:00Z');

beforeAll(async () => {
  t = await createTestDb();
  org = await provisionOrganization(t, 'acme');
  tenant = tenantOf(t.db, org);
  workspace = await insertWorkspace(tenant.db, { name: 'Warehouse' });
});
afterAll(() => t.close());

async function lookupValues(table: string): Promise<string[]> {
  // test: a closed value set
  const { rows } = await sql<{ value: string }>`select value from ${sql.table(`datalinx_platform.${table}`)} order by value`.execute(t.db);
  return rows.map((r) => r.value);
}

async function addLookupValue(table: string, value: string): Promise<void> {
  await sql`insert into ${sql.table(`datalinx_platform.${table}`)} (value) values (${value})`.execute(t.db);
}

async function enumValues(type: string): Promise<string[]> {
  // test: the values of a value-set enum, in declaration order
  const { rows } = await sql<{ value: string }>`
    select e.enumlabel as value from pg_enum e join pg_type t on t.oid = e.enumtypid
    join pg_namespace n on n.oid = t.typnamespace
    where n.nspname = 'datalinx_platform' and t.typname = ${type} order by e.enumsortorder`.execute(t.db);
  return rows.map((r) => r.value);
}

async function addEnumValue(type: string, value: string): Promise<void> {
  await sql.raw(`ALTER TYPE datalinx_platform.${type} ADD VALUE '${value}'`).execute(t.db);
}

async function expectValidationError(run: Promise<unknown>, message: string, field: string): Promise<void> {
  const err = await rejection(run);
  expect(err).toBeInstanceOf(ValidationError);
  expect(err).toMatchObject({ message, path: [field] });
}

describe('updated_at is set by the database on every UPDATE', () => {
  // The patch asks for a date in the past: only the trigger can move it to now.
  it('workspaces', async () => {
    const before = await insertWorkspace(tenant.db, { name: 'Before' });
    const after = await updateWorkspace(tenant.db, before.id, { name: 'After', updated_at: LONG_AGO });
    expect(after?.name).toBe('After');
    expect(after!.updated_at.getTime()).toBeGreaterThan(before.updated_at.getTime());
    expect(after!.created_at).toEqual(before.created_at);
  });

  it('mappings', async () => {
    const before = await insertMapping(tenant.db, {
      workspace_id: workspace.id,
      target_table: 'customers',
      source_table: 'raw_customers',
      field_mappings: { customer_id: { source: 'cust_id', transform: null } },
    });
    const after = await updateMappingAtVersion(tenant.db, before.id, 1, { source_table: 'crm_customers', updated_at: LONG_AGO });
    expect(after).toMatchObject({ source_table: 'crm_customers', version: 2 });
    expect(after!.updated_at.getTime()).toBeGreaterThan(before.updated_at.getTime());
  });

  it('organizations', async () => {
    const before = await provisionOrganization(t, 'touched');
    const after = await updateOrganization(t.db, before.id, { name: 'Touched Inc', updated_at: LONG_AGO });
    expect(after?.name).toBe('Touched Inc');
    expect(after!.updated_at.getTime()).toBeGreaterThan(before.updated_at.getTime());
  });
});

describe('closed value sets are enforced by the database', () => {
  it('holds the roles in a lookup table and the tenant value sets in enum types', async () => {
    expect(await lookupValues('user_roles')).toEqual(['admin', 'editor', 'owner', 'viewer']);
    expect(await enumValues('data_source_type')).toEqual(['postgresql', 'snowflake', 'api', 'file']);
    expect(await enumValues('mapping_status')).toEqual(['draft', 'active', 'archived']);
    expect(await enumValues('job_type')).toEqual(['full_refresh', 'incremental', 'mapping_test']);
    expect(await enumValues('job_status')).toEqual(['pending', 'running', 'completed', 'failed', 'cancelled']);
  });

  it('rejects an unknown job type with a ValidationError', async () => {
    const run = insertPipelineJob(tenant.db, { workspace_id: workspace.id, job_type: 'teleport' as JobType });
    await expectValidationError(run, 'Unknown job type', 'jobType');
  });

  it('rejects an unknown job status with a ValidationError', async () => {
    const run = insertPipelineJob(tenant.db, { workspace_id: workspace.id, job_type: 'incremental', status: 'sleeping' as JobStatus });
    await expectValidationError(run, 'Unknown job status', 'status');
  });

  it('rejects an unknown source type with a ValidationError', async () => {
    const run = insertDataSource(tenant.db, {
      workspace_id: workspace.id,
      name: 'Mainframe',
      source_type: 'cobol' as DataSourceType,
      connection_config: {},
    });
    await expectValidationError(run, 'Unknown source type', 'sourceType');
  });

  it('rejects an unknown mapping status with a ValidationError', async () => {
    const run = insertMapping(tenant.db, {
      workspace_id: workspace.id,
      target_table: 't',
      source_table: 's',
      field_mappings: {},
      status: 'published' as MappingStatus,
    });
    await expectValidationError(run, 'Unknown mapping status', 'status');
  });

  it('rejects an unknown role with a ValidationError', async () => {
    const run = insertUser(t.db, { organization_id: org.id, email: 'root@acme.test', role: 'superuser' as UserRole });
    await expectValidationError(run, 'Unknown role', 'role');
  });

  it('rejects an unknown value written with plain SQL too (a CHECK, not application code)', async () => {
    const run = sql`insert into ${sql.table(`${org.schema_name}.pipeline_jobs`)} (workspace_id, job_type)
      values (${workspace.id}, 'teleport')`.execute(t.db);
    await expect(run).rejects.toMatchObject({ code: '23514', constraint: 'pipeline_jobs_job_type_check' });
  });
});

describe('closed value sets extend additively: one statement for every tenant', () => {
  it('accepts a new job type and job status in every organization after ALTER TYPE … ADD VALUE', async () => {
    const other = tenantOf(t.db, await provisionOrganization(t, 'other'));
    const otherWorkspace = await insertWorkspace(other.db, { name: 'Elsewhere' });
    await addEnumValue('job_type', 'backfill');
    await addEnumValue('job_status', 'paused');
    const elsewhere = await insertPipelineJob(other.db, { workspace_id: otherWorkspace.id, job_type: 'backfill' as JobType });
    expect(elsewhere).toMatchObject({ job_type: 'backfill', status: 'pending' });
    const job = await insertPipelineJob(tenant.db, {
      workspace_id: workspace.id,
      job_type: 'backfill' as JobType,
      status: 'paused' as JobStatus,
    });
    expect(job).toMatchObject({ job_type: 'backfill', status: 'paused' });
  });

  it('accepts a new source type', async () => {
    await addEnumValue('data_source_type', 'bigquery');
    const source = await insertDataSource(tenant.db, {
      workspace_id: workspace.id,
      name: 'Analytics',
      source_type: 'bigquery' as DataSourceType,
      connection_config: { project: 'p' },
    });
    expect(source).toMatchObject({ source_type: 'bigquery', connection_config: { project: 'p' } });
  });

  it('accepts a new role', async () => {
    await addLookupValue('user_roles', 'auditor');
    const user = await insertUser(t.db, { organization_id: org.id, email: 'Auditor@Acme.test', role: 'auditor' as UserRole });
    expect(user).toMatchObject({ email: 'auditor@acme.test', role: 'auditor' });
  });
});
