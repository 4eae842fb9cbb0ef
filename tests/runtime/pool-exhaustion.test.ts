import pg from 'pg';
import { seedOrganization, startTestServer, type SeededOrg, type TestServer } from '../support/index.js';

/**
 * Issue 14, item 7: a lock held on one tenant table, many concurrent reads.
 * Requests that cannot get a connection within the bounded wait, and requests
 * that time out, end in a typed 503 with Retry-After; readiness answers while
 * the pool is full; timed-out requests cancel their statements, so once the
 * lock goes the pool is whole again and nothing is left running.
 */
let server: TestServer;
let org: SeededOrg;
const POOL_MAX = 4;

beforeAll(async () => {
  server = await startTestServer({ GRAPHQL_TIMEOUT_MS: '2500', DB_RETRY_AFTER_SECONDS: '3' }, { pool: { max: POOL_MAX, connectionTimeoutMillis: 800 } });
  org = await seedOrganization(server);
});
afterAll(() => server.close());

async function apiStatements(admin: pg.Client): Promise<{ state: string; query: string }[]> {
  const { rows } = await admin.query<{ state: string; query: string }>(
    `select state, query from pg_stat_activity where datname = current_database() and application_name = 'datalinx-system-api' and state <> 'idle'`,
  );
  return rows;
}

it('answers 503 SERVICE_UNAVAILABLE with Retry-After, keeps readiness answering, and cancels timed-out statements', async () => {
  const locker = new pg.Client({ connectionString: server.db.url });
  const admin = new pg.Client({ connectionString: server.db.url });
  await Promise.all([locker.connect(), admin.connect()]);
  try {
    await locker.query('begin');
    await locker.query(`lock table "${org.schema_name}".workspaces in access exclusive mode`);

    const token = org.users.viewer.token;
    const reads = Array.from({ length: 40 }, () =>
      fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: 'query Workspaces { workspaces(first: 5) { totalCount } }' }),
      }).then(async (res) => ({ status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as { errors?: { extensions?: { code?: string; requestId?: string } }[] } })),
    );

    // While every connection waits on the lock and requests queue for one, readiness still answers at once.
    for (let i = 0; i < 100 && server.db.pool.waitingCount === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(server.db.pool.totalCount).toBe(POOL_MAX);
    expect(server.db.pool.waitingCount).toBeGreaterThan(0);
    // Answered "reachable" while every pool connection is still stuck behind the lock: it used none of them.
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    expect({ total: server.db.pool.totalCount, idle: server.db.pool.idleCount }).toEqual({ total: POOL_MAX, idle: 0 });

    const results = await Promise.all(reads);
    const codes = results.map((r) => r.body.errors?.[0]?.extensions?.code);
    expect(results.every((r) => r.status === 503)).toBe(true);
    expect(new Set(codes)).toEqual(new Set(['SERVICE_UNAVAILABLE', 'TIMEOUT']));
    for (const r of results) {
      expect(r.retryAfter).toBe('3');
      expect(r.body.errors?.[0]?.extensions?.requestId).toEqual(expect.any(String));
    }

    // The lock is still held, yet none of the API's statements is still waiting on it: they were cancelled.
    await new Promise((r) => setTimeout(r, 200));
    expect(await apiStatements(admin)).toEqual([]);

    await locker.query('rollback');
    const after = await server.gql<{ workspaces: { totalCount: number } }>('{ workspaces(first: 5) { totalCount } }', {}, token);
    expect(after.body).toEqual({ data: { workspaces: { totalCount: 0 } } });
    expect(server.db.pool.waitingCount).toBe(0);
    expect(await apiStatements(admin)).toEqual([]);
  } finally {
    await locker.end();
    await admin.end();
  }
});
