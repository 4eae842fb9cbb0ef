import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { hashPassword } from '../../src/auth/passwords.js';
import { systemScope } from '../../src/auth/scope.js';
import { platform, type PlatformDatabase, type TenantDb } from '../../src/db/database.js';
import type { MigrationFile } from '../../src/db/migration-files.js';
import type { OrganizationRow } from '../../src/db/tables/organizations.table.js';
import type { UserRole, UserRow } from '../../src/db/tables/users.table.js';
import type { TenantSnapshot } from '../../src/db/tenant-snapshot.js';
import { addFieldSourcesOf } from '../../src/mappings/mapping-field-source.dao.js';
import { createOrganization } from '../../src/organizations/organization.manager.js';
import { issueTokens } from '../../src/sessions/session.manager.js';
import { Tenant, type TenantOrganization } from '../../src/tenancy/tenant.js';
import { insertUser } from '../../src/users/user.dao.js';
import { ERROR_FIELDS, globalId, localId, mutate } from './graphql.js';
import type { TestServer } from './test-server.js';

/**
 * Building scenarios: organizations (bare, or with a user of each role),
 * users, and workspaces, data sources, mappings, jobs and service accounts
 * created through the API as their owners would; bulk rows for paging tests.
 */

let counter = 0;
/** A name no other test used, e.g. for emails and slugs (lowercase, digits, hyphens). */
export const unique = (prefix: string) => `${prefix}-${process.pid}-${++counter}-${randomUUID().slice(0, 6)}`;

/** A password that meets the policy (12 to 128 characters). */
export const PASSWORD = 'correct horse battery staple';

// ---- organizations ------------------------------------------------------------------------------

export interface Provisioning {
  db: Kysely<PlatformDatabase>;
  migrations: readonly MigrationFile[];
  tenantSnapshot?: TenantSnapshot | null;
}

/** The operator's scope (as the admin CLI has it) over a database. */
export const operatorScope = (system: Provisioning) => systemScope({ system }, 'test');

/** An organization with its schema and no users, created the way the admin CLI does it. */
export function provisionOrganization(deps: Provisioning, slug = unique('org'), name = `Org ${slug}`): Promise<OrganizationRow> {
  return createOrganization(operatorScope(deps), { name, slug });
}

/** Several organizations, one after the other, returned in the order of `slugs`. */
export async function provisionOrganizations(deps: Provisioning, slugs: readonly string[]): Promise<OrganizationRow[]> {
  const orgs: OrganizationRow[] = [];
  for (const slug of slugs) orgs.push(await provisionOrganization(deps, slug));
  return orgs;
}

/** An access token of a real session of the user (access tokens die with their session). */
export async function sessionToken(server: Pick<TestServer, 'services' | 'db'>, user: UserRow): Promise<string> {
  return (await issueTokens(systemScope(server.services, 'test'), server.db.db, user)).accessToken;
}

export interface SeededOrg {
  id: string;
  slug: string;
  schema_name: string;
  users: Record<UserRole, { id: string; email: string; token: string }>;
}

/** An organization with one user of each role (no passwords) and an access token for each. */
export async function seedOrganization(server: TestServer, slug = unique('org')): Promise<SeededOrg> {
  const org = await provisionOrganization(server.db, slug);
  const users = {} as SeededOrg['users'];
  for (const role of ['viewer', 'editor', 'admin', 'owner'] as const) {
    const email = `${role}@${slug}.test`;
    const user = await insertUser(server.db.db, { organization_id: org.id, email, role, display_name: `${role} of ${slug}` });
    users[role] = { id: user.id, email, token: await sessionToken(server, user) };
  }
  return { id: org.id, slug: org.slug, schema_name: org.schema_name, users };
}

/** The organization's handle, as a request gets it. */
export function tenantOf<O extends TenantOrganization>(db: Kysely<PlatformDatabase>, org: O): Tenant<O> {
  return new Tenant(db, org);
}

/** The organization's schema-scoped tables, for arranging rows and reading them back. */
export function tenantDbOf(server: TestServer, org: SeededOrg): TenantDb {
  return tenantOf(server.db.db, org).db;
}

// ---- users --------------------------------------------------------------------------------------

