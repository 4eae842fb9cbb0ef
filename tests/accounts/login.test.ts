import { sql } from 'kysely';
import { INVALID_CREDENTIALS } from '../../src/sessions/session.manager.js';
import { platform } from '../../src/db/database.js';
import { ERROR_FIELDS, globalId, login, type LoginResult, newUser, PASSWORD, SESSION_FIELDS, userRow, useTestApi } from '../support/index.js';

const logLines: string[] = [];
const { server, org } = useTestApi({ logLines });

/** A user of the seeded organization with a password and no sign-in yet: each test starts from its own. */
const person = (role: 'viewer' | 'editor' | 'admin' | 'owner' = 'viewer') => newUser(server, org, role, PASSWORD);

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
    const { id, email } = await person();
    expect((await userRow(server, id)).last_login_at).toBeNull();

    const r = await login(server, email.toUpperCase(), PASSWORD);

    expect(r).toEqual({
      __typename: 'LoginPayload',
      mfaRequired: false,
      mfaChallenge: null,
      session: {
        accessToken: expect.any(String),
        refreshToken: expect.stringMatching(/^dlxr_/),
        expiresIn: 900,
        user: { id: globalId('User', id), email, role: 'VIEWER', lastLoginAt: null },
      },
    });
    expect((await userRow(server, id)).last_login_at).toBeInstanceOf(Date);
  });

  it('answers an unknown email and a wrong password with the identical response body', async () => {
    const { email } = await person();
    const unknown = await server.gql(`mutation { login(email: "nobody@nowhere.test", password: "whatever-it-is") { __typename ${ERROR_FIELDS} } }`);
    const wrong = await server.gql(`mutation { login(email: "${email}", password: "whatever-it-is") { __typename ${ERROR_FIELDS} } }`);

    expect(unknown.status).toBe(wrong.status);
    expect(JSON.stringify(unknown.body)).toBe(JSON.stringify(wrong.body));
    expect(wrong.body).toEqual({ data: { login: REFUSED } });
  });

  it('counts failures per account, not across accounts', async () => {
    const [failing, bystander] = [await person(), await person()];
    await failTimes(failing.email, 3);

    expect(await lockOf(failing.id)).toMatchObject({ failures: 3, lockedUntil: null });
    expect(await lockOf(bystander.id)).toMatchObject({ failures: 0, lockedUntil: null });

    await login(server, failing.email, PASSWORD);
    expect(await lockOf(failing.id)).toMatchObject({ failures: 0, lockouts: 0 });
  });

  it('locks the account after 5 failures: even the right password then gets the same refusal, and the lock is logged', async () => {
    const { id, email } = await person();
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
    const { id, email } = await person();
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

  it('locks for a day at the most, however many lockouts came before', async () => {
    const { id, email } = await person();
    // test arrangement: an account locked out many times already (2^20 minutes would be two years)
    await platform(server.db.db).updateTable('users').set({ lockout_count: 40 }).where('id', '=', id).execute();

    await failTimes(email, 5);

    const lock = await lockOf(id);
    expect(lock.lockouts).toBe(41);
    const remaining = lock.lockedUntil!.getTime() - lock.now.getTime();
    expect(remaining).toBeGreaterThan(24 * 3_600_000 - 60_000);
    expect(remaining).toBeLessThanOrEqual(24 * 3_600_000);
  });

  it('lets the user in once the lock has passed, and a success clears the counters', async () => {
    const { id, email } = await person();
    await failTimes(email, 5);
    expect(await lockOf(id)).toMatchObject({ lockouts: 1 });
    await endLock(id);

    expect(await login(server, email, PASSWORD)).toMatchObject({ __typename: 'LoginPayload', mfaRequired: false });
    expect(await lockOf(id)).toMatchObject({ lockedUntil: null, lockouts: 0, failures: 0 });
  });

  it('allows one credential check per request: an aliased second login is a ValidationError and is not counted', async () => {
    const { id, email } = await person();
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
    expect((await lockOf(id)).failures).toBe(1);
  });

  it('does not let aliases smuggle a session past the check either', async () => {
    const { email } = await person();
    const res = await server.gql<{ a: LoginResult; b: LoginResult }>(
      `mutation($e: String!, $p: String!) {
        a: login(email: $e, password: "wrong password 1") { __typename }
        b: login(email: $e, password: $p) { __typename ... on LoginPayload { session { ${SESSION_FIELDS} } } }
      }`,
      { e: email, p: PASSWORD },
    );

    expect(res.body.data).toEqual({ a: { __typename: 'UnauthenticatedError' }, b: { __typename: 'ValidationError' } });
  });
});

describe('login under parallel guesses', () => {
  it('counts every one of 4 simultaneous failures', async () => {
    const { id, email } = await person();

    await Promise.all([1, 2, 3, 4].map(() => login(server, email, 'wrong password!!')));

    expect(await lockOf(id)).toMatchObject({ failures: 4, lockouts: 0, lockedUntil: null });
  });

  it('20 simultaneous logins, 19 wrong and the right one: the account locks and all 20 are refused', async () => {
    const { id, email } = await person();
    const passwords = Array.from({ length: 20 }, (_, i) => (i === 10 ? PASSWORD : `wrong password ${i}!!`));

    const results = await Promise.all(passwords.map((p) => login(server, email, p)));

    expect(results).toEqual(passwords.map(() => REFUSED));
    const lock = await lockOf(id);
    expect(lock.lockouts).toBe(1);
    expect(lock.lockedUntil!.getTime()).toBeGreaterThan(lock.now.getTime());
    // Once locked, the right password is refused too, until the lock passes.
    expect(await login(server, email, PASSWORD)).toEqual(REFUSED);
  });
});
