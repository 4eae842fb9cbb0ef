import {
  createServiceAccount,
  ERROR_FIELDS,
  failure,
  mutate,
  PASSWORD,
  refresh,
  type SeededOrg,
  seedOrganization,
  setPassword,
  signIn,
  startTestServer,
  type TestServer,
} from '../support/index.js';

/**
 * Access tokens belong to their session (the refresh-token family they were
 * issued with): ending the session ends them at once, not 15 minutes later.
 */

let server: TestServer;
let org: SeededOrg;

beforeAll(async () => {
  server = await startTestServer();
  org = await seedOrganization(server);
  for (const role of ['viewer', 'editor', 'admin', 'owner'] as const) await setPassword(server, org.users[role].id);
});
afterAll(() => server.close());

const ME = '{ me { email } }';
const UNAUTHENTICATED = { status: 401, codes: ['UNAUTHENTICATED'] };
const works = async (token: string) => (await server.gql(ME, {}, token)).status === 200;

describe('an access token', () => {
  it('stops working as soon as its session logs out; another session of the user keeps working', async () => {
    const [a, b] = [await signIn(server, org.users.viewer.email), await signIn(server, org.users.viewer.email)];
    expect([await works(a.accessToken), await works(b.accessToken)]).toEqual([true, true]);

    expect((await server.gql('mutation($t: String!) { logout(refreshToken: $t) }', { t: a.refreshToken })).body).toEqual({ data: { logout: true } });

    expect(failure(await server.gql(ME, {}, a.accessToken))).toEqual(UNAUTHENTICATED);
    expect(await works(b.accessToken)).toBe(true);
  });

  it('of another session stops working as soon as the password changes; the session that changed it goes on', async () => {
    const [a, b] = [await signIn(server, org.users.editor.email), await signIn(server, org.users.editor.email)];

    const changed = await mutate(
      server,
      `mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) { __typename ${ERROR_FIELDS} } }`,
      { c: PASSWORD, n: 'another long passphrase' },
      a.accessToken,
    );

    expect(changed).toEqual({ __typename: 'ChangePasswordPayload' });
    expect(await works(a.accessToken)).toBe(true);
    expect(failure(await server.gql(ME, {}, b.accessToken))).toEqual(UNAUTHENTICATED);
  });

  it('stops working when its refresh family is revoked because a spent refresh token came back', async () => {
    const first = await signIn(server, org.users.admin.email);
    const rotated = await refresh(server, first.refreshToken);
    const second = rotated.session!;
    expect([await works(first.accessToken), await works(second.accessToken)]).toEqual([true, true]);

    expect(await refresh(server, first.refreshToken)).toMatchObject({ __typename: 'UnauthenticatedError' });

    expect(failure(await server.gql(ME, {}, first.accessToken))).toEqual(UNAUTHENTICATED);
    expect(failure(await server.gql(ME, {}, second.accessToken))).toEqual(UNAUTHENTICATED);
  });

  it('keeps working through a refresh (rotation is not revocation)', async () => {
    const s = await signIn(server, org.users.owner.email);
    await refresh(server, s.refreshToken);
    expect(await works(s.accessToken)).toBe(true);
  });

  it('costs the request no extra statement: the session is checked with the user, in one query', async () => {
    const s = await signIn(server, org.users.owner.email);
    server.db.counter.reset();
    expect(await works(s.accessToken)).toBe(true);
    // user (with its session) and organization, then `me`
    expect(server.db.counter.count).toBeLessThanOrEqual(3);
  });
});

describe('a service-account key', () => {
  it('is not tied to the sessions of the admin who made it', async () => {
    const admin = await signIn(server, org.users.admin.email);
    const { apiKey } = await createServiceAccount(server, admin.accessToken, 'VIEWER');
    await server.gql('mutation($t: String!) { logout(refreshToken: $t) }', { t: admin.refreshToken });

    expect((await server.gql('{ workspaces { totalCount } }', {}, apiKey)).body).toEqual({ data: { workspaces: { totalCount: 0 } } });
  });
});
