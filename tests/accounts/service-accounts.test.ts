import { createHash } from 'node:crypto';
import { platform } from '../../src/db/database.js';
import {
  ERROR_FIELDS,
  failure,
  globalId,
  gqlData,
  localId,
  mutate,
  type SeededOrg,
  seedOrganization,
  tableText,
  type TypedError,
  useTestApi,
} from '../support/index.js';

const { server, org } = useTestApi();
let other: SeededOrg;

beforeAll(async () => {
  other = await seedOrganization(server);
});

const ACCOUNT = 'id name role lastUsedAt revokedAt keys { id prefix lastUsedAt revokedAt }';
const CREATE = `mutation($input: CreateServiceAccountInput!) {
  createServiceAccount(input: $input) { __typename ... on ApiKeyPayload { apiKey serviceAccount { ${ACCOUNT} } } ${ERROR_FIELDS} }
}`;
const CREATE_KEY = `mutation($id: ID!) {
  createServiceAccountKey(serviceAccountId: $id) { __typename ... on ApiKeyPayload { apiKey serviceAccount { ${ACCOUNT} } } ${ERROR_FIELDS} }
}`;
const REVOKE_KEY = `mutation($id: ID!) {
  revokeServiceAccountKey(keyId: $id) { __typename ... on RevokeServiceAccountKeyPayload { serviceAccount { ${ACCOUNT} } } ${ERROR_FIELDS} }
}`;
const REVOKE = `mutation($id: ID!) {
  revokeServiceAccount(id: $id) { __typename ... on RevokeServiceAccountPayload { serviceAccount { ${ACCOUNT} } } ${ERROR_FIELDS} }
}`;
const CREATE_WORKSPACE = `mutation($name: String!) {
  createWorkspace(input: { name: $name }) { __typename ... on CreateWorkspacePayload { workspace { name } } ${ERROR_FIELDS} }
}`;

interface Account { id: string; name: string; role: string; lastUsedAt: string | null; revokedAt: string | null; keys: { id: string; prefix: string; lastUsedAt: string | null; revokedAt: string | null }[] }
type ApiKeyPayload = { __typename: 'ApiKeyPayload'; apiKey: string; serviceAccount: Account };

