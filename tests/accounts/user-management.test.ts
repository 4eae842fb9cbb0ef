import {
  ERROR_FIELDS,
  globalId,
  login,
  mutate,
  PASSWORD,
  refresh,
  type SeededOrg,
  seedOrganization,
  setPassword,
  signIn,
  type TypedError,
  userRow,
  useTestApi,
} from '../support/index.js';

const { server, org } = useTestApi();
let other: SeededOrg;

beforeAll(async () => {
  other = await seedOrganization(server);
});

type UserResult = { __typename: string; user?: { id: string; role: string; displayName?: string | null } } | TypedError;

const UPDATE_ROLE = `mutation($userId: ID!, $role: Role!) {
  updateUserRole(userId: $userId, role: $role) { __typename ... on UpdateUserRolePayload { user { id role } } ${ERROR_FIELDS} }
}`;
const REMOVE = `mutation($userId: ID!) { removeUser(userId: $userId) { __typename ... on RemoveUserPayload { user { id role } } ${ERROR_FIELDS} } }`;
const TRANSFER = `mutation($userId: ID!) {
  transferOwnership(userId: $userId) { __typename ... on TransferOwnershipPayload { user { id role } } ${ERROR_FIELDS} }
}`;
const UPDATE_ME = `mutation($name: String) { updateMe(displayName: $name) { __typename ... on UpdateMePayload { user { id displayName } } ${ERROR_FIELDS} } }`;
const CHANGE_PASSWORD = `mutation($current: String!, $next: String!) {
  changePassword(currentPassword: $current, newPassword: $next) { __typename ... on ChangePasswordPayload { user { id } } ${ERROR_FIELDS} }
}`;

const setRole = (token: string, userId: string, role: string) => mutate<UserResult>(server, UPDATE_ROLE, { userId: globalId('User', userId), role }, token);
const roleOf = async (id: string) => (await userRow(server, id)).role;

describe('updateUserRole', () => {
  it('an admin changes roles below owner', async () => {
    expect(await setRole(org.users.admin.token, org.users.viewer.id, 'EDITOR')).toEqual({
      __typename: 'UpdateUserRolePayload',
      user: { id: globalId('User', org.users.viewer.id), role: 'EDITOR' },
    });
    await setRole(org.users.admin.token, org.users.viewer.id, 'VIEWER');
    expect(await roleOf(org.users.viewer.id)).toBe('viewer');
  });

  it('an admin can neither grant nor take away the owner role', async () => {
    expect(await setRole(org.users.admin.token, org.users.editor.id, 'OWNER')).toMatchObject({ __typename: 'ForbiddenError' });
    expect(await setRole(org.users.admin.token, org.users.owner.id, 'ADMIN')).toMatchObject({ __typename: 'ForbiddenError' });
    expect({ editor: await roleOf(org.users.editor.id), owner: await roleOf(org.users.owner.id) }).toEqual({ editor: 'editor', owner: 'owner' });
  });

  it('an owner grants the owner role and takes it back', async () => {
    expect(await setRole(org.users.owner.token, org.users.editor.id, 'OWNER')).toMatchObject({ user: { role: 'OWNER' } });
    expect(await setRole(org.users.owner.token, org.users.editor.id, 'EDITOR')).toMatchObject({ user: { role: 'EDITOR' } });
  });

  it('the last owner cannot be demoted (ConflictError)', async () => {
    expect(await setRole(org.users.owner.token, org.users.owner.id, 'ADMIN')).toMatchObject({ __typename: 'ConflictError', code: 'CONFLICT' });
    expect(await roleOf(org.users.owner.id)).toBe('owner');
  });

  it('is for admins, and cannot reach users of another organization', async () => {
    expect(await setRole(org.users.editor.token, org.users.viewer.id, 'EDITOR')).toMatchObject({ __typename: 'ForbiddenError' });
    expect(await setRole(org.users.admin.token, other.users.viewer.id, 'ADMIN')).toMatchObject({ __typename: 'NotFoundError' });
    expect(await roleOf(other.users.viewer.id)).toBe('viewer');
  });
});

