import { revealSecrets, type StoredConnectionConfig } from '../../src/data-sources/connection-config.js';
import { Tenant } from '../../src/tenancy/tenant.js';
import { ERROR_FIELDS, localId, mutate, type SeededOrg, seedOrganization, useTestApi } from '../support/index.js';

const { server, org } = useTestApi();
let other: SeededOrg;
const PASSWORD = 'warehouse-Secret-42!';

const CREATE_WORKSPACE = `mutation($name: String!) { createWorkspace(input: { name: $name }) { ... on CreateWorkspacePayload { workspace { id } } ${ERROR_FIELDS} } }`;
const CREATE_SOURCE = `mutation($input: CreateDataSourceInput!) {
  createDataSource(input: $input) {
    __typename
    ... on CreateDataSourcePayload { dataSource { id connectionConfig { ... on PostgresConnectionConfig { host user hasPassword } } } }
    ${ERROR_FIELDS}
  }
}`;

/** A postgresql data source created through the API; its database id. */
async function createSource(o: SeededOrg, name: string, password: string): Promise<string> {
  const ws = await mutate<{ workspace: { id: string } }>(server, CREATE_WORKSPACE, { name: `${name} workspace` }, o.users.editor.token);
  const input = { workspaceId: ws.workspace.id, name, connectionConfig: { postgresql: { host: 'db.internal', database: 'sales', user: 'loader', password } } };
  const r = await mutate<{ dataSource: { id: string; connectionConfig: unknown } }>(server, CREATE_SOURCE, { input }, o.users.editor.token);
  expect(r.dataSource.connectionConfig).toEqual({ host: 'db.internal', user: 'loader', hasPassword: true });
  return localId(r.dataSource.id);
}

const tenantDb = (o: SeededOrg) => new Tenant(server.db.db, o).db;

async function storedConfig(o: SeededOrg, id: string): Promise<StoredConnectionConfig> {
  const row = await tenantDb(o).selectFrom('data_sources').select('connection_config').where('id', '=', id).executeTakeFirstOrThrow();
  return row.connection_config as StoredConnectionConfig;
}

async function setStoredConfig(o: SeededOrg, id: string, config: StoredConnectionConfig): Promise<void> {
  await tenantDb(o).updateTable('data_sources').set({ connection_config: JSON.stringify(config) }).where('id', '=', id).execute();
}

const reveal = (o: SeededOrg, id: string, config: StoredConnectionConfig) =>
  revealSecrets(server.services.keyring, { organizationId: o.id, dataSourceId: id }, config);

beforeAll(async () => {
  other = await seedOrganization(server);
});

/** What AES-GCM says when the tag does not match: wrong key, wrong bound ids, or altered bytes. */
const UNAUTHENTIC = 'Unsupported state or unable to authenticate data';

describe('data source credentials at rest', () => {
  let sourceId: string;

  beforeAll(async () => {
    sourceId = await createSource(org, 'Sales', PASSWORD);
  });

  it('are stored sealed: the row holds no plaintext password, only which secrets exist and their ciphertext', async () => {
    const stored = await storedConfig(org, sourceId);

    expect(JSON.stringify(stored)).not.toContain(PASSWORD);
    expect(stored).toEqual({
      host: 'db.internal',
      port: 5432,
      database: 'sales',
      user: 'loader',
      ssl_mode: 'require',
      secret_fields: ['password'],
      secrets: { kid: 'test-1', dek: expect.any(String), data: expect.any(String) },
    });
  });

  it('open with the keyring for their own organization and data source', async () => {
    expect(reveal(org, sourceId, await storedConfig(org, sourceId))).toEqual({ password: PASSWORD });
  });

  it('are bound to their data source: copied onto another source of the same organization they do not open', async () => {
    const decoy = await createSource(org, 'Decoy', 'decoy-password-1');
    const copied = await storedConfig(org, sourceId);
    await setStoredConfig(org, decoy, copied);

    expect(() => reveal(org, decoy, copied)).toThrow(UNAUTHENTIC);
  });

  it('are bound to their organization: copied into another tenant they do not open', async () => {
    const foreign = await createSource(other, 'Foreign', 'foreign-password-1');
    const copied = await storedConfig(org, sourceId);
    await setStoredConfig(other, foreign, copied);

    expect(() => reveal(other, foreign, copied)).toThrow(UNAUTHENTIC);
    expect(() => revealSecrets(server.services.keyring, { organizationId: other.id, dataSourceId: sourceId }, copied)).toThrow(UNAUTHENTIC);
  });

  it('do not open once the ciphertext is altered', async () => {
    const stored = await storedConfig(org, sourceId);
    const [iv, tag, ct] = stored.secrets!.data.split('.');
    const flipped = Buffer.from(ct!, 'base64url');
    flipped[0] = flipped[0]! ^ 1;
    const altered = { ...stored, secrets: { ...stored.secrets!, data: [iv, tag, flipped.toString('base64url')].join('.') } };

    expect(() => reveal(org, sourceId, altered)).toThrow(UNAUTHENTIC);
  });
});
