import net from 'node:net';
import { Keyring } from '../../src/crypto/keyring.js';
import { createActiveMapping, createDataSource, createJob, createSourceDb, createWorkspace, gqlData, sourceConfigOf, useTestApi, useWorkers, waitFor, type SourceDb } from '../support/index.js';

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
