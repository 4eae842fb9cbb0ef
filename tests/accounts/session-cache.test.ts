import pg from 'pg';
import { SessionCache, type CredentialNotices, type SessionFound } from '../../src/sessions/session-cache.js';
import { failure, type SeededOrg, seedOrganization, startTestServer, type TestServer, waitFor } from '../support/index.js';

/**
 * An open session is remembered between requests (SESSION_CACHE_TTL_MS), so a
 * client's next request needs no statement to authenticate. What ends a
 * session, changes a role or edits the organization elsewhere (another API
 * process, the admin CLI, SQL) is announced on `datalinx_credentials` and ends
 * what is remembered; while the listener is not listening nothing is trusted.
 * The TTL here is ten minutes, so only a notice can end an entry.
 */

const UNAUTHENTICATED = { status: 401, codes: ['UNAUTHENTICATED'] };
const logLines: string[] = [];
let server: TestServer;
let org: SeededOrg;
/** A connection of its own, as another API process or an operator would change things. */
let other: pg.Client;

beforeAll(async () => {
  server = await startTestServer(
    { SESSION_CACHE_TTL_MS: '600000', SUBSCRIPTIONS_RECONNECT_MIN_MS: '1500', SUBSCRIPTIONS_RECONNECT_MAX_MS: '1500', LOG_LEVEL: 'info' },
    { logLines },
  );
  org = await seedOrganization(server);
  other = new pg.Client({ connectionString: server.db.url });
  await other.connect();
});
afterAll(async () => {
  await other.end();
  await server.close();
});

/** The statements one request sent (authentication included), and its response. */
async function counted(query: string, token: string) {
  server.db.counter.reset();
  const res = await server.gql(query, {}, token);
  return { res, statements: server.db.counter.count };
}

/** Waits until the token's session is remembered: a request that needs no data then sends no statement. */
const remembered = (token: string) => waitFor('the session to be remembered', async () => (await counted('{ __typename }', token)).statements === 0, 10_000);

const familyOf = async (userId: string): Promise<string> =>
  (await other.query<{ family_id: string }>('select family_id from datalinx_platform.refresh_tokens where user_id = $1 and revoked_at is null limit 1', [userId])).rows[0]!.family_id;

