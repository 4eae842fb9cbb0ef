import { parse } from 'graphql';
import pg from 'pg';
import { ExecutionGate } from '../../src/execution-gate.js';
import type { GraphQLContext } from '../../src/graphql/context.js';
import { costGatePlugin } from '../../src/graphql/cost-gate.plugin.js';
import { responseText } from '../../src/graphql/response-text.js';
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

/** A test server with `env`, an organization, and a read of its workspaces table. */
function useGatedServer(env: Record<string, string>) {
  const ctx = {} as { server: TestServer; org: SeededOrg };
  beforeAll(async () => {
    ctx.server = await startTestServer(env, { metrics: true });
    ctx.org = await seedOrganization(ctx.server);
  });
  afterAll(() => ctx.server.close());
  const read = () =>
    fetch(`${ctx.server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ctx.org.users.viewer.token}` },
      body: JSON.stringify({ query: '{ workspaces(first: 1) { totalCount } }' }),
    }).then(async (r) => ({ status: r.status, body: (await r.json()) as { data?: unknown; errors?: { extensions: { code: string } }[] } }));
  const gauges = async () => {
    const text = await (await fetch(`${ctx.server.url}/metrics`)).text();
    return Object.fromEntries(text.split('\n').filter((l) => /^datalinx_graphql_(requests_executing|requests_waiting|cost_executing) /.test(l)).map((l) => l.split(' ') as [string, string]));
  };
  return { ctx, read, gauges };
}

/**
 * Holds an access-exclusive lock on the organization's workspaces table, so the
 * requests that read it wait inside PostgreSQL; `blocked(n)` waits until n do.
 */
async function holdWorkspaces(server: TestServer, org: SeededOrg) {
  const locker = new pg.Client({ connectionString: server.db.url });
  const admin = new pg.Client({ connectionString: server.db.url });
  await Promise.all([locker.connect(), admin.connect()]);
  await locker.query('begin');
  await locker.query(`lock table "${org.schema_name}".workspaces in access exclusive mode`);
  const waiting = async () =>
    (await admin.query<{ n: number }>(`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and pid <> pg_backend_pid()`)).rows[0]!.n;
  return {
    /** How many statements wait on the lock, once at least `n` do (and a moment has passed for more). */
    async blocked(n: number): Promise<number> {
      for (let i = 0; i < 100 && (await waiting()) < n; i++) await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 300));
      return waiting();
    },
    release: () => locker.query('rollback'),
    async end() {
      await locker.query('rollback').catch(() => undefined);
      await Promise.all([locker.end(), admin.end()]);
    },
  };
}

describe('GRAPHQL_MAX_CONCURRENT_COST over HTTP', () => {
  const { ctx, read, gauges } = useGatedServer({ GRAPHQL_MAX_CONCURRENT: '10', GRAPHQL_MAX_CONCURRENT_COST: '1' });

  it("with a budget below one query's cost, one operation executes at a time; all are answered", async () => {
    const lock = await holdWorkspaces(ctx.server, ctx.org);
    try {
      const reads = Array.from({ length: 3 }, read);
      expect(await lock.blocked(1)).toBe(1);
      expect((await gauges()).datalinx_graphql_cost_executing).toBe('1');
      await lock.release();
      expect((await Promise.all(reads)).map((r) => r.status)).toEqual([200, 200, 200]);
    } finally {
      await lock.end();
    }
  }, 30_000);
});

describe('GRAPHQL_MAX_CONCURRENT over HTTP', () => {
  const { ctx, read, gauges } = useGatedServer({ GRAPHQL_MAX_CONCURRENT: '2', GRAPHQL_TIMEOUT_MS: '6000' });
  const requestGauges = async () => {
    const { datalinx_graphql_cost_executing: _cost, ...rest } = await gauges();
    return rest;
  };

  it('runs two at once while a lock holds them; the others wait, then all are answered once it goes', async () => {
    const lock = await holdWorkspaces(ctx.server, ctx.org);
    try {
      const reads = Array.from({ length: 5 }, read);
      expect(await lock.blocked(2)).toBe(2);
      expect(await requestGauges()).toEqual({ datalinx_graphql_requests_executing: '2', datalinx_graphql_requests_waiting: '3' });
      await lock.release();
      const answers = await Promise.all(reads);
      expect(answers.map((a) => [a.status, a.body.data])).toEqual(Array.from({ length: 5 }, () => [200, { workspaces: { totalCount: 0 } }]));
      expect(await requestGauges()).toEqual({ datalinx_graphql_requests_executing: '0', datalinx_graphql_requests_waiting: '0' });
    } finally {
      await lock.end();
    }
  }, 30_000);

  it('a request that waits past GRAPHQL_TIMEOUT_MS gets 503 TIMEOUT and leaves the queue', async () => {
    const lock = await holdWorkspaces(ctx.server, ctx.org);
    try {
      const answers = await Promise.all(Array.from({ length: 3 }, read));
      expect(answers.map((a) => [a.status, a.body.errors?.[0]?.extensions.code])).toEqual([
        [503, 'TIMEOUT'],
        [503, 'TIMEOUT'],
        [503, 'TIMEOUT'],
      ]);
      expect(await requestGauges()).toEqual({ datalinx_graphql_requests_executing: '0', datalinx_graphql_requests_waiting: '0' });
    } finally {
      await lock.end();
    }
    expect((await read()).status).toBe(200);
  }, 30_000);
});

describe('a costly response is serialised a turn of the event loop after its execution, in slices', () => {
  const plugin = costGatePlugin(new ExecutionGate(1_000_000));
  const busy = (ms: number) => {
    const end = performance.now() + ms;
    while (performance.now() < end);
  };
  /** Each item takes 2 ms to serialise: 30 of them, more than a slice of the event loop. */
  const slowData = () => ({ items: Array.from({ length: 30 }, (_, i) => ({ toJSON: () => (busy(2), i) })) });
  /** Whether a timer set when execution completed had run by the time willSendResponse returned, and how the data is then serialised. */
  async function sendResponse(query: string) {
    const context = { limits: { depth: 100, complexity: 1_000_000 } } as unknown as GraphQLContext;
    const listener = (await plugin.requestDidStart!({} as never))!;
    await listener.didResolveOperation!({ document: parse(query), request: { variables: {} }, contextValue: context } as never);
    let ran = false;
    setTimeout(() => (ran = true), 0);
    const data = slowData();
    await listener.willSendResponse!({ response: { body: { kind: 'single', singleResult: { data } } } } as never);
    const timerRan = ran;
    const text = responseText({ data });
    return { timerRan, inSlices: text instanceof Promise, text: await text };
  }

  it('from a cost of 10,000 on (the 50×20×10 dashboard), other timers and I/O run first and the JSON is written in slices; a small one goes at once, in one piece', async () => {
    const big = '{ workspaces(first: 50) { edges { node { mappings(first: 20) { edges { node { id fieldMappings { targetField } } } } } } } }';
    const expected = JSON.stringify({ data: { items: [...Array(30).keys()] } });
    expect(await sendResponse(big)).toEqual({ timerRan: true, inSlices: true, text: expected });
    expect(await sendResponse('{ workspaces(first: 5) { edges { node { name } } } }')).toEqual({ timerRan: false, inSlices: false, text: expected });
  });
});
