import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { platform } from '../../src/db/database.js';
import {
  adminCli,
  ERROR_FIELDS,
  globalId,
  login,
  mutate,
  PASSWORD,
  type Session,
  SESSION_FIELDS,
  testKeyringJson,
  type TypedError,
  userRow,
  useTestApi,
} from '../support/index.js';

const { server, org } = useTestApi();


const INVITE = `mutation($input: InviteUserInput!) {
  inviteUser(input: $input) { __typename ... on Invitation { invitationToken user { id email role displayName } } ${ERROR_FIELDS} }
}`;
const ACCEPT = `mutation($token: String!, $password: String!, $name: String) {
  acceptInvitation(invitationToken: $token, password: $password, displayName: $name) {
    __typename ... on AcceptInvitationPayload { session { ${SESSION_FIELDS} } } ${ERROR_FIELDS}
  }
}`;
const CREATE_USER = `mutation($input: CreateUserInput!) {
  createUser(input: $input) { __typename ... on CreateUserPayload { user { id email role displayName } } ${ERROR_FIELDS} }
}`;

type Invitation = { __typename: 'Invitation'; invitationToken: string; user: { id: string; email: string; role: string } };

const invite = (token: string, input: Record<string, unknown>) => mutate<Invitation | TypedError>(server, INVITE, { input }, token);
const accept = (token: string, password = PASSWORD, name?: string) =>
  mutate<{ __typename: string; session?: Session }>(server, ACCEPT, { token, password, name });
const REFUSED = { __typename: 'UnauthenticatedError', code: 'UNAUTHENTICATED', message: 'The invitation is invalid or expired' };

describe('inviteUser and acceptInvitation', () => {
  let invitation: Invitation;

  it('an admin invites a user, who exists without a password until they accept', async () => {
    invitation = (await invite(org.users.admin.token, { email: 'New.Hire@Example.test', role: 'EDITOR' })) as Invitation;

    expect(invitation).toEqual({
      __typename: 'Invitation',
      invitationToken: expect.any(String),
      user: { id: expect.any(String), email: 'new.hire@example.test', role: 'EDITOR', displayName: null },
    });
    const row = await platform(server.db.db).selectFrom('users').selectAll().where('email', '=', 'new.hire@example.test').executeTakeFirstOrThrow();
    expect(row.password_hash).toBeNull();
    expect(await login(server, 'new.hire@example.test', PASSWORD)).toMatchObject({ __typename: 'UnauthenticatedError' });
  });

  it('refuses a password that breaks the policy and leaves the invitation usable', async () => {
    expect(await accept(invitation.invitationToken, 'too short')).toMatchObject({ __typename: 'ValidationError', code: 'VALIDATION' });
  });

  it('acceptInvitation sets the password and signs the user in', async () => {
    const r = await accept(invitation.invitationToken, PASSWORD, 'New Hire');

    expect(r).toMatchObject({ __typename: 'AcceptInvitationPayload', session: { user: { id: invitation.user.id, email: 'new.hire@example.test', role: 'EDITOR' } } });
    const me = await server.gql('{ me { displayName role } }', {}, r.session!.accessToken);
    expect(me.body).toEqual({ data: { me: { displayName: 'New Hire', role: 'EDITOR' } } });
    expect(await login(server, 'new.hire@example.test', PASSWORD)).toMatchObject({ __typename: 'LoginPayload' });
  });

  it('works once: a second acceptInvitation with the same token is refused and the password stays', async () => {
    expect(await accept(invitation.invitationToken, 'an attacker password')).toEqual(REFUSED);
    expect(await login(server, 'new.hire@example.test', 'an attacker password')).toMatchObject({ __typename: 'UnauthenticatedError' });
  });

  it('refuses an access token or a made-up string as an invitation', async () => {
    expect(await accept(org.users.viewer.token)).toEqual(REFUSED);
    expect(await accept('not-a-token')).toEqual(REFUSED);
    expect((await userRow(server, org.users.viewer.id)).password_hash).toBeNull();
  });

  it('is for admins: an editor is refused, and an admin cannot invite an owner', async () => {
    expect(await invite(org.users.editor.token, { email: 'x@example.test', role: 'VIEWER' })).toMatchObject({ __typename: 'ForbiddenError' });
    expect(await invite(org.users.admin.token, { email: 'boss@example.test', role: 'OWNER' })).toMatchObject({ __typename: 'ForbiddenError' });
    const rows = await platform(server.db.db).selectFrom('users').select('id').where('email', 'in', ['x@example.test', 'boss@example.test']).execute();
    expect(rows).toEqual([]);
  });
});

describe('createUser', () => {
  it('adds a user with a password who can sign in at once', async () => {
    const r = await mutate(server, CREATE_USER, { input: { email: 'ops@example.test', role: 'VIEWER', password: PASSWORD, displayName: 'Ops' } }, org.users.admin.token);

    expect(r).toEqual({ __typename: 'CreateUserPayload', user: { id: expect.any(String), email: 'ops@example.test', role: 'VIEWER', displayName: 'Ops' } });
    expect(await login(server, 'ops@example.test', PASSWORD)).toMatchObject({ __typename: 'LoginPayload', session: { user: { role: 'VIEWER' } } });
  });

  it('refuses a taken email with a ConflictError, and a weak password with a ValidationError', async () => {
    const input = { email: org.users.viewer.email, role: 'VIEWER', password: PASSWORD };
    expect(await mutate(server, CREATE_USER, { input }, org.users.admin.token)).toMatchObject({ __typename: 'ConflictError' });
    expect(await mutate(server, CREATE_USER, { input: { ...input, email: 'weak@example.test', password: 'short' } }, org.users.admin.token)).toMatchObject({
      __typename: 'ValidationError',
      path: ['input', 'password'],
    });
  });
});

describe('admin CLI create-org --owner-email', () => {
  it('prints an invitation token that acceptInvitation accepts, signing in the owner', async () => {
    const env = { DATABASE_URL: server.db.url, JWT_SECRET: server.config.jwt.secret!, KEYRING: testKeyringJson(), DATA_DIR: await mkdtemp(path.join(os.tmpdir(), 'datalinx-cli-')) };
    const out = await adminCli(env, 'create-org', '--name', 'Globex', '--slug', 'globex', '--owner-email', 'Hank@Globex.test', '--owner-name', 'Hank');

    expect(out).toEqual({ code: 0, stdout: [expect.any(String)], stderr: [] });
    const printed = JSON.parse(out.stdout[0]!) as { id: string; ownerEmail: string; invitationToken: string };
    expect(printed).toMatchObject({ slug: 'globex', ownerEmail: 'hank@globex.test', invitationToken: expect.any(String) });

    const r = await accept(printed.invitationToken);
    expect(r).toMatchObject({ __typename: 'AcceptInvitationPayload', session: { user: { email: 'hank@globex.test', role: 'OWNER' } } });
    const me = await server.gql('{ me { displayName organization { id slug } } }', {}, r.session!.accessToken);
    expect(me.body).toEqual({ data: { me: { displayName: 'Hank', organization: { id: globalId('Organization', printed.id), slug: 'globex' } } } });
  });
});
