import { Keyring } from '../../src/crypto/keyring.js';
import {
  activeSourceQueries,
  createActiveMapping,
  createDataSource,
  createJob,
  createSourceDb,
  createWorkspace,
  exited,
  gqlData,
  localId,
  mutate,
  setWarehouse,
  type SourceDb,
  tenantDbOf,
  useTestApi,
  useWorkers,
  waitFor,
} from '../support/index.js';

// Real worker processes (`npm run worker`'s entry) against this file's database and a real source database.
const KEYRING = Keyring.generate('worker-test').json;
const { server, org } = useTestApi({ env: { KEYRING, WORKER_IN_PROCESS: 'false' } });
const workers = useWorkers(server, KEYRING);
const startWorker = workers.start;
let source: SourceDb;
let workspaceId: string;

const jobRow = (id: string) => tenantDbOf(server, org).selectFrom('pipeline_jobs').selectAll().where('id', '=', localId(id)).executeTakeFirstOrThrow();
const JOB = `query($id: ID!) { pipelineJob(id: $id) { status progress failure { origin type retryable message } attempts { number worker endedAt failure { type } } logs(first: 50) { edges { node { level message } } } } }`;

beforeAll(async () => {
  source = await createSourceDb(`
    CREATE TABLE customers (cust_id int PRIMARY KEY, email text);
    INSERT INTO customers SELECT g, 'c' || g || '@example.test' FROM generate_series(1, 250) g;
    CREATE VIEW slow_customers AS SELECT cust_id, email, pg_sleep(60)::text AS slept FROM customers;
  `);
  workspaceId = await createWorkspace(server, org.users.editor.token);
  await createDataSource(server, org.users.editor.token, workspaceId, {
    postgresql: { host: source.host, port: source.port, database: source.database, user: source.user, password: source.password, sslMode: 'disable' },
  });
}, 60_000);

afterAll(async () => {
  await source?.drop();
});

