import { jest } from '@jest/globals';
import pg from 'pg';
import WebSocket from 'ws';
import { signUp, startApiProcess, type ApiProcess } from '../support/api-process.js';
import { closeOf, wsUrl } from '../support/subscriptions.js';
import { createEmptyDatabase } from '../support/test-db.js';

/**
 * SIGTERM with a live subscription: new sockets are refused while draining,
 * the open one is closed cleanly (1001 Going away), the job-events listener's
 * connection ends, and the open WebSocket does not hold the shutdown: the
 * process drains in time and exits 0.
 */
jest.setTimeout(120_000);

let api: ApiProcess;
let dbUrl: string;

beforeAll(async () => {
  dbUrl = (await createEmptyDatabase()).url;
  api = await startApiProcess({ DATABASE_URL: dbUrl, ALLOW_SIGNUP: 'true', LOG_LEVEL: 'info', SHUTDOWN_DELAY_MS: '1500', SHUTDOWN_GRACE_MS: '30000' });
});
afterAll(() => {
  if (api?.child.exitCode === null) api.child.kill('SIGKILL');
});

async function listenerBackends(): Promise<number> {
  const client = new pg.Client({ connectionString: dbUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: number }>(`select count(*)::int as n from pg_stat_activity where application_name = 'datalinx-job-events' and datname = current_database()`);
    return rows[0]!.n;
  } finally {
    await client.end();
  }
}

it('closes subscriptions with 1001 and the listener connection, then exits 0 with everything drained', async () => {
  const token = await signUp(api, 'live-shutdown');
  const created = await api.gql<{ createWorkspace: { workspace: { id: string } } }>(
    'mutation { createWorkspace(input: { name: "Live" }) { ... on CreateWorkspacePayload { workspace { id } } } }',
    {},
    token,
  );
  const workspaceId = created.body.data!.createWorkspace.workspace.id;

  let subscribed!: () => void;
  const started = new Promise<void>((resolve) => (subscribed = resolve));
  const closed = closeOf(api.url, { authorization: `Bearer ${token}` }, (socket) => {
    socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: 'subscription($w: ID!) { pipelineJobUpdated(workspaceId: $w) { id status } }', variables: { w: workspaceId } } }));
    subscribed();
  });
  await started;
  while ((await listenerBackends()) === 0) await new Promise((r) => setTimeout(r, 50));

  api.child.kill('SIGTERM');
  // While draining (readiness 503, before the listener closes), a new socket is refused with 503.
  while ((await fetch(`${api.url}/readyz`)).status !== 503) await new Promise((r) => setTimeout(r, 10));
  const refused = await new Promise<string>((resolve) => {
    const ws = new WebSocket(wsUrl(api.url), 'graphql-transport-ws');
    ws.on('open', () => resolve('open'));
    ws.on('error', (e) => resolve(e.message));
  });
  expect(refused).toBe('Unexpected server response: 503');
  expect(await closed).toEqual({ code: 1001, reason: 'Going away', acked: true });
  expect(await api.exited).toBe(0);
  expect(await listenerBackends()).toBe(0);
  const shutDown = api.output.join('').split('\n').filter((l) => l.includes('"shut down"'));
  expect(shutDown).toEqual([expect.stringContaining('"drained":true')]);
});
