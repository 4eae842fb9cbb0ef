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
  type SourceDb,
  tenantDbOf,
  useTestApi,
  useWorkers,
  waitFor,
} from '../support/index.js';

// SIGTERM to a real worker process (`npm run worker`'s entry): it claims nothing more, lets running
// jobs finish within WORKER_SHUTDOWN_GRACE_MS, then hands the rest back and exits 0.
const KEYRING = Keyring.generate('drain-test').json;
const { server, org } = useTestApi({ env: { KEYRING, WORKER_IN_PROCESS: 'false' } });
const workers = useWorkers(server, KEYRING);
let source: SourceDb;
let workspaceId: string;

const jobRow = (id: string) => tenantDbOf(server, org).selectFrom('pipeline_jobs').selectAll().where('id', '=', localId(id)).executeTakeFirstOrThrow();
const ATTEMPTS = `query($id: ID!) { pipelineJob(id: $id) { status attempts { number endedAt failure { type } } logs(first: 50) { edges { node { message } } } } }`;
type Attempts = { pipelineJob: { status: string; attempts: { number: number; endedAt: string | null; failure: { type: string } | null }[]; logs: { edges: { node: { message: string } }[] } } };
const attempts = (id: string) => gqlData<Attempts>(server, ATTEMPTS, { id }, org.users.viewer.token);

const mappingOn = (targetTable: string, sourceTable: string) =>
  createActiveMapping(server, org.users.editor.token, workspaceId, { targetTable, sourceTable, fieldMappings: [{ targetField: 'customer_id', source: 'cust_id' }] });

/** The queue's deliveries of a pipeline job: how many, and the retries they spent. */
async function deliveries(jobId: string): Promise<{ messages: number; retries: number }> {
  const { rows } = await server.db.pool.query<{ messages: number; retries: number }>(
    `select count(*)::int as messages, coalesce(sum(retry_count), 0)::int as retries from datalinx_queue.job where name = 'pipeline-jobs' and data->>'jobId' = $1`,
    [localId(jobId)],
  );
  return rows[0]!;
}

beforeAll(async () => {
  source = await createSourceDb(`
    CREATE TABLE customers (cust_id int PRIMARY KEY, email text);
    INSERT INTO customers SELECT g, 'c' || g || '@example.test' FROM generate_series(1, 50) g;
    CREATE VIEW pausing_customers AS SELECT c.cust_id, c.email FROM customers c CROSS JOIN (SELECT pg_sleep(3)) AS pause;
    CREATE VIEW slow_customers AS SELECT c.cust_id, c.email FROM customers c CROSS JOIN (SELECT pg_sleep(120)) AS pause;
  `);
  workspaceId = await createWorkspace(server, org.users.editor.token);
  await createDataSource(server, org.users.editor.token, workspaceId, {
    postgresql: { host: source.host, port: source.port, database: source.database, user: source.user, password: source.password, sslMode: 'disable' },
  });
}, 60_000);

afterAll(async () => {
  await source?.drop();
});