describe('a worker process', () => {
  it('runs a mapping_test: rows (within the row limit), a sample, progress 100, one attempt, logs without the password', async () => {
    const { output } = startWorker({ JOB_TEST_ROW_LIMIT: '100' });
    const mapping = await createActiveMapping(server, org.users.editor.token, workspaceId, {
      targetTable: 'dim_customer',
      sourceTable: 'customers',
      fieldMappings: [{ targetField: 'customer_id', source: 'cust_id' }, { targetField: 'email', source: 'email' }],
    });
    const id = await createJob(server, org.users.editor.token, workspaceId, 'MAPPING_TEST', [mapping]);
    await waitFor('completion', async () => (await jobRow(id)).status === 'completed');
    const row = await jobRow(id);
    const result = (row.run_metadata.mappings as Record<string, { rows: number; sample: unknown[]; error: unknown }>)[localId(mapping)]!;
    expect({ rows: result.rows, sampleSize: result.sample.length, first: result.sample[0], error: result.error }).toEqual({
      rows: 100,
      sampleSize: 5,
      first: { customer_id: 1, email: 'c1@example.test' },
      error: null,
    });
    const data = await gqlData<{ pipelineJob: { status: string; progress: number; attempts: { number: number; endedAt: string | null; failure: unknown }[]; logs: { edges: { node: { message: string } }[] } } }>(server, JOB, { id }, org.users.viewer.token);
    expect({ status: data.pipelineJob.status, progress: data.pipelineJob.progress, attempts: data.pipelineJob.attempts.map((a) => [a.number, a.endedAt !== null, a.failure]) }).toEqual({
      status: 'COMPLETED',
      progress: 100,
      attempts: [[1, true, null]],
    });
    const text = JSON.stringify(data) + output.join('');
    expect(text).not.toContain(source.password);
  }, 90_000);

  it('records a mapping whose query fails as a MAPPING CONFIG_ERROR, not retried', async () => {
    const mapping = await createActiveMapping(server, org.users.editor.token, workspaceId, { targetTable: 'dim_bad', sourceTable: 'no_such_table' });
    const id = await createJob(server, org.users.editor.token, workspaceId, 'MAPPING_TEST', [mapping]);
    await waitFor('failure', async () => (await jobRow(id)).status === 'failed');
    const data = await gqlData<{ pipelineJob: { failure: unknown; attempts: unknown[] } }>(server, JOB, { id }, org.users.viewer.token);
    expect(data.pipelineJob.failure).toEqual({ origin: 'MAPPING', type: 'CONFIG_ERROR', retryable: false, message: '1 of 1 mapping(s) failed their test' });
    expect(data.pipelineJob.attempts).toHaveLength(1);
  }, 90_000);

  it('fails a full_refresh into a Snowflake warehouse as a WAREHOUSE CONFIG_ERROR (not supported by this deployment yet), never a fake success', async () => {
    const ws = await createWorkspace(server, org.users.editor.token);
    await setWarehouse(server, org.users.editor.token, ws, {
      dialect: 'SNOWFLAKE',
      targetSchema: 'analytics',
      connectionConfig: { snowflake: { account: 'acme-xy12345', warehouse: 'LOAD_WH', database: 'DWH', user: 'loader', password: 'sf-Secret-1' } },
    });
    const id = await createJob(server, org.users.editor.token, ws, 'FULL_REFRESH');
    await waitFor('failure', async () => (await jobRow(id)).status === 'failed');
    expect((await jobRow(id)).failure).toEqual({ origin: 'warehouse', type: 'config_error', retryable: false, message: 'snowflake warehouses are not supported by this deployment yet' });
  }, 90_000);

  it('cancels a running job: its source query is cancelled (gone from pg_stat_activity) and it ends cancelled', async () => {
    const mapping = await createActiveMapping(server, org.users.editor.token, workspaceId, {
      targetTable: 'dim_slow',
      sourceTable: 'slow_customers',
      fieldMappings: [{ targetField: 'customer_id', source: 'cust_id' }],
    });
    const id = await createJob(server, org.users.editor.token, workspaceId, 'MAPPING_TEST', [mapping]);
    await waitFor('the source query', async () => (await activeSourceQueries(source, 'slow_customers')) === 1);
    expect(await mutate(server, 'mutation($id: ID!) { cancelPipelineJob(id: $id) { __typename } }', { id }, org.users.editor.token)).toEqual({ __typename: 'CancelPipelineJobPayload' });
    await waitFor('the source query to end', async () => (await activeSourceQueries(source, 'slow_customers')) === 0, 10_000);
    const data = await gqlData<{ pipelineJob: { status: string; attempts: { endedAt: string | null; failure: { type: string } | null }[] } }>(server, JOB, { id }, org.users.viewer.token);
    await waitFor('the attempt to end', async () => (await gqlData<{ pipelineJob: { attempts: { endedAt: string | null }[] } }>(server, JOB, { id }, org.users.viewer.token)).pipelineJob.attempts[0]?.endedAt);
    expect(data.pipelineJob.status).toBe('CANCELLED');
  }, 90_000);

  it('a worker killed with -9 mid-job: the attempt is failed as WORKER_LOST and another worker runs it again', async () => {
    const mapping = await createActiveMapping(server, org.users.editor.token, workspaceId, {
      targetTable: 'dim_lost',
      sourceTable: 'slow_customers',
      fieldMappings: [{ targetField: 'customer_id', source: 'cust_id' }],
    });
    for (const w of workers.all) if (w.exitCode === null) w.kill('SIGKILL');
    const doomed = startWorker();
    const id = await createJob(server, org.users.editor.token, workspaceId, 'MAPPING_TEST', [mapping]);
    await waitFor('the first attempt', async () => (await jobRow(id)).status === 'running');
    doomed.child.kill('SIGKILL');
    await exited(doomed.child);
    startWorker({ JOB_RETRY_DELAY_SECONDS: '0' });
    const second = await waitFor('a second attempt', async () => {
      const d = await gqlData<{ pipelineJob: { attempts: { number: number; failure: { type: string } | null }[] } }>(server, JOB, { id }, org.users.viewer.token);
      return d.pipelineJob.attempts.length >= 2 && d.pipelineJob.attempts;
    }, 60_000);
    expect(second.slice(0, 2).map((a) => [a.number, a.failure?.type ?? null])).toEqual([[1, 'WORKER_LOST'], [2, null]]);
    await mutate(server, 'mutation($id: ID!) { cancelPipelineJob(id: $id) { __typename } }', { id }, org.users.editor.token);
  }, 120_000);
});
