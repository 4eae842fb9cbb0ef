import { sql } from 'kysely';
import {
  createActiveMapping,
  createJob,
  createMapping,
  createWorkspace,
  ENTITY_ERROR_FIELDS,
  globalId,
  gqlData,
  ISO_DATE,
  localId,
  mutate,
  NO_SUCH_UUID,
  setWarehouse,
  tenantDbOf,
  useTestApi,
} from '../support/index.js';

const { server, org } = useTestApi();
let workspaceId: string;

beforeAll(async () => {
  workspaceId = await createWorkspace(server, org.users.editor.token, 'Pipelines');
});

const JOB = `id jobType status createdAt startedAt completedAt errorMessage
  runMetadata { rowsProcessed rowsFailed durationMs warehouseQueryId cancelledBy extra }
  workspace { id name }
  createdBy { id email }`;
const CREATE = `mutation($input: CreatePipelineJobInput!) {
  createPipelineJob(input: $input) { __typename ... on CreatePipelineJobPayload { pipelineJob { ${JOB} } } ${ENTITY_ERROR_FIELDS} }
}`;
const CANCEL = `mutation($id: ID!) {
  cancelPipelineJob(id: $id) { __typename ... on CancelPipelineJobPayload { pipelineJob { id status completedAt runMetadata { cancelledBy } } } ${ENTITY_ERROR_FIELDS} }
}`;
const GET = `query($id: ID!) { pipelineJob(id: $id) { ${JOB} } }`;

const NO_METADATA = { rowsProcessed: null, rowsFailed: null, durationMs: null, warehouseQueryId: null, cancelledBy: null, extra: {} };

/** A job row as a runner would leave it, written straight to the table. */
async function seedJob(row: { status: 'pending' | 'running' | 'completed' | 'failed'; run_metadata?: Record<string, unknown>; created_by?: string | null; error_message?: string }) {
  const job = await tenantDbOf(server, org)
    .insertInto('pipeline_jobs')
    .values({ workspace_id: localId(workspaceId), job_type: 'full_refresh', ...row, run_metadata: JSON.stringify(row.run_metadata ?? {}) })
    .returning('id')
    .executeTakeFirstOrThrow();
  return globalId('PipelineJob', job.id);
}

describe('createPipelineJob', () => {
  it.each(['editor', 'owner'] as const)('queues a pending job created by the caller (%s)', async (role) => {
    const user = org.users[role];
    const mappingId = await createActiveMapping(server, user.token, workspaceId);
    const result = await mutate(server, CREATE, { input: { workspaceId, jobType: 'MAPPING_TEST', mappingIds: [mappingId] } }, user.token);
    expect(result).toEqual({
      __typename: 'CreatePipelineJobPayload',
      pipelineJob: {
        id: expect.any(String),
        jobType: 'MAPPING_TEST',
        status: 'PENDING',
        createdAt: ISO_DATE,
        startedAt: null,
        completedAt: null,
        errorMessage: null,
        runMetadata: NO_METADATA,
        workspace: { id: workspaceId, name: 'Pipelines' },
        createdBy: { id: globalId('User', user.id), email: user.email },
      },
    });
  });

  it('answers an unknown workspace with a NotFoundError', async () => {
    expect(await mutate(server, CREATE, { input: { workspaceId: globalId('Workspace', NO_SUCH_UUID), jobType: 'INCREMENTAL' } }, org.users.editor.token)).toEqual({
      __typename: 'NotFoundError',
      code: 'NOT_FOUND',
      entityType: 'Workspace',
      message: `Workspace ${NO_SUCH_UUID} was not found`,
    });
  });
});