describe('the session cache', () => {
  it('authenticates a remembered session without a statement; the first request checks it', async () => {
    const token = org.users.viewer.token;
    await remembered(token);
    const again = await counted('{ me { email } }', token);
    expect(again.res.body).toEqual({ data: { me: { email: org.users.viewer.email } } });
    // The user's row for `me`, nothing for authentication.
    expect(again.statements).toBe(1);
  });

  it('forgets a session revoked by another process as soon as the notice arrives', async () => {
    const token = org.users.editor.token;
    await remembered(token);
    await other.query('update datalinx_platform.refresh_tokens set revoked_at = now() where family_id = $1', [await familyOf(org.users.editor.id)]);
    await waitFor('the revoked session to be refused', async () => (await server.gql('{ __typename }', {}, token)).status === 401, 10_000);
    expect(failure(await server.gql('{ me { email } }', {}, token))).toEqual(UNAUTHENTICATED);
  });

  it('forgets a changed role: the next requests act with the new one', async () => {
    const other_ = await seedOrganization(server);
    const token = other_.users.admin.token;
    await remembered(token);
    await other.query(`update datalinx_platform.users set role = 'viewer' where id = $1`, [other_.users.admin.id]);
    const roleOf = async () => ((await server.gql<{ me: { role: string } }>('{ me { role } }', {}, token)).body.data?.me.role ?? null);
    await waitFor('the new role', async () => (await server.gql('{ auditLog(first: 1) { totalCount } }', {}, token)).body.errors?.[0]?.extensions?.code === 'FORBIDDEN', 10_000);
    expect(await roleOf()).toBe('VIEWER');
  });

  it("forgets an organization's row when it is edited (migration v1.0.15's notice)", async () => {
    const token = org.users.owner.token;
    await remembered(token);
    await other.query('update datalinx_platform.organizations set name = $2 where id = $1', [org.id, 'Renamed elsewhere']);
    await waitFor('the new name', async () => (await server.gql<{ organization: { name: string } }>('{ organization { name } }', {}, token)).body.data?.organization.name === 'Renamed elsewhere', 10_000);
  });

  it('trusts nothing it remembered while its listener is not listening, nor after it reconnects', async () => {
    const fresh = await seedOrganization(server);
    const [keep, revoke] = [fresh.users.viewer, fresh.users.editor];
    await remembered(keep.token);
    await remembered(revoke.token);

    const lostBefore = logLines.filter((l) => l.includes('listener connection lost')).length;
    await other.query(`select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'datalinx-job-events' and datname = current_database()`);
    await waitFor('the listener to notice', async () => logLines.filter((l) => l.includes('listener connection lost')).length > lostBefore, 10_000);
    // Revoked while nobody listens: the notice is lost, yet the session is refused at once.
    await other.query('update datalinx_platform.refresh_tokens set revoked_at = now() where family_id = $1', [await familyOf(revoke.id)]);
    expect(failure(await server.gql('{ __typename }', {}, revoke.token))).toEqual(UNAUTHENTICATED);
    // Meanwhile every request is checked.
    expect((await counted('{ __typename }', keep.token)).statements).toBe(1);

    // Listening again: what was remembered before is checked once more, then remembered anew.
    await waitFor('the listener to reconnect', async () => {
      const { rows } = await other.query(`select 1 from pg_stat_activity where application_name = 'datalinx-job-events' and datname = current_database()`);
      return rows.length > 0;
    }, 10_000);
    await remembered(keep.token);
    expect(failure(await server.gql('{ __typename }', {}, revoke.token))).toEqual(UNAUTHENTICATED);
  });

  it('signing in elsewhere forgets nothing; a logout without credentials forgets every session', async () => {
    const fresh = await seedOrganization(server);
    const token = fresh.users.viewer.token;
    await remembered(token);
    const login = await server.gql('mutation { login(email: "nobody@example.test", password: "not the password") { __typename } }');
    expect(login.status).toBe(200);
    expect((await counted('{ __typename }', token)).statements).toBe(0);
    await server.gql('mutation { logout(refreshToken: "not-a-token") }');
    expect((await counted('{ __typename }', token)).statements).toBe(1);
  });

  it('a mutation run by this process forgets its organization at once, before its response', async () => {
    const fresh = await seedOrganization(server);
    const token = fresh.users.owner.token;
    await remembered(token);
    const renamed = await server.gql('mutation { updateOrganization(input: { name: "Renamed here" }) { __typename } }', {}, token);
    expect(renamed.body.errors).toBeUndefined();
    const after = await counted('{ organization { name } }', token);
    expect(after.res.body).toEqual({ data: { organization: { name: 'Renamed here' } } });
    expect(after.statements).toBe(1);
  });
});

