import { sql } from 'kysely';
import { scopedDb } from '../../src/db/connection.js';
import { abandonScope, DbWorkScope } from '../../src/db/work-scope.js';
import { ServiceUnavailableError } from '../../src/errors.js';
import { finishDbScope } from '../../src/server.js';
import { createTestDb, type TestDb } from '../support/index.js';

/**
 * A request's handle on the database (src/db/connection.ts, scopedDb): its
 * checkouts are recorded in the request's scope while they are held, an
 * abandoned scope gets none, and a handle goes back for the next request only
 * when its scope finished cleanly.
 */

let t: TestDb;

beforeAll(async () => {
  t = await createTestDb({ migrate: false });
});
afterAll(() => t.close());

/** Waits (up to a second) until `scope` holds a client. */
async function untilHeld(scope: DbWorkScope): Promise<void> {
  for (let i = 0; i < 200 && scope.clients.size === 0; i++) await new Promise((r) => setTimeout(r, 5));
}

/** Runs `pg_sleep` on `db` and reports the clients its scope held meanwhile. */
async function heldWhileRunning(db: ReturnType<typeof scopedDb>, scope: DbWorkScope): Promise<number> {
  const running = sql`select pg_sleep(0.2)`.execute(db);
  await untilHeld(scope);
  const held = scope.clients.size;
  await running;
  return held;
}

it('records the connection a statement holds in the scope, and forgets it once released', async () => {
  const scope = new DbWorkScope();
  const db = scopedDb(t.db, scope);
  expect(db).not.toBe(t.db);
  expect(await heldWhileRunning(db, scope)).toBe(1);
  expect(scope.clients.size).toBe(0);
});

it('gives an abandoned scope no connection, and cancels what its handle runs', async () => {
  const scope = new DbWorkScope();
  const db = scopedDb(t.db, scope);
  const running = sql`select pg_sleep(30)`.execute(db).then(
    () => 'finished',
    (err: { code?: string }) => err.code,
  );
  await untilHeld(scope);
  // The statement may not have reached the server yet when its connection is recorded.
  await new Promise((r) => setTimeout(r, 100));
  await abandonScope(scope);
  expect(await running).toBe('57014');
  await expect(sql`select 1`.execute(db)).rejects.toBeInstanceOf(ServiceUnavailableError);
});

it('lends a finished handle to the next scope, which alone records its checkouts', async () => {
  const first = new DbWorkScope();
  const db = scopedDb(t.db, first);
  await sql`select 1`.execute(db);
  first.finished();

  const second = new DbWorkScope();
  expect(scopedDb(t.db, second)).toBe(db);
  expect(await heldWhileRunning(db, second)).toBe(1);
  expect(first.clients.size).toBe(0);
  // Abandoning the earlier request does not touch the handle's new one.
  first.abandoned = true;
  await expect(sql`select 1 as one`.execute(db)).resolves.toMatchObject({ rows: [{ one: 1 }] });
});

it('does not lend again a handle whose scope was abandoned or never finished', async () => {
  const abandoned = new DbWorkScope();
  const fromAbandoned = scopedDb(t.db, abandoned);
  abandoned.abandoned = true;
  abandoned.finished();
  const unfinished = scopedDb(t.db, new DbWorkScope());

  const next = new DbWorkScope();
  const db = scopedDb(t.db, next);
  expect(db).not.toBe(fromAbandoned);
  expect(db).not.toBe(unfinished);
  await expect(sql`select 1 as one`.execute(fromAbandoned)).rejects.toBeInstanceOf(ServiceUnavailableError);
});

it('leaves the pool open when a request handle is destroyed', async () => {
  const scope = new DbWorkScope();
  await scopedDb(t.db, scope).destroy();
  await expect(sql`select 1 as one`.execute(t.db)).resolves.toMatchObject({ rows: [{ one: 1 }] });
});

describe('finishDbScope (the Apollo plugin that finishes a request scope)', () => {
  /** Runs the plugin's willSendResponse for a request on `scope` whose result has `errors`. */
  async function send(scope: DbWorkScope, errors?: unknown[]) {
    const listener = await finishDbScope.requestDidStart!({} as never);
    await listener!.willSendResponse!({ contextValue: { dbScope: scope }, response: { body: { kind: 'single', singleResult: { data: {}, ...(errors ? { errors } : {}) } } } } as never);
  }

  it('gives the handle back after a response without errors', async () => {
    const scope = new DbWorkScope();
    const db = scopedDb(t.db, scope);
    await send(scope);
    expect(scopedDb(t.db, new DbWorkScope())).toBe(db);
  });

  it('keeps it out of use after a response with errors, whose sibling resolvers may still run', async () => {
    const scope = new DbWorkScope();
    const db = scopedDb(t.db, scope);
    await send(scope, [{ message: 'Cannot return null for non-nullable field' }]);
    expect(scopedDb(t.db, new DbWorkScope())).not.toBe(db);
    // Its later statements are still this request's.
    expect(await heldWhileRunning(db, scope)).toBe(1);
  });
});