describe('createPipelineJob refusals', () => {
  it('runs every active mapping by default, and refuses a workspace with none', async () => {
    const ws = await createWorkspace(server, org.users.editor.token);
    await createMapping(server, org.users.editor.token, ws); // a draft: never run
    expect(await mutate(server, CREATE, { input: { workspaceId: ws, jobType: 'MAPPING_TEST' } }, org.users.editor.token)).toEqual({
      __typename: 'ValidationError',
      code: 'VALIDATION',
      message: 'The workspace has no active mapping to run',
      path: ['mappingIds'],
    });
    const a = await createActiveMapping(server, org.users.editor.token, ws);
    const b = await createActiveMapping(server, org.users.editor.token, ws, { targetTable: 'dim_other' });
    const job = await mutate<{ pipelineJob: { id: string } }>(server, CREATE, { input: { workspaceId: ws, jobType: 'MAPPING_TEST' } }, org.users.editor.token);
    const row = await tenantDbOf(server, org).selectFrom('pipeline_jobs').select('mapping_ids').where('id', '=', localId(job.pipelineJob.id)).executeTakeFirstOrThrow();
    expect([...row.mapping_ids].sort()).toEqual([localId(a), localId(b)].sort());
  });

  it('refuses a second run of a mapping that has a pending job, naming the mapping; the queue holds one message', async () => {
    const ws = await createWorkspace(server, org.users.editor.token);
    const mappingId = await createActiveMapping(server, org.users.editor.token, ws, { targetTable: 'dim_busy' });
    const first = await createJob(server, org.users.editor.token, ws, 'MAPPING_TEST', [mappingId]);
    expect(await mutate(server, CREATE, { input: { workspaceId: ws, jobType: 'MAPPING_TEST', mappingIds: [mappingId] } }, org.users.editor.token)).toEqual({
      __typename: 'ConflictError',
      code: 'CONFLICT',
      message: 'Mapping dim_busy already has a pending or running job',
      currentVersion: null,
      currentStatus: null,
    });
    const queued = await sql<{ n: number }>`select count(*)::int as n from datalinx_queue.job where id = ${localId(first)}::uuid`.execute(server.db.db);
    expect(queued.rows[0]!.n).toBe(1);
  });

  it.each(['FULL_REFRESH', 'INCREMENTAL'])('refuses a %s job in a workspace without a warehouse, writing nothing', async (jobType) => {
    const ws = await createWorkspace(server, org.users.editor.token);
    const mappingId = await createActiveMapping(server, org.users.editor.token, ws, { incremental: { cursorColumn: 'customer_id', keyColumns: ['customer_id'] } });
    expect(await mutate(server, CREATE, { input: { workspaceId: ws, jobType, mappingIds: [mappingId] } }, org.users.editor.token)).toEqual({
      __typename: 'ValidationError',
      code: 'VALIDATION',
      message: `The workspace has no warehouse to load into: set one with updateWorkspace before running ${jobType} jobs`,
      path: ['jobType'],
    });
    expect(await tenantDbOf(server, org).selectFrom('pipeline_jobs').select('id').where('workspace_id', '=', localId(ws)).execute()).toEqual([]);
  });

  it('refuses an INCREMENTAL job for a mapping without incremental settings; a FULL_REFRESH of it is queued', async () => {
    const ws = await createWorkspace(server, org.users.editor.token);
    await setWarehouse(server, org.users.editor.token, ws, {
      dialect: 'POSTGRESQL',
      targetSchema: 'analytics',
      connectionConfig: { postgresql: { host: 'wh.example.com', database: 'dwh', user: 'loader', password: 'wh-pw', sslMode: 'require' } },
    });
    const mappingId = await createActiveMapping(server, org.users.editor.token, ws, { targetTable: 'dim_plain' });
    expect(await mutate(server, CREATE, { input: { workspaceId: ws, jobType: 'INCREMENTAL', mappingIds: [mappingId] } }, org.users.editor.token)).toEqual({
      __typename: 'ValidationError',
      code: 'VALIDATION',
      message: 'Mapping dim_plain has no incremental settings (cursor column and key): set them with updateMapping, or run a FULL_REFRESH',
      path: ['mappingIds'],
    });
    expect(await mutate(server, CREATE, { input: { workspaceId: ws, jobType: 'FULL_REFRESH', mappingIds: [mappingId] } }, org.users.editor.token)).toMatchObject({
      __typename: 'CreatePipelineJobPayload',
      pipelineJob: { jobType: 'FULL_REFRESH', status: 'PENDING' },
    });
  });

  it('refuses a named mapping that is not active', async () => {
    const ws = await createWorkspace(server, org.users.editor.token);
    const draft = await createMapping(server, org.users.editor.token, ws, { targetTable: 'dim_draft' });
    expect(await mutate(server, CREATE, { input: { workspaceId: ws, jobType: 'MAPPING_TEST', mappingIds: [draft] } }, org.users.editor.token)).toEqual({
      __typename: 'ValidationError',
      code: 'VALIDATION',
      message: 'Mapping dim_draft is draft, not active',
      path: ['mappingIds'],
    });
  });
});

describe('retryPipelineJob', () => {
  it('starts a new job linked to a cancelled one, with its mappings; a pending job cannot be retried', async () => {
    const id = await createJob(server, org.users.editor.token, workspaceId);
    const RETRY = `mutation($id: ID!) { retryPipelineJob(id: $id) { __typename ... on RetryPipelineJobPayload { pipelineJob { status retryOf { id } mappings { id } } } ${ENTITY_ERROR_FIELDS} } }`;
    expect(await mutate(server, RETRY, { id }, org.users.editor.token)).toEqual({
      __typename: 'ConflictError',
      code: 'CONFLICT',
      message: 'A pending job cannot be retried; only failed or cancelled ones',
      currentVersion: null,
      currentStatus: 'PENDING',
    });
    await mutate(server, CANCEL, { id }, org.users.editor.token);
    const original = await gqlData<{ pipelineJob: { mappings: { id: string }[]; failure: unknown } }>(server, 'query($id: ID!) { pipelineJob(id: $id) { mappings { id } failure { origin type retryable message } } }', { id }, org.users.viewer.token);
    expect(original.pipelineJob.failure).toEqual({ origin: 'PLATFORM', type: 'CANCELLED', retryable: false, message: 'cancelled by a user' });
    expect(await mutate(server, RETRY, { id }, org.users.editor.token)).toEqual({
      __typename: 'RetryPipelineJobPayload',
      pipelineJob: { status: 'PENDING', retryOf: { id }, mappings: original.pipelineJob.mappings },
    });
  });

  it('is refused to a viewer', async () => {
    const id = await createJob(server, org.users.editor.token, workspaceId);
    await mutate(server, CANCEL, { id }, org.users.editor.token);
    expect(await mutate(server, 'mutation($id: ID!) { retryPipelineJob(id: $id) { __typename } }', { id }, org.users.viewer.token)).toEqual({ __typename: 'ForbiddenError' });
  });
});

