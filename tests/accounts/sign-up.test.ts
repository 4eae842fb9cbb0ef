import { platform } from '../../src/db/database.js';
import { ERROR_FIELDS, gqlData, mutate, PASSWORD, type Session, SESSION_FIELDS, type TestServer, type TypedError, useTestApi } from '../support/index.js';

const { server } = useTestApi({ env: { ALLOW_SIGNUP: 'true' }, organization: false });
const { server: closedServer } = useTestApi({ env: { ALLOW_SIGNUP: 'false' }, organization: false });

const SIGN_UP = `mutation($input: SignUpInput!) {
  signUp(input: $input) { __typename ... on SignUpPayload { session { ${SESSION_FIELDS} } } ${ERROR_FIELDS} }
}`;

type SignUpResult = { __typename: 'SignUpPayload'; session: Session } | TypedError;

const input = (slug: string, over: Record<string, unknown> = {}) => ({
  organizationName: `Org ${slug}`,
  slug,
  email: `founder@${slug}.test`,
  password: PASSWORD,
  displayName: 'Founder',
  ...over,
});

const signUp = (s: TestServer, vars: Record<string, unknown>) => mutate<SignUpResult>(s, SIGN_UP, { input: vars });

const usersWithEmail = (s: TestServer, email: string) =>
  platform(s.db.db).selectFrom('users').select('id').where('email', '=', email).execute();

describe('signUp', () => {
  it('creates the organization with the caller as its owner and signs them in', async () => {
    const r = await signUp(server, input('acme', { email: 'Ada@Acme.test' }));

    expect(r).toEqual({
      __typename: 'SignUpPayload',
      session: {
        accessToken: expect.any(String),
        refreshToken: expect.stringMatching(/^dlxr_/),
        expiresIn: 900,
        user: { id: expect.any(String), email: 'ada@acme.test', role: 'OWNER', lastLoginAt: null },
      },
    });
    const session = (r as { session: Session }).session;
    const me = await gqlData(server, '{ me { id email role displayName organization { name slug } } }', {}, session.accessToken);
    expect(me).toEqual({
      me: { id: session.user.id, email: 'ada@acme.test', role: 'OWNER', displayName: 'Founder', organization: { name: 'Org acme', slug: 'acme' } },
    });
  });

  it('is refused with a ForbiddenError when the server does not allow sign-up, and writes nothing', async () => {
    const r = await signUp(closedServer, input('closed'));

    expect(r).toEqual({ __typename: 'ForbiddenError', code: 'FORBIDDEN', message: expect.stringMatching(/sign-up is disabled/i) });
    expect(await usersWithEmail(closedServer, 'founder@closed.test')).toEqual([]);
  });

  it('refuses a taken slug with a ConflictError and leaves no user behind', async () => {
    await signUp(server, input('taken'));

    const r = await signUp(server, input('taken', { email: 'second@taken.test' }));

    expect(r).toEqual({ __typename: 'ConflictError', code: 'CONFLICT', message: expect.any(String) });
    expect(await usersWithEmail(server, 'second@taken.test')).toEqual([]);
    const orgs = await platform(server.db.db).selectFrom('organizations').select('slug').where('slug', '=', 'taken').execute();
    expect(orgs).toHaveLength(1);
  });

  it.each([
    { what: 'an 11-character password', over: { password: 'a'.repeat(11) }, path: ['input', 'password'] },
    { what: 'a 129-character password', over: { password: 'a'.repeat(129) }, path: ['input', 'password'] },
    { what: 'an email that is not an address', over: { email: 'not-an-email' }, path: ['input', 'email'] },
  ])('refuses $what with a ValidationError naming the field, and writes nothing', async ({ over, path }) => {
    const slug = `bad-${path[1]}-${String(over.password ?? '').length}`;
    const r = await signUp(server, input(slug, over));

    expect(r).toEqual({ __typename: 'ValidationError', code: 'VALIDATION', message: expect.any(String), path });
    const orgs = await platform(server.db.db).selectFrom('organizations').select('id').where('slug', '=', slug).execute();
    expect(orgs).toEqual([]);
  });

  it('accepts exactly 12 and exactly 128 characters', async () => {
    expect(await signUp(server, input('twelve', { password: 'b'.repeat(12) }))).toMatchObject({ __typename: 'SignUpPayload' });
    expect(await signUp(server, input('max-len', { password: 'c'.repeat(128) }))).toMatchObject({ __typename: 'SignUpPayload' });
  });

  it('stores the password as an argon2id hash at or above OWASP minimums (m=19456, t=2, p=1)', async () => {
    await signUp(server, input('hashed'));

    const row = await platform(server.db.db).selectFrom('users').select('password_hash').where('email', '=', 'founder@hashed.test').executeTakeFirstOrThrow();
    const phc = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/.exec(row.password_hash ?? '');
    expect(phc).not.toBeNull();
    const [, m, t, p] = phc!.map(Number);
    expect(m).toBeGreaterThanOrEqual(19_456);
    expect(t).toBeGreaterThanOrEqual(2);
    expect(p).toBe(1);
    expect(row.password_hash).not.toContain(PASSWORD);
  });
});