async function createAccount(name: string, role: string, token = org.users.admin.token): Promise<ApiKeyPayload> {
  const r = await mutate<ApiKeyPayload | TypedError>(server, CREATE, { input: { name, role } }, token);
  if (r.__typename !== 'ApiKeyPayload') throw new Error(`createServiceAccount failed: ${JSON.stringify(r)}`);
  return r as ApiKeyPayload;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const probe = async (apiKey: string) => failure(await server.gql('{ organization { slug } }', {}, apiKey));
const WORKS = { status: 200, codes: [] };
const UNAUTHENTICATED = { status: 401, codes: ['UNAUTHENTICATED'] };

describe('createServiceAccount', () => {
  let created: ApiKeyPayload;

  beforeAll(async () => {
    created = await createAccount('ci-deployer', 'EDITOR');
  });

  it('returns the account and an API key, once', () => {
    expect(created.apiKey).toMatch(/^dlx_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    expect(created.serviceAccount).toEqual({
      id: expect.any(String),
      name: 'ci-deployer',
      role: 'EDITOR',
      lastUsedAt: null,
      revokedAt: null,
      keys: [{ id: expect.any(String), prefix: created.apiKey.slice(0, 16), lastUsedAt: null, revokedAt: null }],
    });
  });

  it('stores only the key’s SHA-256 and its prefix', async () => {
    const rows = await platform(server.db.db).selectFrom('service_account_keys').select(['key_prefix', 'key_hash']).where('service_account_id', '=', localId(created.serviceAccount.id)).execute();
    expect(rows.map((r) => ({ prefix: r.key_prefix, hash: r.key_hash.trim() }))).toEqual([{ prefix: created.apiKey.slice(0, 16), hash: sha256(created.apiKey) }]);
    const secret = created.apiKey.slice(17);
    for (const table of ['service_account_keys', 'service_accounts', 'audit_log'] as const) expect(await tableText(server, table)).not.toContain(secret);
  });

  it('the key is a Bearer credential with the account’s role: an editor account creates a workspace', async () => {
    expect(await mutate(server, CREATE_WORKSPACE, { name: 'From CI' }, created.apiKey)).toEqual({ __typename: 'CreateWorkspacePayload', workspace: { name: 'From CI' } });
  });

  it('records when the key was last used', async () => {
    const { serviceAccounts } = await gqlData<{ serviceAccounts: { edges: { node: Account }[] } }>(server, `{ serviceAccounts { edges { node { ${ACCOUNT} } } } }`, {}, org.users.admin.token);
    const node = serviceAccounts.edges.map((e) => e.node).find((a) => a.id === created.serviceAccount.id)!;
    expect(node.lastUsedAt).toEqual(expect.any(String));
    expect(node.keys[0]!.lastUsedAt).toEqual(expect.any(String));
  });

  it('a viewer account may read but gets a ForbiddenError on changes', async () => {
    const viewer = await createAccount('dashboards', 'VIEWER');
    expect(await probe(viewer.apiKey)).toEqual(WORKS);
    expect(await mutate(server, CREATE_WORKSPACE, { name: 'Nope' }, viewer.apiKey)).toMatchObject({ __typename: 'ForbiddenError', code: 'FORBIDDEN' });
  });

  it('refuses an owner-role account, and callers below admin', async () => {
    expect(await mutate(server, CREATE, { input: { name: 'root', role: 'OWNER' } }, org.users.owner.token)).toMatchObject({ __typename: 'ForbiddenError' });
    expect(await mutate(server, CREATE, { input: { name: 'sneaky', role: 'VIEWER' } }, org.users.editor.token)).toMatchObject({ __typename: 'ForbiddenError' });
    const names = await platform(server.db.db).selectFrom('service_accounts').select('name').where('name', 'in', ['root', 'sneaky']).execute();
    expect(names).toEqual([]);
  });
});

describe('API keys that are not valid', () => {
  it('refuses malformed dlx_ keys and a right prefix with a wrong secret with 401', async () => {
    const { apiKey } = await createAccount('probe', 'VIEWER');
    for (const key of ['dlx_', 'dlx_zzzz', `${apiKey}x`, `${apiKey.slice(0, 17)}${'A'.repeat(43)}`]) {
      expect({ key, ...(await probe(key)) }).toEqual({ key, ...UNAUTHENTICATED });
    }
    expect(await probe(apiKey)).toEqual(WORKS);
  });
});

describe('key rotation and revocation', () => {
  let account: ApiKeyPayload;
  let second: ApiKeyPayload;

  beforeAll(async () => {
    account = await createAccount('scheduler', 'EDITOR');
  });

  it('createServiceAccountKey adds a second working key beside the first', async () => {
    second = await mutate<ApiKeyPayload>(server, CREATE_KEY, { id: account.serviceAccount.id }, org.users.admin.token);

    expect(second.apiKey).not.toBe(account.apiKey);
    expect(second.serviceAccount.keys.map((k) => k.prefix)).toEqual([account.apiKey.slice(0, 16), second.apiKey.slice(0, 16)]);
    expect([await probe(account.apiKey), await probe(second.apiKey)]).toEqual([WORKS, WORKS]);
  });

  it('revokeServiceAccountKey turns the old key away with 401 and leaves the new one', async () => {
    const r = await mutate<{ serviceAccount: Account }>(server, REVOKE_KEY, { id: account.serviceAccount.keys[0]!.id }, org.users.admin.token);

    expect(r.serviceAccount.keys.map((k) => k.revokedAt !== null)).toEqual([true, false]);
    expect([await probe(account.apiKey), await probe(second.apiKey)]).toEqual([UNAUTHENTICATED, WORKS]);
  });

  it('cannot be done from another organization', async () => {
    expect(await mutate(server, REVOKE, { id: account.serviceAccount.id }, other.users.admin.token)).toMatchObject({ __typename: 'NotFoundError' });
    expect(await mutate(server, REVOKE_KEY, { id: second.serviceAccount.keys[1]!.id }, other.users.admin.token)).toMatchObject({ __typename: 'NotFoundError' });
    expect(await probe(second.apiKey)).toEqual(WORKS);
  });

  it('revokeServiceAccount turns every key of the account away with 401', async () => {
    const r = await mutate<{ serviceAccount: Account }>(server, REVOKE, { id: account.serviceAccount.id }, org.users.admin.token);

    expect(r.serviceAccount.revokedAt).toEqual(expect.any(String));
    expect(await probe(second.apiKey)).toEqual(UNAUTHENTICATED);
    expect(await mutate(server, CREATE_KEY, { id: account.serviceAccount.id }, org.users.admin.token)).toMatchObject({ __typename: 'ValidationError' });
  });

  it('an unknown key id is not found', async () => {
    expect(await mutate(server, REVOKE_KEY, { id: globalId('ServiceAccountKey', org.users.admin.id) }, org.users.admin.token)).toMatchObject({ __typename: 'NotFoundError' });
  });
});