describe('SIGTERM to a worker process', () => {
  it('lets the running job finish within the grace period, claims nothing queued after the signal, and exits 0', async () => {
    const running = await mappingOn('dim_finishing', 'pausing_customers');
    const later = await mappingOn('dim_later', 'customers');
    const worker = workers.start({ WORKER_SHUTDOWN_GRACE_MS: '60000' });
    const id = await createJob(server, org.users.editor.token, workspaceId, 'MAPPING_TEST', [running]);
    await waitFor('the source query', async () => (await activeSourceQueries(source, 'pausing_customers')) === 1);
    worker.child.kill('SIGTERM');
    await waitFor('the worker to drain', async () => worker.output.join('').includes('worker draining'), 10_000);
    const queuedAfter = await createJob(server, org.users.editor.token, workspaceId, 'MAPPING_TEST', [later]);
    expect(await exited(worker.child)).toBe(0);

    expect((await jobRow(id)).status).toBe('completed');
    const done = await attempts(id);
    expect(done.pipelineJob.attempts.map((a) => [a.number, a.endedAt !== null, a.failure])).toEqual([[1, true, null]]);
    // Nothing claimed the job queued after the signal.
    expect((await attempts(queuedAfter)).pipelineJob).toMatchObject({ status: 'PENDING', attempts: [] });

    const next = workers.start();
    await waitFor('the next worker to run it', async () => (await jobRow(queuedAfter)).status === 'completed');
    next.child.kill('SIGTERM');
    expect(await exited(next.child)).toBe(0);
  }, 120_000);

  it('past the grace period: cancels the running source query, hands the job back without spending a retry, and the next worker runs it', async () => {
    const mapping = await mappingOn('dim_handed_back', 'slow_customers');
    const worker = workers.start({ WORKER_SHUTDOWN_GRACE_MS: '500' });
    const id = await createJob(server, org.users.editor.token, workspaceId, 'MAPPING_TEST', [mapping]);
    await waitFor('the source query', async () => (await activeSourceQueries(source, 'slow_customers')) === 1);
    worker.child.kill('SIGTERM');
    expect(await exited(worker.child)).toBe(0);

    expect(await activeSourceQueries(source, 'slow_customers')).toBe(0);
    const handedBack = await attempts(id);
    expect(handedBack.pipelineJob.status).toBe('PENDING');
    expect(handedBack.pipelineJob.attempts.map((a) => [a.number, a.endedAt !== null, a.failure])).toEqual([[1, true, null]]);
    expect(handedBack.pipelineJob.logs.edges.map((e) => e.node.message)).toContainEqual(expect.stringMatching(/^handed back by .+ at shutdown/));
    // The first delivery was settled and a new one queued: no retry spent, none waiting out a backoff.
    expect(await deliveries(id)).toEqual({ messages: 2, retries: 0 });

    const next = workers.start();
    const second = await waitFor('a second attempt', async () => {
      const a = (await attempts(id)).pipelineJob.attempts;
      return a.length === 2 && a;
    });
    expect(second.map((a) => [a.number, a.failure])).toEqual([[1, null], [2, null]]);
    await waitFor('the second source query', async () => (await activeSourceQueries(source, 'slow_customers')) === 1);
    await mutate(server, 'mutation($id: ID!) { cancelPipelineJob(id: $id) { __typename } }', { id }, org.users.editor.token);
    await waitFor('the cancel', async () => (await jobRow(id)).status === 'cancelled');
    next.child.kill('SIGTERM');
    expect(await exited(next.child)).toBe(0);
  }, 120_000);

  it('past the grace period with a batch (WORKER_BATCH_SIZE): every job of it is handed back, none spending a retry', async () => {
    const ids: string[] = [];
    for (const name of ['dim_batch_a', 'dim_batch_b']) ids.push(await createJob(server, org.users.editor.token, workspaceId, 'MAPPING_TEST', [await mappingOn(name, 'slow_customers')]));
    // Both queued before the worker starts: its one slot fetches them together.
    const worker = workers.start({ WORKER_SHUTDOWN_GRACE_MS: '500', WORKER_CONCURRENCY: '2', WORKER_BATCH_SIZE: '2', WORKER_ORG_CONCURRENCY: '2' });
    await waitFor('both source queries', async () => (await activeSourceQueries(source, 'slow_customers')) === 2);
    // Fetched together: one statement's now() started both.
    const { rows: started } = await server.db.pool.query<{ n: number }>(
      `select count(distinct started_on)::int as n from datalinx_queue.job where name = 'pipeline-jobs' and state = 'active' and data->>'jobId' = any($1)`,
      [ids.map(localId)],
    );
    expect(started[0]!.n).toBe(1);
    worker.child.kill('SIGTERM');
    expect(await exited(worker.child)).toBe(0);
    expect(await activeSourceQueries(source, 'slow_customers')).toBe(0);
    for (const id of ids) {
      const handedBack = (await attempts(id)).pipelineJob;
      expect({ status: handedBack.status, attempts: handedBack.attempts.map((a) => [a.number, a.endedAt !== null, a.failure]), deliveries: await deliveries(id) }).toEqual({
        status: 'PENDING',
        attempts: [[1, true, null]],
        deliveries: { messages: 2, retries: 0 },
      });
      await mutate(server, 'mutation($id: ID!) { cancelPipelineJob(id: $id) { __typename } }', { id }, org.users.editor.token);
    }
  }, 120_000);
});
