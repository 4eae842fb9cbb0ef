import pg from 'pg';
import { ExecutionGate } from '../../src/execution-gate.js';
import { seedOrganization, startTestServer, type SeededOrg, type TestServer } from '../support/index.js';

/**
 * GRAPHQL_MAX_CONCURRENT: at most that many GraphQL requests execute at once;
 * the rest wait in arrival order, within GRAPHQL_TIMEOUT_MS. Over real HTTP,
 * with a lock that holds the executing requests inside PostgreSQL.
 */
describe('ExecutionGate', () => {
  it('admits up to its limit, then in arrival order as slots free; an abandoned wait is skipped', async () => {
    const gate = new ExecutionGate(2);
    const order: string[] = [];
    const turns = ['a', 'b', 'c', 'd', 'e'].map((name) => {
      const turn = gate.enter();
      void turn.ready.then(() => order.push(name));
      return turn;
    });
    await Promise.resolve();
    expect([order, gate.active, gate.queued]).toEqual([['a', 'b'], 2, 3]);
    turns[3]!.abandon(); // d leaves while waiting
    turns[0]!.release();
    turns[0]!.release(); // a second release changes nothing
    await Promise.resolve();
    expect([order, gate.active, gate.queued]).toEqual([['a', 'b', 'c'], 2, 1]);
    turns[1]!.abandon(); // abandoning a running request releases it
    await Promise.resolve();
    expect([order, gate.active, gate.queued]).toEqual([['a', 'b', 'c', 'e'], 2, 0]);
    turns[2]!.release();
    turns[4]!.release();
    expect([gate.active, gate.queued]).toEqual([0, 0]);
  });
});

describe('ExecutionGate with weights (query cost)', () => {
  it('admits while the weights fit, in arrival order (a light request waits behind a heavy one); one heavier than the capacity runs alone', async () => {
    const gate = new ExecutionGate(10);
    const order: string[] = [];
    const enter = (name: string, weight: number) => {
      const turn = gate.enter(weight);
      void turn.ready.then(() => order.push(name));
      return turn;
    };
    const a = enter('a', 6);
    const b = enter('b', 6);
    const c = enter('c', 1);
    await Promise.resolve();
    expect([order, gate.load, gate.queued]).toEqual([['a'], 6, 2]);
    a.release();
    await Promise.resolve();
    expect([order, gate.load, gate.queued]).toEqual([['a', 'b', 'c'], 7, 0]);
    const huge = enter('huge', 500);
    await Promise.resolve();
    expect([order.includes('huge'), gate.queued]).toEqual([false, 1]);
    b.release();
    c.release();
    await Promise.resolve();
    expect([order.at(-1), gate.load]).toEqual(['huge', 10]);
    huge.release();
    expect([gate.active, gate.load]).toEqual([0, 0]);
  });
});

describe('GRAPHQL_MAX_CONCURRENT_COST over HTTP', () => {
  let server: TestServer;
  let org: SeededOrg;
  beforeAll(async () => {
    server = await startTestServer({ GRAPHQL_MAX_CONCURRENT: '10', GRAPHQL_MAX_CONCURRENT_COST: '1' }, { metrics: true });
    org = await seedOrganization(server);
  });
  afterAll(() => server.close());

  it('with a budget below one query\'s cost, one operation executes at a time; all are answered', async () => {
    const locker = new pg.Client({ connectionString: server.db.url });
    const admin = new pg.Client({ connectionString: server.db.url });
    await Promise.all([locker.connect(), admin.connect()]);
    try {
      await locker.query('begin');
      await locker.query(`lock table "${org.schema_name}".workspaces in access exclusive mode`);
      const reads = Array.from({ length: 3 }, () =>
        fetch(`${server.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${org.users.viewer.token}` },
          body: JSON.stringify({ query: '{ workspaces(first: 1) { totalCount } }' }),
        }).then((r) => r.status),
      );
      const blocked = async () =>
        (await admin.query<{ n: number }>(`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and pid <> pg_backend_pid()`)).rows[0]!.n;
      for (let i = 0; i < 100 && (await blocked()) < 1; i++) await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 300));
      expect(await blocked()).toBe(1);
      const text = await (await fetch(`${server.url}/metrics`)).text();
      expect(text).toMatch(/^datalinx_graphql_cost_executing 1$/m);
      await locker.query('rollback');
      expect(await Promise.all(reads)).toEqual([200, 200, 200]);
    } finally {
      await locker.end();
      await admin.end();
    }
  }, 30_000);
});

describe('GRAPHQL_MAX_CONCURRENT over HTTP', () => {
  let server: TestServer;
  let org: SeededOrg;
  beforeAll(async () => {
    server = await startTestServer({ GRAPHQL_MAX_CONCURRENT: '2', GRAPHQL_TIMEOUT_MS: '6000' }, { metrics: true });
    org = await seedOrganization(server);
  });
  afterAll(() => server.close());

  const gauges = async () => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    return Object.fromEntries(text.split('\n').filter((l) => /^datalinx_graphql_requests_(executing|waiting) /.test(l)).map((l) => l.split(' ') as [string, string]));
  };
  const read = () =>
    fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${org.users.viewer.token}` },
      body: JSON.stringify({ query: '{ workspaces(first: 1) { totalCount } }' }),
    }).then(async (r) => ({ status: r.status, body: (await r.json()) as { data?: unknown; errors?: { extensions: { code: string } }[] } }));

  it('runs two at once while a lock holds them; the others wait, then all are answered once it goes', async () => {
    const locker = new pg.Client({ connectionString: server.db.url });
    const admin = new pg.Client({ connectionString: server.db.url });
    await Promise.all([locker.connect(), admin.connect()]);
    try {
      await locker.query('begin');
      await locker.query(`lock table "${org.schema_name}".workspaces in access exclusive mode`);
      const reads = Array.from({ length: 5 }, read);
      const blocked = async () =>
        (await admin.query<{ n: number }>(`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and pid <> pg_backend_pid()`)).rows[0]!.n;
      for (let i = 0; i < 100 && (await blocked()) < 2; i++) await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 300));
      expect(await blocked()).toBe(2);
      expect(await gauges()).toEqual({ datalinx_graphql_requests_executing: '2', datalinx_graphql_requests_waiting: '3' });
      await locker.query('rollback');
      const answers = await Promise.all(reads);
      expect(answers.map((a) => [a.status, a.body.data])).toEqual(Array.from({ length: 5 }, () => [200, { workspaces: { totalCount: 0 } }]));
      expect(await gauges()).toEqual({ datalinx_graphql_requests_executing: '0', datalinx_graphql_requests_waiting: '0' });
    } finally {
      await locker.end();
      await admin.end();
    }
  }, 30_000);

  it('a request that waits past GRAPHQL_TIMEOUT_MS gets 503 TIMEOUT and leaves the queue', async () => {
    const locker = new pg.Client({ connectionString: server.db.url });
    await locker.connect();
    try {
      await locker.query('begin');
      await locker.query(`lock table "${org.schema_name}".workspaces in access exclusive mode`);
      const answers = await Promise.all(Array.from({ length: 3 }, read));
      expect(answers.map((a) => [a.status, a.body.errors?.[0]?.extensions.code])).toEqual([
        [503, 'TIMEOUT'],
        [503, 'TIMEOUT'],
        [503, 'TIMEOUT'],
      ]);
      expect(await gauges()).toEqual({ datalinx_graphql_requests_executing: '0', datalinx_graphql_requests_waiting: '0' });
    } finally {
      await locker.query('rollback');
      await locker.end();
    }
    expect((await read()).status).toBe(200);
  }, 30_000);
});
