import { jest } from '@jest/globals';
import pg from 'pg';
import { signUp, startApiProcess, type ApiProcess } from '../support/api-process.js';
import { startCluster, type PgCluster } from '../support/pg-cluster.js';

/**
 * Issue 11: PostgreSQL stopped and started (and its sessions terminated) under
 * load. The API process survives, readiness says 503 while the database is
 * away, requests fail fast with a typed SERVICE_UNAVAILABLE, and service
 * resumes by itself.
 */
jest.setTimeout(180_000);

let cluster: PgCluster;
let api: ApiProcess;
let token: string;

beforeAll(async () => {
  cluster = await startCluster();
  api = await startApiProcess({ DATABASE_URL: cluster.url(), ALLOW_SIGNUP: 'true', DB_CONNECT_TIMEOUT_MS: '1000', DB_POOL_MAX: '6', SHUTDOWN_DELAY_MS: '0' });
  token = await signUp(api, 'outage-org');
});
afterAll(async () => {
  if (api?.child.exitCode === null) api.child.kill('SIGKILL');
  await cluster?.destroy();
});

type Result = { status: number; code?: string; retryAfter: string | null; ok: boolean } | { failed: string };

/** Readers sending `me` back to back until stopped; every answer is kept. */
function load(readers: number) {
  const results: Result[] = [];
  let running = true;
  const loops = Array.from({ length: readers }, async () => {
    while (running) {
      try {
        const res = await api.gql<{ me: { email: string } }>('query Me { me { email organization { name } } }', {}, token);
        results.push({ status: res.status, code: res.body.errors?.[0]?.extensions?.code as string | undefined, retryAfter: res.headers.get('retry-after'), ok: res.body.data?.me?.email === 'owner@outage-org.test' });
      } catch (err) {
        results.push({ failed: String((err as Error).cause ?? err) });
      }
    }
  });
  return { results, stop: async () => ((running = false), await Promise.all(loops)) };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitReady(): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if ((await fetch(`${api.url}/readyz`)).status === 200) return;
    await sleep(100);
  }
  throw new Error('the API did not become ready again');
}

function expectOnlyTypedAnswers(results: Result[]) {
  const bad = results.filter((r) => 'failed' in r || !((r.status === 200 && r.ok) || (r.status === 503 && r.code === 'SERVICE_UNAVAILABLE' && r.retryAfter === '2')));
  expect(bad).toEqual([]);
}

it('survives a PostgreSQL restart under load, answering 503 while it is away', async () => {
  const traffic = load(4);
  await sleep(500);
  await cluster.stop('fast');

  const ready = await fetch(`${api.url}/readyz`);
  expect(ready.status).toBe(503);
  const during = await api.gql('query Me { me { email } }', {}, token);
  expect(during.status).toBe(503);
  expect(during.body.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
  expect(during.headers.get('retry-after')).toBe('2');
  await sleep(1000);

  await cluster.start();
  await waitReady();
  const countAfterRestart = traffic.results.length;
  await sleep(500);
  await traffic.stop();

  expect(api.child.exitCode).toBeNull();
  expectOnlyTypedAnswers(traffic.results);
  expect(traffic.results.some((r) => 'status' in r && r.status === 503)).toBe(true);
  expect(traffic.results.slice(countAfterRestart).some((r) => 'ok' in r && r.ok)).toBe(true);
});

it('survives its sessions being terminated under load', async () => {
  const traffic = load(4);
  const admin = new pg.Client({ connectionString: cluster.url() });
  await admin.connect();
  try {
    for (let round = 0; round < 5; round++) {
      await sleep(200);
      await admin.query(`select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'datalinx-system-api'`);
    }
  } finally {
    await admin.end();
  }
  await sleep(500);
  await traffic.stop();
  expect(api.child.exitCode).toBeNull();
  expectOnlyTypedAnswers(traffic.results);
  const res = await api.gql<{ me: { email: string } }>('query Me { me { email } }', {}, token);
  expect(res.body.data?.me.email).toBe('owner@outage-org.test');
});

it('then shuts down cleanly on SIGTERM', async () => {
  api.child.kill('SIGTERM');
  expect(await api.exited).toBe(0);
});