describe('removeUser', () => {
  it('an admin removes a member, whose token then stops working', async () => {
    const r = await mutate<UserResult>(server, REMOVE, { userId: globalId('User', org.users.viewer.id) }, org.users.admin.token);

    expect(r).toEqual({ __typename: 'RemoveUserPayload', user: { id: globalId('User', org.users.viewer.id), role: 'VIEWER' } });
    expect((await server.gql('{ me { id } }', {}, org.users.viewer.token)).status).toBe(401);
  });

  it('the last owner cannot be removed (ConflictError), not even by themselves', async () => {
    expect(await mutate(server, REMOVE, { userId: globalId('User', org.users.owner.id) }, org.users.owner.token)).toMatchObject({ __typename: 'ConflictError' });
    expect(await roleOf(org.users.owner.id)).toBe('owner');
  });

  it('refuses editors and users of another organization', async () => {
    expect(await mutate(server, REMOVE, { userId: globalId('User', org.users.admin.id) }, org.users.editor.token)).toMatchObject({ __typename: 'ForbiddenError' });
    expect(await mutate(server, REMOVE, { userId: globalId('User', other.users.editor.id) }, org.users.admin.token)).toMatchObject({ __typename: 'NotFoundError' });
    expect(await roleOf(other.users.editor.id)).toBe('editor');
  });
});

describe('transferOwnership', () => {
  it('makes the target the owner and the caller an admin', async () => {
    const r = await mutate(server, TRANSFER, { userId: globalId('User', other.users.admin.id) }, other.users.owner.token);

    expect(r).toEqual({ __typename: 'TransferOwnershipPayload', user: { id: globalId('User', other.users.admin.id), role: 'OWNER' } });
    expect({ before: await roleOf(other.users.owner.id), target: await roleOf(other.users.admin.id) }).toEqual({ before: 'admin', target: 'owner' });
  });

  it('is for the owner only: the former owner cannot transfer it again', async () => {
    expect(await mutate(server, TRANSFER, { userId: globalId('User', other.users.editor.id) }, other.users.owner.token)).toMatchObject({ __typename: 'ForbiddenError' });
    expect(await roleOf(other.users.editor.id)).toBe('editor');
  });

  it('cannot hand the organization to a user of another organization', async () => {
    expect(await mutate(server, TRANSFER, { userId: globalId('User', org.users.editor.id) }, other.users.admin.token)).toMatchObject({ __typename: 'NotFoundError' });
    expect(await roleOf(other.users.admin.id)).toBe('owner');
  });
});

describe('updateMe', () => {
  it('changes the caller’s display name', async () => {
    expect(await mutate(server, UPDATE_ME, { name: '  Eddie  ' }, org.users.editor.token)).toEqual({
      __typename: 'UpdateMePayload',
      user: { id: globalId('User', org.users.editor.id), displayName: 'Eddie' },
    });
  });
});

describe('changePassword', () => {
  beforeAll(() => setPassword(server, org.users.editor.id));

  it('refuses a wrong current password and keeps the old one', async () => {
    const r = await mutate(server, CHANGE_PASSWORD, { current: 'not my password', next: 'a brand new password' }, org.users.editor.token);

    expect(r).toEqual({ __typename: 'UnauthenticatedError', code: 'UNAUTHENTICATED', message: 'The current password is wrong' });
    expect(await login(server, org.users.editor.email, PASSWORD)).toMatchObject({ __typename: 'LoginPayload' });
  });

  it('refuses a new password that breaks the policy', async () => {
    const r = await mutate(server, CHANGE_PASSWORD, { current: PASSWORD, next: 'short' }, org.users.editor.token);
    expect(r).toMatchObject({ __typename: 'ValidationError' });
  });

  it('stores the new password and ends every other session; the one that changed it stays signed in', async () => {
    const [a, b] = [await signIn(server, org.users.editor.email), await signIn(server, org.users.editor.email)];

    const r = await mutate(server, CHANGE_PASSWORD, { current: PASSWORD, next: 'a brand new password' }, a.accessToken);

    expect(r).toEqual({ __typename: 'ChangePasswordPayload', user: { id: globalId('User', org.users.editor.id) } });
    expect(await refresh(server, a.refreshToken)).toMatchObject({ __typename: 'RefreshTokenPayload' });
    expect(await refresh(server, b.refreshToken)).toMatchObject({ __typename: 'UnauthenticatedError' });
    expect(await login(server, org.users.editor.email, PASSWORD)).toMatchObject({ __typename: 'UnauthenticatedError' });
    expect(await login(server, org.users.editor.email, 'a brand new password')).toMatchObject({ __typename: 'LoginPayload' });
  });
});
