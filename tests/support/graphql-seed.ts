import { sql } from 'kysely';
import type { TenantDb } from '../../src/db/database.js';
import { Tenant } from '../../src/tenancy/tenant.js';
import type { GraphQLResponse, SeededOrg, TestServer } from './test-server.js';

/** Selects what every member of a mutation's result union can say about itself as an error. */
export const ERROR_FIELDS = `... on Error { __typename message code }
  ... on ValidationError { path }
  ... on NotFoundError { entityType }
  ... on ConflictError { currentVersion currentStatus }`;

/** A Relay global ID, built the way the API builds them. */
export function globalId(typename: string, id: string): string {
  return Buffer.from(`${typename}:${id}`).toString('base64url');
}

/** The database id behind a global ID. */
export function localId(id: string): string {
  return Buffer.from(id, 'base64url').toString('utf8').split(':')[1]!;
}

export const NO_SUCH_UUID = '00000000-0000-4000-8000-000000000000';

/** The organization's schema-scoped tables, for arranging rows and reading them back. */
export function tenantDbOf(server: TestServer, org: SeededOrg): TenantDb {
  return new Tenant(server.db.db, org).db;
}

/** Runs a query that must succeed; fails the test with the errors otherwise. */
export async function gqlData<T = Record<string, unknown>>(
  server: TestServer,
  query: string,
  variables: Record<string, unknown> | undefined,
  token: string,
): Promise<T> {
  const res = await server.gql<T>(query, variables, token);
  if (res.body.errors?.length || res.status !== 200) {
    throw new Error(`GraphQL request failed (${res.status}): ${JSON.stringify(res.body.errors)}`);
  }
  return res.body.data as T;
}

/** POSTs a GraphQL request and returns the body as sent, for checks on the raw text. */
export async function rawGql(server: TestServer, query: string, variables: Record<string, unknown>, token?: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, text: await res.text() };
}

/** Runs a mutation and returns its (only) result field: a payload or a typed error. */
export async function mutate<T = Record<string, unknown>>(
  server: TestServer,
  query: string,
  variables: Record<string, unknown>,
  token: string,
): Promise<T> {
  const data = await gqlData<Record<string, T>>(server, query, variables, token);
  const result = Object.values(data)[0]!;
  // Every typed error any test sees is also checked for leaked internals.
  if (typeof result === 'object' && result !== null && 'code' in result) expect(JSON.stringify(result)).not.toMatch(LEAK_PATTERN);
  return result;
}

/** The errors of a response, reduced to what a client acts on. */
export function errorsOf(res: GraphQLResponse<unknown>): { message: string; code: unknown; path?: unknown }[] {
  expect(JSON.stringify(res.body.errors ?? [])).not.toMatch(LEAK_PATTERN);
  return (res.body.errors ?? []).map((e) => ({
    message: e.message,
    code: e.extensions?.code,
    ...(e.extensions?.path ? { path: e.extensions.path } : {}),
  }));
}

const CREATE_WORKSPACE = `mutation($input: CreateWorkspaceInput!) {
  createWorkspace(input: $input) { ... on CreateWorkspacePayload { workspace { id name } } ${ERROR_FIELDS} }
}`;

/** Creates a workspace through the API and returns its global ID. */
export async function createWorkspace(server: TestServer, token: string, name: string, extra: Record<string, unknown> = {}): Promise<string> {
  const r = await mutate<{ workspace?: { id: string } }>(server, CREATE_WORKSPACE, { input: { name, ...extra } }, token);
  if (!r.workspace) throw new Error(`createWorkspace failed: ${JSON.stringify(r)}`);
  return r.workspace.id;
}

const CREATE_MAPPING = `mutation($input: CreateMappingInput!) {
  createMapping(input: $input) { ... on CreateMappingPayload { mapping { id version } } ${ERROR_FIELDS} }
}`;

/** Creates a mapping through the API and returns its global ID. */
export async function createMapping(
  server: TestServer,
  token: string,
  workspaceId: string,
  input: Partial<{ targetTable: string; sourceTable: string; fieldMappings: unknown[]; decorators: unknown[]; cteDefinitions: unknown[] }> = {},
): Promise<string> {
  const full = {
    workspaceId,
    targetTable: 'dim_customer',
    sourceTable: 'customers',
    fieldMappings: [{ targetField: 'customer_id', source: 'cust_id' }],
    ...input,
  };
  const r = await mutate<{ mapping?: { id: string } }>(server, CREATE_MAPPING, { input: full }, token);
  if (!r.mapping) throw new Error(`createMapping failed: ${JSON.stringify(r)}`);
  return r.mapping.id;
}

const CREATE_JOB = `mutation($workspaceId: ID!, $jobType: JobType!) {
  createPipelineJob(workspaceId: $workspaceId, jobType: $jobType) { ... on CreatePipelineJobPayload { pipelineJob { id } } ${ERROR_FIELDS} }
}`;

/** Queues a job through the API and returns its global ID. */
export async function createJob(server: TestServer, token: string, workspaceId: string, jobType = 'INCREMENTAL'): Promise<string> {
  const r = await mutate<{ pipelineJob?: { id: string } }>(server, CREATE_JOB, { workspaceId, jobType }, token);
  if (!r.pipelineJob) throw new Error(`createPipelineJob failed: ${JSON.stringify(r)}`);
  return r.pipelineJob.id;
}

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

/** `perWorkspace` mappings for each workspace given, one second apart, in one statement. */
export async function insertMappings(db: TenantDb, workspaceIds: readonly string[], perWorkspace: number): Promise<void> {
  await db
    .insertInto('mappings')
    .columns(['workspace_id', 'target_table', 'source_table', 'field_mappings', 'created_at'] as never)
    // test seed: mappings per workspace
    .expression(
      sql`select w.id, 'target_' || g, 'source_' || g,
                 jsonb_build_object('id', jsonb_build_object('source', 'src_id', 'transform', null)),
                 now() - g * interval '1 second'
          from unnest(${[...workspaceIds]}::uuid[]) as w(id), generate_series(1, ${perWorkspace}) g`,
    )
    .execute();
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

/** Any ISO-8601 UTC timestamp, as the DateTime scalar writes them. */
export const ISO_DATE = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);

/**
 * What must never reach a client: driver or SQL text, stack frames. Word
 * boundaries keep base64 IDs (which may hold "pg") from matching.
 */
export const LEAK_PATTERN = /\bpg\b|\brelation\b|\bsyntax\b|\bselect\b[\s\S]*\bfrom\b|\binsert into\b|\bnode_modules\b|\.[jt]s:\d+|\bat \w+ \(|stacktrace|datalinx_platform|\borg_[a-z0-9_]+\b/i;