describe('cancelPipelineJob', () => {
  it('cancels a pending job, recording who did it; cancelling it again is a ConflictError', async () => {
    const id = await createJob(server, org.users.editor.token, workspaceId);
    expect(await mutate(server, CANCEL, { id }, org.users.admin.token)).toEqual({
      __typename: 'CancelPipelineJobPayload',
      pipelineJob: { id, status: 'CANCELLED', completedAt: ISO_DATE, runMetadata: { cancelledBy: org.users.admin.id } },
    });
    expect(await mutate(server, CANCEL, { id }, org.users.editor.token)).toEqual({
      __typename: 'ConflictError',
      code: 'CONFLICT',
      message: 'A cancelled job cannot be cancelled',
      currentVersion: null,
      currentStatus: 'CANCELLED',
    });
  });

  it('cancels a running job', async () => {
    const id = await seedJob({ status: 'running' });
    expect(await mutate(server, CANCEL, { id }, org.users.editor.token)).toMatchObject({ __typename: 'CancelPipelineJobPayload', pipelineJob: { status: 'CANCELLED' } });
  });

  it.each(['completed', 'failed'] as const)('refuses to cancel a %s job, leaving it as it was', async (status) => {
    const id = await seedJob({ status });
    expect(await mutate(server, CANCEL, { id }, org.users.editor.token)).toEqual({
      __typename: 'ConflictError',
      code: 'CONFLICT',
      message: `A ${status} job cannot be cancelled`,
      currentVersion: null,
      currentStatus: status.toUpperCase(),
    });
    expect(await tenantDbOf(server, org).selectFrom('pipeline_jobs').select(['status', 'completed_at']).where('id', '=', localId(id)).executeTakeFirst()).toEqual({ status, completed_at: null });
  });
});

describe('pipelineJob query', () => {
  it('returns run metadata with the known keys typed and the rest under extra', async () => {
    const id = await seedJob({
      status: 'failed',
      error_message: 'warehouse timed out',
      created_by: org.users.owner.id,
      run_metadata: { rows_processed: 1200, rows_failed: 3, duration_ms: 4500, warehouse_query_id: '01b2-q9', source_files: ['a.csv', 'b.csv'], retries: 2, stage: { name: 'load' } },
    });
    expect(await gqlData(server, GET, { id }, org.users.viewer.token)).toEqual({
      pipelineJob: {
        id,
        jobType: 'FULL_REFRESH',
        status: 'FAILED',
        createdAt: ISO_DATE,
        startedAt: null,
        completedAt: null,
        errorMessage: 'warehouse timed out',
        runMetadata: { rowsProcessed: 1200, rowsFailed: 3, durationMs: 4500, warehouseQueryId: '01b2-q9', cancelledBy: null, extra: { source_files: ['a.csv', 'b.csv'], retries: 2, stage: { name: 'load' } } },
        workspace: { id: workspaceId, name: 'Pipelines' },
        createdBy: { id: globalId('User', org.users.owner.id), email: org.users.owner.email },
      },
    });
  });

  it('keeps known keys whose values a typed field cannot hold under extra, instead of failing the query', async () => {
    const id = await seedJob({ status: 'completed', run_metadata: { rows_processed: 3_000_000_000, duration_ms: 12.5, rows_failed: '7', warehouse_query_id: 42 } });
    const res = await server.gql(`query($id: ID!) { pipelineJob(id: $id) { runMetadata { rowsProcessed rowsFailed durationMs warehouseQueryId cancelledBy extra } } }`, { id }, org.users.viewer.token);
    expect(res.body).toEqual({
      data: {
        pipelineJob: {
          runMetadata: { ...NO_METADATA, extra: { rows_processed: 3_000_000_000, duration_ms: 12.5, rows_failed: '7', warehouse_query_id: 42 } },
        },
      },
    });
  });

  it('shows no creator for a job no user created, and null for an unknown id', async () => {
    const id = await seedJob({ status: 'pending', created_by: null });
    expect(await gqlData(server, 'query($id: ID!) { pipelineJob(id: $id) { status createdBy { id } } }', { id }, org.users.viewer.token)).toEqual({
      pipelineJob: { status: 'PENDING', createdBy: null },
    });
    expect(await gqlData(server, GET, { id: globalId('PipelineJob', NO_SUCH_UUID) }, org.users.viewer.token)).toEqual({ pipelineJob: null });
  });
});
