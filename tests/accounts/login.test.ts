import { sql } from 'kysely';
import { INVALID_CREDENTIALS } from '../../src/sessions/session.manager.js';
import { platform } from '../../src/db/database.js';
import { ERROR_FIELDS, login, PASSWORD, SESSION_FIELDS, setPassword, userRow, type LoginResult } from '../support/accounts-seed.js';
import { seedOrganization, startTestServer, type SeededOrg, type TestServer } from '../support/test-server.js';

let server: TestServer;
let org: SeededOrg;
const logLines: string[] = [];

beforeAll(async () => {
  server = await startTestServer({}, { logLines });
  org = await seedOrganization(server);
  for (const role of ['viewer', 'editor', 'admin', 'owner'] as const) await setPassword(server, org.users[role].id);
});
afterAll(() => server.close());

const REFUSED = { __typename: 'UnauthenticatedError', code: 'UNAUTHENTICATED', message: INVALID_CREDENTIALS };

async function failTimes(email: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) expect(await login(server, email, 'wrong password!!')).toEqual(REFUSED);
}

/** The lock's end and the database's clock, read together. */
async function lockOf(id: string): Promise<{ lockedUntil: Date | null; now: Date; lockouts: number; failures: number }> {
  // test: lock state of one user with the database's now()
  const { rows } = await sql<{ locked_until: Date | null; now: Date; lockout_count: number; failed_login_count: number }>`
    select locked_until, now() as now, lockout_count, failed_login_count from datalinx_platform.users where id = ${id}`.execute(server.db.db);
  const r = rows[0]!;
  return { lockedUntil: r.locked_until, now: r.now, lockouts: r.lockout_count, failures: r.failed_login_count };
}

const endLock = (id: string) =>
  platform(server.db.db).updateTable('users').set({ locked_until: sql`now() - interval '1 second'` }).where('id', '=', id).execute();

describe('login', () => {
  it('with the right password returns a session and records the sign-in time', async () => {
    expect((await userRow(server, org.users.viewer.id)).last_login_at).toBeNull();

    const r = await login(server, org.users.viewer.email.toUpperCase(), PASSWORD);

    expect(r).toEqual({
      __typename: 'LoginPayload',
      mfaRequired: false,
      mfaChallenge: null,
      session: {
        accessToken: expect.any(String),
        refreshToken: expect.stringMatching(/^dlxr_/),
        expiresIn: 900,
        user: { id: expect.any(String), email: org.users.viewer.email, role: 'VIEWER', lastLoginAt: null },
      },
    });
    expect((await userRow(server, org.users.viewer.id)).last_login_at).toBeInstanceOf(Date);
  });

  it('answers an unknown email and a wrong password with the identical response body', async () => {
    const unknown = await server.gql(`mutation { login(email: "nobody@nowhere.test", password: "whatever-it-is") { __typename ${ERROR_FIELDS} } }`);
    const wrong = await server.gql(`mutation { login(email: "${org.users.editor.email}", password: "whatever-it-is") { __typename ${ERROR_FIELDS} } }`);

    expect(unknown.status).toBe(wrong.status);
    expect(JSON.stringify(unknown.body)).toBe(JSON.stringify(wrong.body));
    expect(wrong.body).toEqual({ data: { login: REFUSED } });
  });

  it('counts failures per account, not across accounts', async () => {
    const before = await lockOf(org.users.owner.id);
    await failTimes(org.users.admin.email, 3);

    expect(await lockOf(org.users.admin.id)).toMatchObject({ failures: 3, lockedUntil: null });
    expect(await lockOf(org.users.owner.id)).toMatchObject({ failures: before.failures, lockedUntil: null });

    await login(server, org.users.admin.email, PASSWORD);
    expect(await lockOf(org.users.admin.id)).toMatchObject({ failures: 0, lockouts: 0 });
  });

  it('locks the account after 5 failures: even the right password then gets the same refusal, and the lock is logged', async () => {
    const { id, email } = org.users.editor;
    await login(server, email, PASSWORD); // starts from zero failures
    await failTimes(email, 4);
    expect(await login(server, email, PASSWORD)).toMatchObject({ __typename: 'LoginPayload' });

    await failTimes(email, 5);

    expect(await login(server, email, PASSWORD)).toEqual(REFUSED);
    const lock = await lockOf(id);
    expect(lock.lockedUntil!.getTime()).toBeGreaterThan(lock.now.getTime());
    const logged = logLines.map((l) => JSON.parse(l) as { msg: string; userId?: string }).filter((l) => l.msg.includes('account locked'));
    expect(logged).toContainEqual(expect.objectContaining({ userId: id }));
    expect(logLines.join('\n')).not.toContain(PASSWORD);
  });

  it('locks for longer on each lockout', async () => {
    const { id, email } = org.users.owner;
    await failTimes(email, 5);
    const first = await lockOf(id);
    await endLock(id);

    await failTimes(email, 5);
    const second = await lockOf(id);

    expect({ first: first.lockouts, second: second.lockouts }).toEqual({ first: 1, second: 2 });
    const firstRemaining = first.lockedUntil!.getTime() - first.now.getTime();
    const secondRemaining = second.lockedUntil!.getTime() - second.now.getTime();
    expect(firstRemaining).toBeGreaterThan(0);
    expect(firstRemaining).toBeLessThanOrEqual(60_000);
    expect(secondRemaining).toBeGreaterThan(60_000);
    expect(secondRemaining).toBeLessThanOrEqual(120_000);
  });

  it('lets the user in once the lock has passed, and a success clears the counters', async () => {
    const { id, email } = org.users.owner;
    await endLock(id);

    expect(await login(server, email, PASSWORD)).toMatchObject({ __typename: 'LoginPayload', mfaRequired: false });
    expect(await lockOf(id)).toMatchObject({ lockedUntil: null, lockouts: 0, failures: 0 });
  });

  it('allows one credential check per request: an aliased second login is a ValidationError and is not counted', async () => {
    const { id, email } = org.users.admin;
    const before = await lockOf(id);
    const res = await server.gql<{ a: LoginResult; b: LoginResult }>(
      `mutation($e: String!) {
        a: login(email: $e, password: "wrong password 1") { __typename ${ERROR_FIELDS} }
        b: login(email: $e, password: "wrong password 2") { __typename ${ERROR_FIELDS} }
      }`,
      { e: email },
    );

    expect(res.body).toEqual({
      data: {
        a: REFUSED,
        b: { __typename: 'ValidationError', code: 'VALIDATION', message: 'Only one sign-in operation is allowed per request', path: [] },
      },
    });
    expect((await lockOf(id)).failures).toBe(before.failures + 1);
  });

  it('does not let aliases smuggle a session past the check either', async () => {
    const res = await server.gql<{ a: LoginResult; b: LoginResult }>(
      `mutation($e: String!, $p: String!) {
        a: login(email: $e, password: "wrong password 1") { __typename }
        b: login(email: $e, password: $p) { __typename ... on LoginPayload { session { ${SESSION_FIELDS} } } }
      }`,
      { e: org.users.viewer.email, p: PASSWORD },
    );

    expect(res.body.data).toEqual({ a: { __typename: 'UnauthenticatedError' }, b: { __typename: 'ValidationError' } });
  });
});