describe('metrics', () => {
  let measured: TestServer;
  beforeAll(async () => {
    measured = await startTestServer({}, { metrics: true });
  });
  afterAll(() => measured.close());

  it('count remembered (hit) and checked (miss) sessions, and the entries held', async () => {
    const o = await seedOrganization(measured);
    const scrape = async () => {
      const text = await (await fetch(`${measured.url}/metrics`)).text();
      const value = (series: string) => Number(new RegExp(`^${series.replace(/[{}"]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
      return { hit: value('datalinx_session_cache_lookups_total{result="hit"}'), miss: value('datalinx_session_cache_lookups_total{result="miss"}'), entries: value('datalinx_session_cache_entries') };
    };
    await waitFor('the session to be remembered', async () => {
      measured.db.counter.reset();
      await measured.gql('{ __typename }', {}, o.users.viewer.token);
      return measured.db.counter.count === 0;
    }, 10_000);
    const before = await scrape();
    expect(before.miss).toBeGreaterThanOrEqual(1);
    expect(before.entries).toBe(1);
    for (let i = 0; i < 3; i++) await measured.gql('{ __typename }', {}, o.users.viewer.token);
    const after = await scrape();
    expect(after.hit - before.hit).toBe(3);
    expect(after.miss).toBe(before.miss);
  });
});

describe('SESSION_CACHE_TTL_MS=0', () => {
  let plain: TestServer;
  beforeAll(async () => {
    plain = await startTestServer({ SESSION_CACHE_TTL_MS: '0' });
  });
  afterAll(() => plain.close());

  it('checks the session on every request', async () => {
    const o = await seedOrganization(plain);
    for (let i = 0; i < 3; i++) {
      plain.db.counter.reset();
      expect((await plain.gql('{ __typename }', {}, o.users.viewer.token)).status).toBe(200);
      expect(plain.db.counter.count).toBe(1);
    }
  });
});

describe('SessionCache', () => {
  const notices = () => {
    const watchers = new Set<(org: string | null) => void>();
    const n = {
      listening: true,
      listens: 1,
      watchCredentials: (w: (org: string | null) => void) => (watchers.add(w), () => void watchers.delete(w)),
      tell: (org: string | null) => watchers.forEach((w) => w(org)),
    };
    return n satisfies CredentialNotices;
  };
  // One instant for every row: two rows built a millisecond apart must still compare equal.
  const at = new Date('2026-12-01T00:00:00Z');
  const found = (orgId: string): SessionFound => ({
    user: { id: 'u', role: 'viewer' },
    organization: { id: orgId, name: 'n', slug: 's', schema_name: 'org_s', created_at: at, updated_at: at, settings: {} },
  });
  const check = (cache: SessionCache, org = 'o1') => {
    const r = cache.lookup('u', 'f', org);
    if (!('key' in r)) throw new Error('expected a miss');
    return r;
  };

  it('does not store what a check found when a notice for its organization came while it ran', () => {
    const n = notices();
    const cache = new SessionCache(n, { ttlMs: 60_000, max: 10 });
    const running = check(cache);
    n.tell('o1');
    cache.store(running, found('o1'));
    expect('key' in cache.lookup('u', 'f', 'o1')).toBe(true);
    // A notice for another organization does not matter.
    const next = check(cache);
    n.tell('o2');
    cache.store(next, found('o1'));
    expect(cache.lookup('u', 'f', 'o1')).toEqual(found('o1'));
  });

  it('does not store across a reconnect, and uses nothing while not listening', () => {
    const n = notices();
    const cache = new SessionCache(n, { ttlMs: 60_000, max: 10 });
    const running = check(cache);
    n.listens = 2;
    cache.store(running, found('o1'));
    expect('key' in cache.lookup('u', 'f', 'o1')).toBe(true);
    cache.store(check(cache), found('o1'));
    n.listening = false;
    expect('key' in cache.lookup('u', 'f', 'o1')).toBe(true);
    n.listening = true;
    expect(cache.lookup('u', 'f', 'o1')).toEqual(found('o1'));
    n.tell(null);
    expect('key' in cache.lookup('u', 'f', 'o1')).toBe(true);
  });

  it("gives each request its own copy of the row, and nobody can change the settings the next one reads", () => {
    const cache = new SessionCache(notices(), { ttlMs: 60_000, max: 10 });
    const stored = found('o1');
    cache.store(check(cache), stored);
    stored.organization.name = 'changed by the request that checked';
    const hit = cache.lookup('u', 'f', 'o1') as SessionFound;
    (hit.organization as { name: string }).name = 'changed by a request';
    expect((cache.lookup('u', 'f', 'o1') as SessionFound).organization.name).toBe('n');
    expect(() => {
      hit.organization.settings.x = 1;
    }).toThrow(TypeError);
  });
});
