import net from 'node:net';
import { sql } from 'kysely';
import { Keyring } from '../../src/crypto/keyring.js';
import { createActiveMapping, createDataSource, createJob, createSourceDb, createWorkspace, gqlData, localId, sourceConfigOf, useTestApi, useWorkers, waitFor, type SourceDb } from '../support/index.js';

// A source that is unreachable at first: the attempt fails as a TRANSIENT_ERROR, the queue retries it after
// its backoff, and once the source answers the job completes, its attempts telling the story.
const KEYRING = Keyring.generate('worker-retry').json;
const { server, org } = useTestApi({ env: { KEYRING, WORKER_IN_PROCESS: 'false' } });
const workers = useWorkers(server, KEYRING);
let source: SourceDb;
let proxy: net.Server | undefined;

afterAll(async () => {
  await new Promise((r) => (proxy ? proxy.close(r) : r(null)));
  await source?.drop();
});

/** A free local port, with nothing listening on it once this resolves. */
async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise((r) => probe.close(r));
  return port;
}

/** Starts forwarding `port` to the source database. */
function forward(port: number): Promise<net.Server> {
  const server = net.createServer((client) => {
    const upstream = net.connect(source.port, source.host);
    client.pipe(upstream).pipe(client);
    const end = () => (client.destroy(), upstream.destroy());
    client.on('error', end);
    upstream.on('error', end);
  });
  return new Promise((r) => server.listen(port, '127.0.0.1', () => r(server)));
}

const JOB = `query($id: ID!) { pipelineJob(id: $id) { status failure { type } attempts { number failure { origin type retryable } } } }`;
interface Job { status: string; failure: unknown; attempts: { number: number; failure: { origin: string; type: string; retryable: boolean } | null }[] }

it('an unreachable source is a TRANSIENT_ERROR, retried after a backoff; the retry completes once the source answers', async () => {
  source = await createSourceDb('CREATE TABLE customers (cust_id int PRIMARY KEY); INSERT INTO customers VALUES (1), (2);');
  const port = await freePort();
  const workspaceId = await createWorkspace(server, org.users.editor.token, 'Retry');
  await createDataSource(server, org.users.editor.token, workspaceId, sourceConfigOf(source, { host: '127.0.0.1', port }));
  const mapping = await createActiveMapping(server, org.users.editor.token, workspaceId, { sourceTable: 'customers', fieldMappings: [{ targetField: 'id', source: 'cust_id' }] });
  workers.start({ JOB_RETRY_DELAY_SECONDS: '5', JOB_RETRY_LIMIT: '3' });
  const id = await createJob(server, org.users.editor.token, workspaceId, 'MAPPING_TEST', [mapping]);
  const job = async () => (await gqlData<{ pipelineJob: Job }>(server, JOB, { id }, org.users.viewer.token)).pipelineJob;

  // The first attempt fails (nothing listens) and the job waits for its retry, pending again.
  const failed = await waitFor('a failed first attempt', async () => {
    const j = await job();
    return j.attempts[0]?.failure ? j : null;
  });
  expect(failed.attempts[0]!.failure).toEqual({ origin: 'SOURCE', type: 'TRANSIENT_ERROR', retryable: true });
  expect(failed.status).toBe('PENDING');
  proxy = await forward(port);

  const done = await waitFor('completion', async () => {
    const j = await job();
    return j.status === 'COMPLETED' ? j : null;
  });
  expect(done.failure).toBeNull();
  expect(done.attempts.map((a) => a.number)).toEqual(done.attempts.map((_, i) => i + 1));
  expect(done.attempts.at(-1)!.failure).toBeNull();
  expect(done.attempts.slice(0, -1).every((a) => a.failure?.type === 'TRANSIENT_ERROR')).toBe(true);
}, 120_000);

it('in a batch (WORKER_BATCH_SIZE), each job settles on its own in the queue: the failing one waits for its retry, the other is completed once', async () => {
  for (const w of workers.all) if (w.exitCode === null) w.kill('SIGKILL');
  const good = await createSourceDb('CREATE TABLE customers (cust_id int PRIMARY KEY); INSERT INTO customers VALUES (1);');
  try {
    const unreachable = await createWorkspace(server, org.users.editor.token, 'Batch unreachable');
    await createDataSource(server, org.users.editor.token, unreachable, sourceConfigOf(good, { host: '127.0.0.1', port: await freePort() }));
    const reachable = await createWorkspace(server, org.users.editor.token, 'Batch reachable');
    await createDataSource(server, org.users.editor.token, reachable, sourceConfigOf(good));
    const fieldMappings = [{ targetField: 'id', source: 'cust_id' }];
    const failing = await createJob(server, org.users.editor.token, unreachable, 'MAPPING_TEST', [await createActiveMapping(server, org.users.editor.token, unreachable, { sourceTable: 'customers', fieldMappings })]);
    const passing = await createJob(server, org.users.editor.token, reachable, 'MAPPING_TEST', [await createActiveMapping(server, org.users.editor.token, reachable, { sourceTable: 'customers', fieldMappings })]);
    // Both queued before the worker starts: its one slot fetches them together.
    workers.start({ WORKER_CONCURRENCY: '2', WORKER_BATCH_SIZE: '2', WORKER_ORG_CONCURRENCY: '2' });
    const job = async (id: string) => (await gqlData<{ pipelineJob: Job }>(server, JOB, { id }, org.users.viewer.token)).pipelineJob;
    const queued = async (id: string) =>
      // test probe: the queue's record of the job's delivery
      (await sql<{ state: string; retry_count: number }>`select state, retry_count from datalinx_queue.job where name = 'pipeline-jobs' and data->>'jobId' = ${localId(id)}`.execute(server.db.db)).rows;
    await waitFor('both settled in the queue', async () => (await queued(passing))[0]?.state === 'completed' && (await queued(failing))[0]?.state === 'retry');
    expect({ passing: await queued(passing), failing: await queued(failing) }).toEqual({
      passing: [{ state: 'completed', retry_count: 0 }],
      failing: [{ state: 'retry', retry_count: 0 }],
    });
    // Fetched together: one statement's now() started both (two fetches would differ by microseconds at least).
    const startedOn = async (id: string) =>
      // test probe: when the queue handed the job out
      (await sql<{ started_on: Date }>`select started_on from datalinx_queue.job where name = 'pipeline-jobs' and data->>'jobId' = ${localId(id)}`.execute(server.db.db)).rows[0]!.started_on.toISOString();
    expect(await startedOn(passing)).toBe(await startedOn(failing));
    expect(await job(passing)).toEqual({ status: 'COMPLETED', failure: null, attempts: [{ number: 1, failure: null }] });
    expect(await job(failing)).toEqual({ status: 'PENDING', failure: null, attempts: [{ number: 1, failure: { origin: 'SOURCE', type: 'TRANSIENT_ERROR', retryable: true } }] });
  } finally {
    for (const w of workers.all) if (w.exitCode === null) w.kill('SIGKILL');
    await good.drop();
  }
}, 120_000);