/** A user of the organization, inserted directly; with a password when given. */
export async function newUser(server: TestServer, org: SeededOrg, role: UserRole = 'editor', password?: string) {
  const email = `${unique('user')}@example.test`;
  const user = await insertUser(server.db.db, {
    organization_id: org.id,
    email,
    role,
    display_name: 'New user',
    password_hash: password ? await hashPassword(password) : null,
  });
  return { id: user.id, globalId: globalId('User', user.id), email, token: await sessionToken(server, user) };
}

/** Gives a user a password, as acceptInvitation would. */
export async function setPassword(server: TestServer, userId: string, password = PASSWORD): Promise<void> {
  await platform(server.db.db).updateTable('users').set({ password_hash: await hashPassword(password) }).where('id', '=', userId).execute();
}

export function userRow(server: TestServer, id: string): Promise<UserRow> {
  return platform(server.db.db).selectFrom('users').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

// ---- entities through the API -------------------------------------------------------------------

/** Runs a create mutation and returns the global ID of what it created; fails the test on a typed error. */
async function created(server: TestServer, token: string, document: string, variables: Record<string, unknown>): Promise<string> {
  const r = await mutate<Record<string, unknown>>(server, document, variables, token);
  const node = Object.values(r).find((v): v is { id: string } => typeof v === 'object' && v !== null && 'id' in v);
  if (!node) throw new Error(`creating failed: ${JSON.stringify(r)}`);
  return node.id;
}

/** Creates a workspace through the API and returns its global ID. */
export const createWorkspace = (server: TestServer, token: string, name = unique('ws'), extra: Record<string, unknown> = {}) =>
  created(server, token, `mutation($input: CreateWorkspaceInput!) {
    createWorkspace(input: $input) { ... on CreateWorkspacePayload { workspace { id } } ${ERROR_FIELDS} }
  }`, { input: { name, ...extra } });

export const POSTGRES_CONFIG = { postgresql: { host: 'db.example.com', port: 5432, database: 'crm', user: 'reader', sslMode: 'require', password: 'pg-password' } };

/** Creates a data source through the API and returns its global ID. */
export const createDataSource = (server: TestServer, token: string, workspaceId: string, connectionConfig: object = POSTGRES_CONFIG, name = unique('ds')) =>
  created(server, token, `mutation($input: CreateDataSourceInput!) {
    createDataSource(input: $input) { ... on CreateDataSourcePayload { dataSource { id } } ${ERROR_FIELDS} }
  }`, { input: { workspaceId, name, connectionConfig } });

export interface MappingInput {
  targetTable: string;
  sourceTable: string;
  fieldMappings: unknown[];
  decorators: unknown[];
  cteDefinitions: unknown[];
  incremental: { cursorColumn: string; keyColumns: string[] } | null;
}

/** Sets a workspace's warehouse through updateWorkspace (the input's `warehouse` shape) and returns the workspace's global ID. */
export const setWarehouse = (server: TestServer, token: string, workspaceId: string, warehouse: Record<string, unknown>) =>
  created(server, token, `mutation($input: UpdateWorkspaceInput!) {
    updateWorkspace(input: $input) { ... on UpdateWorkspacePayload { workspace { id } } ${ERROR_FIELDS} }
  }`, { input: { id: workspaceId, warehouse } });

/** Creates a mapping through the API (customers → dim_customer unless `input` says otherwise) and returns its global ID. */
export const createMapping = (server: TestServer, token: string, workspaceId: string, input: Partial<MappingInput> = {}) =>
  created(server, token, `mutation($input: CreateMappingInput!) {
    createMapping(input: $input) { ... on CreateMappingPayload { mapping { id } } ${ERROR_FIELDS} }
  }`, { input: { workspaceId, targetTable: 'dim_customer', sourceTable: 'customers', fieldMappings: [{ targetField: 'customer_id', source: 'cust_id' }], ...input } });

/** Activates a mapping through the API (draft → active). */
export const activateMapping = (server: TestServer, token: string, mappingId: string) =>
  created(server, token, `mutation($id: ID!) {
    setMappingStatus(id: $id, status: ACTIVE) { ... on SetMappingStatusPayload { mapping { id } } ${ERROR_FIELDS} }
  }`, { id: mappingId });

/** An active mapping of the workspace, created through the API. */
export async function createActiveMapping(server: TestServer, token: string, workspaceId: string, input: Partial<MappingInput> = {}): Promise<string> {
  const id = await createMapping(server, token, workspaceId, input);
  await activateMapping(server, token, id);
  return id;
}

/**
 * Queues a job through the API and returns its global ID. Without `mappingIds`
 * it first creates an active mapping of its own, so several jobs of one
 * workspace never conflict.
 */
export async function createJob(server: TestServer, token: string, workspaceId: string, jobType = 'MAPPING_TEST', mappingIds?: string[]): Promise<string> {
  const ids = mappingIds ?? [await createActiveMapping(server, token, workspaceId)];
  return created(server, token, `mutation($input: CreatePipelineJobInput!) {
    createPipelineJob(input: $input) { ... on CreatePipelineJobPayload { pipelineJob { id } } ${ERROR_FIELDS} }
  }`, { input: { workspaceId, jobType, mappingIds: ids } });
}

/** Creates a service account through the API: its API key, global and database ids, and the key's id. */
export async function createServiceAccount(server: TestServer, adminToken: string, role = 'EDITOR') {
  const r = await mutate<{ apiKey?: string; serviceAccount?: { id: string; keys: { id: string }[] } }>(
    server,
    `mutation($input: CreateServiceAccountInput!) { createServiceAccount(input: $input) { ... on ApiKeyPayload { apiKey serviceAccount { id keys { id } } } ${ERROR_FIELDS} } }`,
    { input: { name: unique('robot'), role } },
    adminToken,
  );
  if (!r.apiKey || !r.serviceAccount) throw new Error(`createServiceAccount failed: ${JSON.stringify(r)}`);
  return { apiKey: r.apiKey, globalId: r.serviceAccount.id, id: localId(r.serviceAccount.id), keyId: r.serviceAccount.keys[0]!.id };
}

// ---- bulk rows ----------------------------------------------------------------------------------

/** Workspaces inserted in one statement, one minute apart; their ids, newest first. */
export async function insertWorkspaces(db: TenantDb, count: number, prefix = 'ws'): Promise<string[]> {
  const rows = await db
    .insertInto('workspaces')
    .columns(['name', 'created_at'] as never)
    // test seed: workspaces with strictly decreasing created_at
    .expression(sql`select ${prefix} || '-' || lpad(g::text, 3, '0'), now() - g * interval '1 minute' from generate_series(1, ${count}) g`)
    .returning(['id', 'created_at'])
    .execute();
  return rows.sort((a, b) => b.created_at.getTime() - a.created_at.getTime()).map((r) => r.id);
}

/** `perWorkspace` mappings for each workspace given, one second apart, in one statement (and their mapping_field_sources rows in another). */
export async function insertMappings(db: TenantDb, workspaceIds: readonly string[], perWorkspace: number): Promise<void> {
  const rows = await db
    .insertInto('mappings')
    .columns(['workspace_id', 'target_table', 'source_table', 'field_mappings', 'created_at'] as never)
    // test seed: mappings per workspace
    .expression(
      sql`select w.id, 'target_' || g, 'source_' || g,
                 jsonb_build_object('id', jsonb_build_object('source', 'src_id', 'transform', null)),
                 now() - g * interval '1 second'
          from unnest(${[...workspaceIds]}::uuid[]) as w(id), generate_series(1, ${perWorkspace}) g`,
    )
    .returning('id')
    .execute();
  await addFieldSourcesOf(db, rows.map((r) => r.id));
}

/** `perWorkspace` completed jobs for each workspace given, created by `userId`, in one statement. */
export async function insertJobs(db: TenantDb, workspaceIds: readonly string[], perWorkspace: number, userId: string): Promise<void> {
  await db
    .insertInto('pipeline_jobs')
    .columns(['workspace_id', 'job_type', 'status', 'created_by', 'created_at'] as never)
    // test seed: finished jobs per workspace
    .expression(
      sql`select w.id, 'incremental', 'completed', ${userId}::uuid, now() - g * interval '1 second'
          from unnest(${[...workspaceIds]}::uuid[]) as w(id), generate_series(1, ${perWorkspace}) g`,
    )
    .execute();
}

